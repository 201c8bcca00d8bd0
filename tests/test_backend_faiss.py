"""The FAISS + BM25 + SQLite store passes the search-backend contract, exact and HNSW."""

from __future__ import annotations

import pytest

from index.ingest import IndexWriter
from index.settings import IndexSettings
from index.store import IndexSnapshot
from tests.backend_contract import BackendContract


class FaissStore:
    def __init__(self, home, embedder, index_type: str):
        self.home, self.embedder = home, embedder
        self.settings = IndexSettings(index_type=index_type)

    def write(self, articles):
        with IndexWriter(self.home, self.embedder, index=self.settings) as w:
            w.ingest(articles)

    def remove(self, ids):
        with IndexWriter(self.home, self.embedder, index=self.settings) as w:
            w.remove(ids)

    def open(self):
        return IndexSnapshot.open(self.home, expected_model=self.embedder.name)


class TestFaissFlat(BackendContract):
    @pytest.fixture
    def store(self, tmp_path, embedder):
        return FaissStore(tmp_path / "home", embedder, "flat")


class TestFaissHNSW(BackendContract):
    @pytest.fixture
    def store(self, tmp_path, embedder):
        return FaissStore(tmp_path / "home", embedder, "hnsw")
