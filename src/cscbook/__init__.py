"""cscbook: a reproducible quarterly improvement book for English children's services."""

__version__ = "0.1.0"
