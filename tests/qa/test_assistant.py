"""Asking: cited answers on the seed questions, 'not in the corpus', bad questions, the API shape."""

from __future__ import annotations

import pytest

from corpus import load_articles
from qa import Answer, BadFilter, BadQuestion
from tests.conftest import SAMPLE, SEED_QUESTIONS

ARTICLES = {a.id: a for a in load_articles(SAMPLE).articles}


@pytest.mark.parametrize("question", list(SEED_QUESTIONS))
def test_seed_questions_cite_the_right_article_and_span(sample, question):
    article_id, words = SEED_QUESTIONS[question]
    ans = sample.ask(question)
    assert not ans.not_found and ans.citations
    assert ans.citations[0].article_id == article_id
    for c in ans.citations:
        assert f"[{c.marker}]" in ans.text
        text = ARTICLES[c.article_id].text
        assert text[c.start : c.end] == c.quote  # the span is exact
        assert c.quote in c.passage
    cited_text = " ".join(c.quote for c in ans.citations if c.article_id == article_id)
    for w in words:
        assert w in cited_text, f"{w!r} not in the cited sentences: {cited_text}"


def test_tel_khanzir_answer_says_who_and_why(sample):
    ans = sample.ask("Who attacked Tel Khanzir, and why?")
    quotes = " ".join(c.quote for c in ans.citations)
    assert "IS" in quotes
    assert "supply line" in quotes or "close the door" in quotes or "isolate" in quotes


def test_answer_without_sentence_embeddings_still_quotes_the_evidence(sample_home, embedder):
    """embedded_sentences=0: sentences are chosen by keywords, rank and time only (no semantic pass)."""
    from qa import Assistant

    a = Assistant(home=sample_home, answer={"embedded_sentences": 0}, embedder=embedder)
    ans = a.ask("How many IS fighters were reportedly killed near Kobani?")
    assert not ans.not_found
    assert ans.citations[0].article_id == "syria-direct-2015-03-kobani-villages"
    assert "43" in " ".join(c.quote for c in ans.citations)


def test_not_in_corpus_says_so_and_lists_closest(sample):
    ans = sample.ask("What is the capital of France?")
    assert ans.not_found
    assert ans.text == "The indexed articles do not answer this."
    assert ans.citations == ()
    assert 1 <= len(ans.closest) <= 3
    d = ans.to_dict()
    assert d["not_found"] is True and d["citations"] == [] and len(d["closest"]) >= 1


def test_to_dict_has_the_documented_fields(sample):
    d = sample.ask("Which regime unit defected in Idlib and where was it based?").to_dict()
    assert set(d) >= {"question", "text", "not_found", "citations"}
    c = d["citations"][0]
    assert set(c) >= {"marker", "article_id", "title", "source", "date", "url", "passage", "quote", "start", "end", "score"}
    assert c["source"] == "Syria Direct" and c["date"] == "2015-03-25"


def test_markdown_lists_numbered_sources(sample):
    md = sample.ask("How many IS fighters were reportedly killed near Kobani?").to_markdown()
    assert "**Sources**" in md and "[1]" in md and "Syria Direct" in md


@pytest.mark.parametrize("bad", ["", "   \n\t", "x" * 100_000, None, 42])
def test_bad_questions_are_refused_clearly(sample, bad):
    with pytest.raises(BadQuestion):
        sample.ask(bad)


@pytest.mark.parametrize("kwargs", [{"since": "yesterday"}, {"since": 5}, {"sources": 3}, {"since": "2020-02-01", "until": "2020-01-01"}, {"k": 0}, {"k": "5"}])
def test_bad_filters_are_refused_clearly(sample, kwargs):
    with pytest.raises(BadFilter):
        sample.ask("Who attacked Tel Khanzir?", **kwargs)


def test_filters_that_exclude_everything_give_not_found(sample):
    ans = sample.ask("Who attacked Tel Khanzir?", sources=["Reuters"])
    assert ans.not_found and not ans.closest


def test_module_level_ask_uses_qa_home(monkeypatch, sample_home):
    import qa.assistant as mod

    monkeypatch.setenv("QA_HOME", str(sample_home))
    monkeypatch.setattr(mod, "_default", None)
    from qa import ask

    ans = ask("How many IS fighters were reportedly killed near Kobani?")
    assert isinstance(ans, Answer) and ans.citations[0].article_id == "syria-direct-2015-03-kobani-villages"


def test_audit_log_records_each_answer(fresh):
    import json

    a = fresh()
    a.ingest(SAMPLE)
    a.ask("Who attacked Tel Khanzir?")
    a.ask("How many IS fighters were reportedly killed near Kobani?", sources=["Syria Direct"])
    first, second = [json.loads(line) for line in a.paths.audit.read_text().strip().splitlines()]
    assert first["question"] == "Who attacked Tel Khanzir?" and first["filters"] is None
    assert second["filters"]["sources"] == ["Syria Direct"]
    for entry in (first, second):
        assert entry["index_version"] == a.snapshot().manifest.digest
        assert entry["retrieved"] and entry["cited"] and set(entry["cited"]) <= set(entry["retrieved"])


def test_llama_index_retriever_carries_citation_metadata(sample):
    from llama_index.core.retrievers import BaseRetriever

    retriever = sample.as_retriever(similarity_top_k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve("Who attacked Tel Khanzir?")
    assert 1 <= len(nodes) <= 3
    top = nodes[0]
    md = top.node.metadata
    assert md["article_id"] == "syria-direct-2015-03-tel-khanzir"
    assert {"title", "source", "date", "url", "start", "end"} <= set(md)
    assert ARTICLES[md["article_id"]].text[md["start"] : md["end"]] == top.node.get_content()
    assert top.score is not None


def test_every_stage_of_an_answer_is_timed(sample):
    ans = sample.ask("How many IS fighters were reportedly killed near Kobani?", rerank_margin=0)
    t = ans.timings
    st = t["stages"]
    for name in ("encode", "dense", "bm25", "fusion", "rerank", "sentence_encode", "attribution", "dating", "compose",
                 "corroboration"):
        assert st.get(name, -1) >= 0, name
    assert any(k.startswith("corroboration/") for k in st)  # its own searches are counted as its own
    assert t["retrieve_ms"] + t["compose_ms"] + t["corroborate_ms"] == pytest.approx(sum(st.values()), abs=0.5)
    assert sum(st.values()) <= t["total_ms"] + 0.5
    quick = sample.ask("Who attacked Tel Khanzir?", corroborate=False).timings
    assert not any(k.startswith("corroboration") for k in quick["stages"]) and quick["corroborate_ms"] == 0


def test_stage_times_are_exclusive_and_groups_name_their_stages():
    import time

    from qa.timing import measure, stage

    with stage("outside"):  # no measurement open: nothing recorded, nothing fails
        pass
    with measure() as ms:
        with stage("outer"):
            time.sleep(0.02)
            with stage("inner"):
                time.sleep(0.1)
        with stage("group", group=True):
            with stage("inner"):
                time.sleep(0.01)
    assert set(ms) == {"outer", "inner", "group", "group/inner"}
    assert ms["inner"] >= 100 and ms["group/inner"] >= 10
    assert 20 <= ms["outer"] < 100  # its own 20 ms, not the 120 with the stage inside it
    assert ms["group"] < ms["group/inner"]
