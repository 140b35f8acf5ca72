"""PDF inspection: is it a real PDF, and how many pages does it have."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

# pypdf logs every repaired defect of a damaged file at WARNING; the refusal says enough.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class InvalidDocument(ValueError):
    """The bytes are not a PDF we can print."""


def count_pages(data: bytes) -> int:
    """Pages of a PDF, read by a real parser; anything else raises InvalidDocument."""
    if not data.lstrip(b"\r\n\t ")[:5] == b"%PDF-":
        raise InvalidDocument("the document is not a PDF (it does not start with %PDF-)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidDocument("the PDF is encrypted; send an unprotected PDF")
        pages = len(reader.pages)
    except InvalidDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise InvalidDocument(f"the PDF cannot be read: {type(exc).__name__}") from exc
    if pages < 1:
        raise InvalidDocument("the PDF has no pages")
    return pages
