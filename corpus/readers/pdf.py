"""PDF files: text extracted with pypdf, page by page, within the limits."""

from __future__ import annotations

import io
from pathlib import Path

from corpus.article import Article
from corpus.records import MAX_ARTICLE_CHARS, MAX_PDF_PAGES, Skip, as_str, to_article


def read_pdf(f: Path, data: bytes) -> Article:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise Skip(f"PDF has {len(reader.pages)} pages, over the {MAX_PDF_PAGES} limit")
        parts, total = [], 0
        for page in reader.pages:
            chunk = page.extract_text() or ""
            total += len(chunk)
            if total > MAX_ARTICLE_CHARS:
                raise Skip(f"PDF text is over the {MAX_ARTICLE_CHARS:,} character limit")
            parts.append(chunk)
        info = reader.metadata or {}
    except Skip:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise Skip(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(p.strip() for p in parts if p.strip())
    title = as_str(info.get("/Title")) if hasattr(info, "get") else ""
    record = {"id": f.stem, "title": title or f.stem, "text": text}
    if hasattr(info, "get") and info.get("/Author"):
        record["source"] = as_str(info.get("/Author"))
    return to_article(record, where=str(f))
