"""The article: the unit the user ingests, cites and deletes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news article.

    ``id`` is stable: it comes from the source (a JSON ``id``, front matter, or the file name) so
    that re-ingesting a changed article replaces it. ``date`` is ISO ``YYYY-MM-DD`` or ``None``.
    """

    id: str
    title: str
    text: str
    source: str = ""
    date: str | None = None
    url: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def content_hash(self) -> str:
        """Hash of everything that is indexed: a changed hash means the article changed."""
        payload = json.dumps(
            [self.title, self.text, self.source, self.date, self.url, dict(self.metadata)],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Skipped:
    """A file or record that could not be read, with the reason shown to the user."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
