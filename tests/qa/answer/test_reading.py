"""Reading a question: its kind, the filters its words name, follow-ups without an LLM, and a "not
found" that says why, on the real sample index."""

from __future__ import annotations

from datetime import date

import pytest

from qa.answer.reading import kind_of, read_question
from qa.conversation import read_turns

AS_OF = date(2015, 3, 25)


@pytest.mark.parametrize("question, kind", [
    ("Do the sources agree on how many IS fighters were killed?", "agreement"),
    ("Which outlets reported on the Idlib defection, and what are their leanings?", "coverage"),
    ("How many lawmakers voted to impeach Castillo, according to CNN and USA TODAY?", "agreement"),
    ("What happened near Kobani, by date?", "timeline"),
    ("When did the YPG campaign begin?", "timeline"),
    ("What happened since March 20?", "timeline"),
    ("Who is Mustafa al-Abdi?", "who_is"),
    ("Where does Khalid Iskef work?", "who_is"),
    ("Which outlets are described as pro-regime?", "who_is"),
    ("Who said the regime was weakening?", "who_said"),
    ("What did pro-Kurdish outlets report?", "source_view"),
    ("According to the activist, who attacked Tel Khanzir?", "source_view"),
    ("Who attacked Tel Khanzir?", "fact"),
    ("How many IS fighters were killed near Kobani?", "fact"),
])
def test_the_kind_of_question(question, kind):
    assert kind_of(question) == kind


def test_words_that_name_a_filter_become_that_filter():
    r = read_question("What did pro-Kurdish outlets report about the fighting near Kobani?", [], AS_OF)
    assert r.leanings == ("pro-Kurdish",) and "Kobani" in r.topic and "pro-Kurdish" not in r.topic
    r = read_question("According to pro-opposition sites, why did the unit defect?", [], AS_OF)
    assert r.leanings == ("pro-opposition",)
    r = read_question("What did Syria Direct report since March 20?", ["Syria Direct", "CNN"], AS_OF)
    assert r.sources == ("Syria Direct",) and r.since == "2015-03-20"
    assert read_question("What did Syria Direct report since April 2?", [], AS_OF).since == "2014-04-02"  # not yet this year


def test_words_that_only_describe_are_left_in_the_topic():
    for q in ("Why did pro-Kurdish fighters attack the village?", "Which outlets are described as pro-regime?",
              "What did CNN report?"):  # CNN is not an indexed outlet here
        r = read_question(q, ["Syria Direct"], AS_OF)
        assert not r.filters and r.topic == q


def test_a_follow_up_keeps_the_topic_and_filters_of_the_turn_before():
    turns = read_turns(["What happened near Kobani?", "And what did the pro-Kurdish media report?", "Why?"], [], AS_OF)
    assert [t.follow_up for t in turns] == [False, True, True]
    assert turns[1].query == "What happened near Kobani?" and turns[1].reading.leanings == ("pro-Kurdish",)
    assert turns[2].reading.leanings == ("pro-Kurdish",) and "Kobani" in turns[2].query
    fresh = read_turns(["What did pro-Kurdish outlets report?", "How many IS fighters were killed near Kobani?"],
                       [], AS_OF)[-1]
    assert not fresh.follow_up and not fresh.reading.leanings  # a question of its own takes no filter from before


def test_the_answer_is_filtered_by_the_words_and_says_how_it_read_them(sample):
    a = sample.ask("What did pro-Kurdish outlets report?", as_of="2015-03-25")
    d = a.to_dict()
    assert d["kind"] == "source_view" and d["read_as"]["leanings"] == ["pro-Kurdish"]
    assert a.citations and all(c.attribution["leaning"] == "pro-Kurdish" for c in a.citations)
    assert "Read as: stated leaning pro-Kurdish" in a.to_markdown()
    off = sample.ask("What did pro-Kurdish outlets report about the Idlib defection?", as_of="2015-03-25")
    assert off.not_found and "pro-Kurdish" in off.text  # their reports are about Kobani, not about Idlib
    plain = sample.ask("Who attacked Tel Khanzir?", as_of="2015-03-25").to_dict()
    assert plain["kind"] == "fact" and plain["read_as"] == {"topic": "Who attacked Tel Khanzir?"}


