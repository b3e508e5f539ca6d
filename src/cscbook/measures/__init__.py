"""cscbook.measures."""
