"""Relative time in questions: windows read against the as-of day, and retrieval that prefers them."""

from __future__ import annotations

from datetime import date

import pytest

from corpus import Article
from qa.errors import BadFilter
from qa.retrieval.time_window import as_of_date, time_window

AS_OF = date(2024, 3, 14)  # a Thursday


@pytest.mark.parametrize(
    ("question", "first_day"),
    [
        ("Who resigned this week?", date(2024, 3, 7)),
        ("What happened yesterday in Idlib?", date(2024, 3, 12)),
        ("Which minister was sacked last week?", date(2024, 2, 29)),
        ("Which team won on Tuesday?", date(2024, 3, 7)),
        ("What has the council recently decided?", date(2024, 2, 12)),
        ("How many people have been vaccinated this year?", date(2024, 1, 1)),
        ("What did the president announce today?", date(2024, 3, 13)),
    ],
)
def test_time_words_set_a_window_ending_a_day_after_as_of(question, first_day):
    assert time_window(question, AS_OF) == (first_day, date(2024, 3, 15))


def test_no_time_words_no_window_unless_recent_days_and_no_other_year():
    assert time_window("Who attacked Tel Khanzir?", AS_OF) is None
    assert time_window("Who attacked Tel Khanzir?", AS_OF, recent_days=31) == (date(2024, 2, 12), date(2024, 3, 15))
    assert time_window("Who won the 2019 election?", AS_OF, recent_days=31) is None
    assert time_window("Who won the 2024 primary?", AS_OF, recent_days=31) is not None
    # the narrowest matching window wins over the default
    assert time_window("Who won this week?", AS_OF, recent_days=31)[0] == date(2024, 3, 7)


def test_as_of_accepts_iso_and_dataset_dates_and_rejects_nonsense():
    assert as_of_date("2020/01/03") == date(2020, 1, 3)
    assert as_of_date("2020-01-03") == date(2020, 1, 3)
    assert as_of_date(None) == date.today()
    with pytest.raises(ValueError):
        as_of_date("next blue moon")


OLD = (
    "The city council of Marlow voted to close the old bridge to lorries after engineers found cracks in its "
    "supports. Traffic will be diverted through the industrial estate while repairs are planned."
)
NEW = (
    "The Marlow council voted on Tuesday to close the river bridge to lorries after an inspection found corroded "
    "cables. Hauliers must now take a twelve-mile detour, and shop owners fear fewer deliveries."
)


@pytest.fixture(scope="module")
def dated_home(tmp_path_factory, embedder):
    from qa import Assistant

    a = Assistant(home=tmp_path_factory.mktemp("dated"), embedder=embedder)
    from tests.qa.retrieval.test_hybrid import FILLER

    a.ingest([
        *(Article(i, f"Report {n}", t, source="Marlow Post", date="2023-06-01") for n, (i, t) in enumerate(FILLER)),
        Article("old", "Marlow council closes bridge", OLD, source="Marlow Post", date="2021-05-04"),
        Article("new", "Bridge shut to lorries", NEW, source="Marlow Post", date="2024-03-12"),
    ])
    return a


def test_this_week_prefers_the_article_of_that_week(dated_home):
    q = "What did the Marlow council close this week?"
    now = dated_home.ask(q, as_of="2024-03-14")
    assert now.citations and now.citations[0].article_id == "new"
    assert now.time_window == ("2024-03-07", "2024-03-15")
    assert now.to_dict()["time_window"] == ["2024-03-07", "2024-03-15"]
    then = dated_home.ask(q, as_of="2021-05-06")
    assert then.citations[0].article_id == "old"
    # a preference, not a filter: the other article is still retrieved
    assert {"old", "new"} <= {h.passage.article_id for h in dated_home.retrieve(q, as_of="2024-03-14")}


def test_time_boost_zero_switches_it_off_and_bad_as_of_is_a_clear_error(dated_home):
    off = dated_home.ask("What did the Marlow council close this week?", as_of="2021-05-06", time_boost=0)
    assert off.time_window is None
    with pytest.raises(BadFilter, match="as-of"):
        dated_home.ask("What did the council close?", as_of="someday")


def test_the_question_s_time_counts_in_full_after_reranking(dated_home):
    q = "What did the Marlow council close this week?"
    for as_of, first in (("2024-03-14", "new"), ("2021-05-06", "old")):
        hits = dated_home.retrieve(q, as_of=as_of, rerank_margin=0)  # always rerank
        assert hits[0].passage.article_id == first
        for h in hits:
            assert "rerank" in h.scores
            assert h.score == pytest.approx(h.scores["rerank"] + 0.2 * h.scores.get("in_window", 0.0))
        assert hits[0].scores["in_window"] == 1.0
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
