"""PDFs (stub)."""
from pathlib import Path


def pdf_paths(params) -> list[Path]:
    return []


def write_pdfs(params, html) -> list[Path]:
    return []
