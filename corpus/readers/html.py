"""HTML pages: main text and metadata extracted with trafilatura."""

from __future__ import annotations

from pathlib import Path

from corpus.article import Article
from corpus.records import Skip, to_article


def read_html(f: Path, data: bytes) -> Article:
    import trafilatura

    html = data.decode("utf-8", errors="replace")
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if doc is None:
        raise Skip("no article text found in the HTML")
    get = doc.get if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    body = get("text") or ""
    record = {
        "id": f.stem,
        "title": get("title") or f.stem,
        "text": body,
        "source": get("sitename") or get("hostname") or "",
        "date": get("date"),
        "url": get("url") or "",
    }
    return to_article(record, where=str(f))
