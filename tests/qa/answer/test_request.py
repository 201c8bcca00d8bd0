"""One request object, checked once, behind every interface; the Assistant given its parts."""

from __future__ import annotations

from datetime import date

import pytest

from qa import AskRequest, Assistant, BadFilter, BadQuestion
from tests.conftest import SEED_QUESTIONS


def test_build_checks_every_part_once_and_normalises_it():
    r = AskRequest.build("  Who attacked Tel Khanzir?  ", k=5, sources="Syria Direct", since="2015-03-01",
                         as_of="2015-03-25", speakers=["al-Abdi", " ANHA "], mode="extractive",
                         history=[["Why?", "Because."]], retrieval={"rerank": False})
    assert r.question == "Who attacked Tel Khanzir?"
    assert r.k == 5 and r.filters.sources == ("Syria Direct",) and r.filters.since == "2015-03-01"
    assert r.as_of == date(2015, 3, 25) and r.speakers == ("al-Abdi", "ANHA") and r.mode == "extractive"
    assert r.history == (("Why?", "Because."),) and r.retrieval == {"rerank": False}
    plain = AskRequest.build("Who?")
    assert plain.filters is None and plain.as_of is None and plain.mode is None and plain.history == ()


@pytest.mark.parametrize("kw, error, words", [
    ({"k": 0}, BadFilter, "k must be an integer from 1 to 100"),
    ({"k": True}, BadFilter, "k must be"),
    ({"since": "2015-04-01", "until": "2015-03-01"}, BadFilter, "is after until"),
    ({"as_of": "the day after tomorrow"}, BadFilter, "as-of date"),
    ({"mode": "poetry"}, BadQuestion, "mode must be one of"),
    ({"speakers": [3]}, BadFilter, "speakers must be a list of names"),
    ({"unread": ["topic"]}, BadQuestion, "unread takes leanings, sources, since, history"),
])
def test_a_bad_part_is_refused_with_its_name(kw, error, words):
    with pytest.raises(error, match=words):
        AskRequest.build("Who attacked Tel Khanzir?", **kw)


def test_an_empty_or_overlong_question_is_refused():
    with pytest.raises(BadQuestion):
        AskRequest.build("   ")
    with pytest.raises(BadQuestion, match="limit"):
        AskRequest.build("why " * 1000)


def test_answer_of_a_request_is_asks_answer(sample):
    question = next(iter(SEED_QUESTIONS))
    by_request = sample.answer(AskRequest.build(question, as_of="2015-03-25", sources=["Syria Direct"]))
    by_keywords = sample.ask(question, as_of="2015-03-25", sources=["Syria Direct"])
    assert by_request.to_dict() == by_keywords.to_dict() and by_request.citations


def test_the_assistant_uses_the_parts_it_is_given(sample_home, embedder):
    from qa.retrieval.rerank import default_reranker

    reranker = default_reranker(0.6, 96)
    a = Assistant(home=sample_home, embedder=embedder, reranker=reranker, llm={"url": None})
    assert a.embedder is embedder and a.reranker is reranker
    assert a.llm is None  # a mapping is the llm settings group: none configured here
    assert a.ask(next(iter(SEED_QUESTIONS)), as_of="2015-03-25").citations
