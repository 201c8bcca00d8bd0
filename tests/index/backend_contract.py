"""The contract every search backend (``index.backend.SearchBackend``) must pass.

Subclass ``BackendContract`` and give it a ``store`` fixture: an object with ``write(articles)``,
``remove(ids)`` and ``open()`` (a backend read back from storage). The FAISS+BM25 store runs it as
exact (Flat) and as HNSW (``tests/index/test_backend_faiss.py``); a server-based vector store would add
one more subclass and pass the same tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from corpus import Article
from index.backend import SearchBackend
from index.types import Filters

TOPICS = [
    "The harbour of Qarmeed handled {n} cargo ships as dock workers unloaded grain.",
    "Opposition fighters shelled the town of Tel Khanzir for the {n}th day, residents said.",
    "The central bank raised interest rates by {n} basis points to slow inflation.",
    "Floods cut the highway north of the capital; {n} villages were evacuated.",
]
SOURCES = ["Wire A", "Wire B", "Daily C"]


def corpus(n: int = 24) -> list[Article]:
    """``n`` short articles over four topics, three outlets and twelve days of January 2024."""
    return [
        Article(f"c{i:02d}", f"Report {i}: {TOPICS[i % 4].split()[1]}",
                TOPICS[i % 4].format(n=i + 2) + f" Officials gave figure {i * 7} on day {i % 12 + 1}.",
                source=SOURCES[i % 3], date=f"2024-01-{i % 12 + 1:02d}")
        for i in range(n)
    ]


QUERIES = ["cargo ships in the harbour", "shelling of Tel Khanzir", "interest rates and inflation", "floods and evacuations"]


class BackendContract:
    """Shared tests; ``store`` and ``embedder`` fixtures come from the subclass's module."""

    @pytest.fixture
    def backend(self, store) -> SearchBackend:
        store.write(corpus())
        return store.open()

    def test_implements_the_protocol(self, backend):
        assert isinstance(backend, SearchBackend)
        assert backend.size == len(backend.all_pids()) > 0 and backend.dim > 0

    def test_dense_top_k_equals_brute_force(self, backend, embedder):
        pids = backend.all_pids()
        vecs = backend.vectors(pids)
        assert vecs.shape == (len(pids), backend.dim)
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
        for q in QUERIES:
            qv = embedder.embed_query(q)
            got, scores = backend.dense_topk(qv, 5)
            brute = vecs @ qv
            order = np.argsort(-brute, kind="stable")[:5]
            assert list(got) == list(pids[order])
            assert np.allclose(scores, brute[order], atol=1e-5)

    def test_dense_top_k_of_many_vectors_at_once_equals_each_alone(self, backend, embedder):
        qvs = np.vstack([embedder.embed_query(q) for q in QUERIES])
        many = backend.dense_topk_many(qvs, 4)
        assert len(many) == len(QUERIES)
        for qv, (pids, scores) in zip(qvs, many, strict=True):
            alone = backend.dense_topk(qv, 4)
            assert list(pids) == list(alone[0]) and np.allclose(scores, alone[1], atol=1e-6)
        assert [len(p) for p, _ in backend.dense_topk_many(qvs[:1], backend.size + 5)] == [backend.size]

    def test_filters_return_k_when_k_match_and_only_matches(self, backend, embedder):
        f = Filters(sources=("wire a",), since="2024-01-02", until="2024-01-10")
        passages = {p.pid: p for p in backend.passages(backend.all_pids())}
        allowed = [pid for pid, p in passages.items() if p.source == "Wire A" and "2024-01-02" <= p.date <= "2024-01-10"]
        assert backend.count(f) == len(allowed) >= 3
        assert list(backend.matches(backend.all_pids(), f)) == [pid in allowed for pid in backend.all_pids()]
        qv = embedder.embed_query("harbour ships")
        d_pids, _ = backend.dense_topk(qv, 3, f)
        assert len(d_pids) == 3 and set(d_pids) <= set(allowed)
        brute = backend.vectors(allowed) @ qv
        assert list(d_pids) == [allowed[i] for i in np.argsort(-brute, kind="stable")[:3]]
        b_pids, b_scores = backend.lexical_topk("officials figure day", 3, f)  # words every report has
        assert len(b_pids) == 3 and set(b_pids) <= set(allowed) and np.all(b_scores > 0)

    def test_fewer_matches_than_k_return_all_of_them(self, backend, embedder):
        f = Filters(sources=("daily c",), since="2024-01-03", until="2024-01-03")
        n = backend.count(f)
        assert 1 <= n < 10
        assert len(backend.dense_topk(embedder.embed_query("anything"), 10, f)[0]) == n
        assert backend.count(Filters(sources=("no such outlet",))) == 0
        assert len(backend.dense_topk(embedder.embed_query("anything"), 10, Filters(sources=("no such outlet",)))[0]) == 0

    def test_lexical_scores_agree_with_lexical_top_k(self, backend):
        pids, scores = backend.lexical_topk("interest rates inflation", 5)
        assert len(pids) == 5 and np.all(np.diff(scores) <= 1e-6)
        assert np.allclose(backend.lexical_scores("interest rates inflation", pids), scores)
        assert all("interest" in p.text for p in backend.passages(pids[:3]))
        assert len(backend.lexical_topk("zzzunknownword", 5)[0]) == 0
        assert np.all(backend.lexical_scores("zzzunknownword", pids) == 0)

    def test_passages_come_back_in_order_and_unknown_ids_are_left_out(self, backend):
        pids = list(backend.all_pids()[:4])[::-1]
        got = backend.passages([*pids, 10**9])
        assert [p.pid for p in got] == pids
        for p in got:
            assert p.text and p.article_id.startswith("c") and p.source in SOURCES

    def test_term_statistics(self, backend):
        terms = backend.analyze(["The harbour handled ships"])[0]
        assert terms and all(t == t.lower() for t in terms) and "the" not in terms
        df = backend.doc_freq(terms[0])
        assert 1 <= df <= backend.size
        assert backend.doc_freq("zzzunknownword") == 0

    def test_deleted_articles_leave_every_search(self, store, embedder):
        store.write(corpus())
        before = store.open()
        gone = {"c00", "c04", "c08"}  # all three are harbour reports
        store.remove(sorted(gone))
        after = store.open()
        assert after.size < before.size
        qv = embedder.embed_query("cargo ships in the harbour")
        found = list(after.dense_topk(qv, after.size)[0]) + list(after.lexical_topk("harbour cargo ships", after.size)[0])
        assert not gone & {p.article_id for p in after.passages(found)}
        assert after.count(None) == after.size
        assert not gone & {a["id"] for a in after.articles()} and after.article("c00") is None
        assert not gone & set(after.attributions(sorted(gone)))

    def test_save_then_load_answers_the_same(self, store, embedder):
        store.write(corpus())
        first, second = store.open(), store.open()
        for q in QUERIES:
            qv = embedder.embed_query(q)
            a, b = first.dense_topk(qv, 6), second.dense_topk(qv, 6)
            assert list(a[0]) == list(b[0]) and np.allclose(a[1], b[1])
            la, lb = first.lexical_topk(q, 6), second.lexical_topk(q, 6)
            assert list(la[0]) == list(lb[0]) and np.allclose(la[1], lb[1])

    def test_the_catalogue_lists_articles_sources_and_attributions(self, backend):
        arts = backend.articles()
        assert {a["id"] for a in arts} == {a.id for a in corpus()}
        assert all("text" not in a for a in arts) and [a["date"] for a in arts] == sorted((a["date"] for a in arts), reverse=True)
        one = backend.article("c01")
        assert one["text"] == corpus()[1].text and one["source"] == "Wire B"
        assert backend.article("no-such-article") is None
        assert sorted(backend.sources()) == sorted(SOURCES)
        rels = backend.attributions(["c01", "c05", "no-such-article"])
        assert set(rels) == {"c01", "c05"}  # "…, residents said.": one relation each; unknown ids left out
        for aid, found in rels.items():
            text = backend.article(aid)["text"]
            assert found and all(text[r["content"]["start"]:r["content"]["end"]] == r["content"]["text"] for r in found)
            assert any((r["source"] or {}).get("text") == "residents" for r in found)

