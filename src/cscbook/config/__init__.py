"""cscbook.config."""