def test_a_follow_up_without_an_llm_in_ask(sample):
    first = sample.ask("What happened near Kobani?", as_of="2015-03-25")
    a = sample.ask("And what did the pro-Kurdish media report?", as_of="2015-03-25", history=[(first.question, first.text)])
    assert not a.not_found and a.read_as["from_history"] and a.read_as["leanings"] == ["pro-Kurdish"]
    assert a.searched == "What happened near Kobani?"
    assert a.citations and all(c.attribution["leaning"] == "pro-Kurdish" for c in a.citations)
    alone = sample.ask("And what did the pro-Kurdish media report?", as_of="2015-03-25")
    assert "from_history" not in alone.read_as


def test_not_found_says_why(sample):
    a = sample.ask("Who attacked Tel Khanzir?", since="2030-01-01", as_of="2015-03-25")
    assert a.not_found and a.text.startswith("No indexed article matches the filters") and "since 2030-01-01" in a.text
    a = sample.ask("Who attacked Tel Khanzir?", sources=["Reuters"], as_of="2015-03-25")
    assert a.not_found and "outlet Reuters" in a.text
    a = sample.ask("Who attacked Tel Khanzir?", leanings=["pro-Martian"], as_of="2015-03-25")
    assert a.not_found and "stated leaning pro-Martian" in a.text
    a = sample.ask("What is the capital of Peru?", as_of="2015-03-25")
    assert a.not_found and a.text == "The indexed articles do not answer this."


def test_outlets_named_in_a_comparison_are_compared_not_filtered():
    r = read_question("How much will the two men receive — do CNN and USA TODAY report the same amount?", ["CNN", "USA TODAY"])
    assert r.kind == "agreement" and not r.sources
    assert read_question("According to CNN, who won?", ["CNN", "USA TODAY"]).sources == ("CNN",)


def test_a_question_by_date_is_answered_as_a_dated_list(sample):
    a = sample.ask("What happened near Kobani, by date?", as_of="2015-03-25")
    d = a.to_dict()
    assert d["kind"] == "timeline" and not a.not_found
    lines = a.text.split("\n")
    days = [line[:10] for line in lines]
    assert len(lines) >= 2 and days == sorted(days)  # calendar order
    assert lines[0].startswith("2015-03-24 (Tuesday) — ")
    for line, claim in zip(lines, a.claims, strict=True):
        e = claim.evidence[0]
        assert e.event["event_date"] == line[:10]  # each line's day is the day its cited sentence describes
        assert " ".join(e.text.split()) in line  # and it quotes that sentence
    assert "- 2015-03-24 \\(Tuesday\\)" in a.to_markdown()
    one_day = sample.ask("What happened on Tuesday near Kobani?", as_of="2015-03-25")
    assert {line[:10] for line in one_day.text.split("\n")} == {"2015-03-24"}  # the day it names bounds the events


def test_who_did_it_is_answered_by_the_doer_first(sample):
    a = sample.ask("Who attacked Tel Khanzir?", as_of="2015-03-25")
    assert a.text.startswith("The Islamic State [IS] attacked a YPG-controlled town")
    assert a.citations[0].article_id == "syria-direct-2015-03-tel-khanzir"


def test_who_said_is_answered_with_the_speaker_in_the_sentence(sample):
    a = sample.ask("According to whom were 27 IS corpses captured?", as_of="2015-03-25")
    assert a.kind == "who_said" and not a.not_found
    first = a.text.split("\n")[0].removeprefix("- ")
    assert first.startswith("ANHA, news outlet (pro-Kurdish; carried by Syria Direct): YPG forces captures 27 IS corpses")
    assert a.citations[0].attribution["speaker"] == "ANHA"
    b = sample.ask("Who said IS aims to control Tel Khanzir?", as_of="2015-03-25")
    lines = [line.removeprefix("- ") for line in b.text.split("\n")]
    assert lines[0].startswith("Roman Yusef, the Al-Hasakah-based activist (carried by Syria Direct): IS “aims to control")
    assert all(not line.startswith("Syria Direct, in its own reporting") for line in lines[:1])  # the attributed first
