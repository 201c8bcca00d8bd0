"""Plain text and Markdown files, with optional YAML front matter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from corpus.article import Article
from corpus.records import Skip, as_str, clean_text, to_article

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


def read_text(f: Path, text: str, *, markdown: bool) -> Article:
    meta: dict[str, Any] = {}
    m = _FRONT.match(text)
    if m:
        import yaml

        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            raise Skip(f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(loaded, dict):
            raise Skip("front matter must be key: value lines")
        meta = loaded
        text = text[m.end():]
    text = clean_text(text, "body")
    title = as_str(meta.get("title"))
    if not title:
        first, _, rest = text.partition("\n")
        first = first.strip()
        if markdown:
            first = first.lstrip("#").strip()
        if len(first) <= 200 and rest.strip():
            title, text = first, rest.strip()
        else:
            title = f.stem
    record = dict(meta, title=title, text=text)
    record.setdefault("id", f.stem)
    return to_article(record, where=str(f))
