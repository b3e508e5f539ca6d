"""cscbook.report."""
