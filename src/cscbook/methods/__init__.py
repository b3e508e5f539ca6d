"""cscbook.methods."""
