"""The FAISS + BM25 + SQLite store passes the search-backend contract, exact and HNSW."""

from __future__ import annotations

import pytest

from index.ingest import IndexWriter
from index.settings import IndexSettings
from index.store import IndexSnapshot
from tests.index.backend_contract import BackendContract


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


def test_the_flat_index_holds_float16_and_an_earlier_float32_one_is_rebuilt(tmp_path, embedder):
    """A flat scan reads half the bytes; a home written by an earlier version (float32 flat) gets the
    float16 index at its next publish, with the same passages and the same top result."""
    import hashlib
    import json

    import faiss
    import numpy as np

    from corpus import iter_articles
    from index.dense import ids_of
    from tests.conftest import SAMPLE

    articles = sorted(SAMPLE.iterdir())
    store = FaissStore(tmp_path / "home", embedder, "flat")
    store.write(list(iter_articles(articles[:2])))
    snap = store.open()
    inner = faiss.downcast_index(snap._faiss.index)
    assert isinstance(inner, faiss.IndexScalarQuantizer)
    query = embedder.embed_query("Who attacked Tel Khanzir?")
    first = snap.dense_topk(query, 3)

    # the file an earlier version wrote: the same vectors in a float32 flat index
    path = next((tmp_path / "home" / "data").glob("*.faiss"))
    ids = ids_of(snap._faiss)
    old = faiss.IndexIDMap2(faiss.IndexFlatIP(snap.manifest.dim))
    old.add_with_ids(snap._faiss.reconstruct_batch(ids), ids)
    faiss.write_index(old, str(path))
    manifest_file = tmp_path / "home" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["extra"]["files"][path.name] = {"bytes": path.stat().st_size,
                                             "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    manifest_file.write_text(json.dumps(manifest))
    assert isinstance(faiss.downcast_index(faiss.read_index(str(path)).index), faiss.IndexFlat)
    assert np.array_equal(store.open().dense_topk(query, 3)[0], first[0])

    store.write(list(iter_articles(articles[2:])))
    after = store.open()
    assert isinstance(faiss.downcast_index(after._faiss.index), faiss.IndexScalarQuantizer)
    assert after._faiss.ntotal == after.manifest.passages
    assert first[0][0] in after.dense_topk(query, 10)[0]
