"""cscbook.book."""
