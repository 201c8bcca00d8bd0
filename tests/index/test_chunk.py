"""Passages: exact character spans, whole sentences, the token budget, overlap."""

from __future__ import annotations

from corpus import Article, load_articles
from corpus.text.sentences import sentence_spans
from index.chunk import Chunker
from tests.conftest import SAMPLE


def test_spans_are_exact_and_sentences_whole(embedder):
    chunker = Chunker(120, 24, embedder.count_tokens)
    for a in load_articles(SAMPLE).articles:
        passages = chunker.split(a)
        assert len(passages) >= 2
        sentence_ends = {e for _, e in sentence_spans(a.text)}
        sentence_starts = {s for s, _ in sentence_spans(a.text)}
        for p in passages:
            assert a.text[p.start : p.end] == p.text
            assert p.start in sentence_starts and p.end in sentence_ends  # never half a sentence
            assert p.embed_text.startswith(a.title)
            assert embedder.count_tokens([p.embed_text])[0] <= 120 or len(sentence_spans(p.text)) == 1
        covered = set()
        for p in passages:
            covered.update(range(p.start, p.end))
        for s, e in sentence_spans(a.text):
            assert set(range(s, e)) <= covered  # nothing lost


def test_overlap_repeats_trailing_sentences(embedder):
    text = " ".join(f"Sentence number {i} talks about the harbour of Qarmeed and its ships." for i in range(30))
    a = Article("x", "Title", text)
    with_overlap = Chunker(80, 30, embedder.count_tokens).split(a)
    without = Chunker(80, 0, embedder.count_tokens).split(a)
    assert any(q.start < p.end for p, q in zip(with_overlap, with_overlap[1:], strict=False))
    assert all(q.start >= p.end for p, q in zip(without, without[1:], strict=False))


def test_ids_are_stable_and_content_derived(embedder):
    a = load_articles(SAMPLE).articles[0]
    c = Chunker(160, 32, embedder.count_tokens)
    assert [p.id for p in c.split(a)] == [p.id for p in c.split(a)]
    assert [p.key for p in c.split(a)] == [p.key for p in c.split(a)]


def test_run_on_text_is_cut_at_word_boundaries(embedder):
    a = Article("x", "T", "word " * 5000)
    ps = Chunker(100, 0, embedder.count_tokens).split(a)
    assert len(ps) > 5
    assert all(a.text[p.start : p.end] == p.text and not p.text.startswith(" ") for p in ps)


def test_titles_and_inner_exclamations_do_not_end_sentences():
    text = "Former Florida Gov. Jeb Bush spoke. She declared “What a day!” and said she would stay. Why? Nobody knows."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Former Florida Gov. Jeb Bush spoke.", "She declared “What a day!” and said she would stay.", "Why?", "Nobody knows."]
