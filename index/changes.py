"""Change detection: which incoming articles are new, changed, unchanged or already staged.

An article's hash covers its content, the embedding model and the chunking settings, so changing
either re-chunks and re-embeds exactly the articles it affects.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from enum import Enum

from corpus import Article


class Change(Enum):
    NEW_OR_CHANGED = "new_or_changed"  # to chunk, embed and stage
    UNCHANGED = "unchanged"  # live with the same hash: nothing to do
    STAGED = "staged"  # an interrupted ingest already staged it: publish only


def signature(model: str, chunking: dict) -> str:
    """What, besides its content, makes an article's passages and vectors what they are."""
    blob = json.dumps([model, chunking], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def article_hash(a: Article, sig: str) -> str:
    return hashlib.sha256(f"{a.content_hash}:{sig}".encode()).hexdigest()[:32]


class ChangeDetector:
    """Classifies articles against the live and staged rows of the passage table."""

    def __init__(self, con: sqlite3.Connection, sig: str):
        self.sig = sig
        self._live = dict(con.execute("SELECT id, content_hash FROM articles WHERE removed IS NULL"))
        self._staged = dict(con.execute("SELECT article_id, content_hash FROM staged"))

    def classify(self, a: Article) -> tuple[Change, str]:
        h = article_hash(a, self.sig)
        if self._live.get(a.id) == h:
            return Change.UNCHANGED, h
        if self._staged.get(a.id) == h:
            return Change.STAGED, h
        return Change.NEW_OR_CHANGED, h
