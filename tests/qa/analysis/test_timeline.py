"""Event dates read against the publication date, time questions answered with the calendar date,
and timelines over the indexed articles (real model, real index)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from qa.analysis.event_dates import date_sentence, with_calendar_date
from tests.conftest import SAMPLE

PUB = "2015-03-25"  # a Wednesday


@pytest.mark.parametrize(("text", "day", "how"), [
    ("Last Friday, unknown assailants launched car bomb attacks", "2015-03-20", "relative"),
    ("a new YPG military campaign that began Monday", "2015-03-23", "relative"),
    ("The YPG captured five villages on Tuesday", "2015-03-24", "relative"),
    ("told Syria Direct on Wednesday", "2015-03-25", "relative"),  # the publication day itself
    ("It happened last Wednesday", "2015-03-18", "relative"),  # "last" is never the day itself
    ("The channel will air the interview during the pregame show on Sunday", "2015-03-29", "relative"),  # to come
    ("The vote is next Wednesday", "2015-04-01", "relative"),
    ("It will air the interview on Sunday, the network told USA TODAY.", "2015-03-29", "relative"),  # not "today"
    ("The ministry, which will hold elections, said on Tuesday the vote was fair", "2015-03-24", "relative"),
    ("yesterday the talks broke down", "2015-03-24", "relative"),
    ("two days ago the border closed", "2015-03-23", "relative"),
    ("The ceasefire was signed on 22 March.", "2015-03-22", "explicit"),
    ("The vote is set for December 3.", "2014-12-03", "explicit"),  # no year, and December 2015 would be far ahead
    ("On March 20, 2015 the bombs went off", "2015-03-20", "explicit"),
    ("The minister spoke about the budget.", PUB, "published"),
])
def test_sentences_are_dated_by_the_day_they_describe(text, day, how):
    d = date_sentence(text, PUB)
    assert (d.date, d.dated_by) == (day, how)


def test_spans_stay_spans_and_undated_articles_stay_undated():
    d = date_sentence("which IS has attacked for the past month", PUB)
    assert (d.date, d.until, d.dated_by) == ("2015-02-23", PUB, "relative")
    assert date_sentence("on Tuesday the town fell", None).dated_by == "none"
    assert with_calendar_date("The town fell on Tuesday.", date_sentence("on Tuesday", PUB).to_dict()) == \
        "The town fell on Tuesday (2015-03-24)."


def test_time_questions_get_the_calendar_date_and_citations_carry_event_dates(sample):
    ans = sample.ask("What happened in Kobani on Tuesday?", as_of=PUB)
    assert not ans.not_found and "on Tuesday (2015-03-24)" in ans.text
    assert all(c.event_date == "2015-03-24" and c.dated_by == "relative" for c in ans.citations)
    for c in ans.citations:
        assert "(2015-03-24)" not in c.quote  # the quote stays the article's words
    launched = sample.ask("When was the campaign launched?", as_of=PUB)
    assert "began Monday (2015-03-23)" in launched.text
    assert {"event_date", "dated_by"} <= set(launched.to_dict()["citations"][0])


def test_timeline_of_al_hasakah(sample):
    t = sample.timeline("Al-Hasakah", per_date=5)
    days = {d["date"]: d for d in t["dates"]}
    assert days == dict(sorted(days.items()))  # calendar order

    def find(day, words):
        return next(e for e in days[day]["events"] if words in e["text"])

    nowruz = find("2015-03-20", "Nowruz")
    assert nowruz["dated_by"] == "relative" and nowruz["date_phrase"] == "Last Friday"
    assert find("2015-03-23", "began Monday")["attribution"]["speaker"] == "Adar Press"
    assert find("2015-03-24", "captured five villages")["dated_by"] == "relative"
    from corpus import load_articles

    texts = {a.id: a.text for a in load_articles(SAMPLE).articles}
    for d in t["dates"]:
        for e in d["events"]:
            assert texts[e["article_id"]][e["start"] : e["end"]] == e["text"]
            assert set(e) >= {"text", "article_id", "title", "source", "date", "start", "end", "attribution", "dated_by", "mentions"}


def test_the_same_event_in_two_articles_is_one_entry_with_both_sources(fresh):
    from corpus import Article

    a = fresh()
    a.ingest([
        Article("w1", "Dam opens", "The new dam on the Tigris opened on Monday near Mosul. Officials praised the engineers.",
                source="Wire A", date="2024-05-08"),
        Article("w2", "Tigris dam", "The new dam on the Tigris opened on Monday near Mosul. Farmers hope for water.",
                source="Daily B", date="2024-05-08"),
    ])
    t = a.timeline("Tigris dam opening")
    (day,) = [d for d in t["dates"] if d["date"] == "2024-05-06"]
    (event,) = [e for e in day["events"] if "dam on the Tigris opened" in e["text"]]
    assert {event["article_id"], *[m["article_id"] for m in event["mentions"]]} == {"w1", "w2"}
    assert day["articles"] == 2


def test_no_dated_events_is_an_empty_timeline_with_a_message(sample):
    t = sample.timeline("zzqq unknown xyzzy")
    assert t["dates"] == [] and t["message"]
    r = CliRunner().invoke(app, ["timeline", "Al-Hasakah", "--home", str(sample.paths.home), "--json", "-", "--dates", "3"])
    assert r.exit_code == 0 and len(json.loads(r.output)["dates"]) == 3
    bad = CliRunner().invoke(app, ["timeline", "Al-Hasakah", "--home", str(sample.paths.home), "--dates", "0"])
    assert bad.exit_code == 1 and "dates must be" in bad.output


def test_a_timeline_reads_more_for_more_dates_and_a_longer_span(sample):
    from qa.analysis.timeline import TimelineOptions, reading_depth

    assert reading_depth(10) == 250  # the chat's dated list: the least depth
    assert reading_depth(16, "2010-01-01", "2012-07-29") == 1000  # few dates over years: the most
    assert reading_depth(12, "2010-04-20", "2010-05-31") == 20 * 12 + 2 * 42
    assert TimelineOptions(dates=5, passages=40).read_passages == 40  # a depth asked for is kept
    t = sample.timeline("Kobani", dates=3)
    assert t["dates"] and len(t["dates"]) <= 3
