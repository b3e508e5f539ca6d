"""cscbook.data."""
