"""Who is someone: their role and affiliation as the article states them, then what they said, cited."""

from __future__ import annotations

from qa.analysis.people import asked_about, same_person


def test_the_name_a_who_is_question_asks_about():
    assert asked_about("Where does Khalid Iskef work?") == "Khalid Iskef"
    assert asked_about("In the 2025 Virginia governor's race, who is Winsome Earle-Sears?") == "Winsome Earle-Sears"
    assert asked_about("What kind of outlet is ANHA?") == "ANHA"
    assert asked_about("Who is the source of the report?") is None
    assert same_person("Alireza Tangsiri", "Bart Jansen Alireza Tangsiri") and same_person("Tangsiri", "Alireza Tangsiri")
    assert not same_person("Jansen", "Bart Jansen Alireza Tangsiri") and not same_person("Ali Tangsiri", "Alireza Tangsiri")


def test_who_is_answers_with_the_stated_role_then_what_they_said(sample):
    a = sample.ask("Where does Khalid Iskef work?", as_of="2015-03-25")
    assert a.kind == "who_is" and not a.not_found
    first = a.text.split("\n")[0]
    assert first.startswith("Khalid Iskef: a Syria-based correspondent for the Lebanese pro-regime news channel Al-Mayadeen")
    assert "stated leaning pro-regime" in first
    cited = a.citations[0]
    assert "Khalid Iskef, a Syria-based correspondent" in cited.quote and cited.attribution["speaker"] == "Khalid Iskef"
    b = sample.ask("Who is Mustafa al-Abdi?", as_of="2015-03-25")
    lines = b.text.split("\n")
    assert lines[0].startswith("Mustafa al-Abdi: senior correspondent with the Iraqi Kurdish Arta FM radio station")
    assert any(line.startswith("Mustafa al-Abdi said: “") for line in lines[1:])
    for line, claim in zip(lines[1:], b.claims[1:], strict=True):
        said = line.split("said: “", 1)[1].rsplit("”", 1)[0]
        assert said in claim.evidence[0].text  # what they said is quoted from the cited sentence
    nobody = sample.ask("Who is Jane Doe?", as_of="2015-03-25")
    assert not nobody.text.startswith("Jane Doe:")  # no relation describes her: nothing is made up


def test_coverage_lists_each_outlet_with_how_the_articles_describe_it(sample):
    a = sample.ask("Which outlets reported on the Idlib defection, and what are their leanings?", as_of="2015-03-25")
    assert a.kind == "coverage" and a.searched == "on the Idlib defection?"
    lines = a.text.split("\n")
    heads = [line.split(":", 1)[0] for line in lines]
    assert "Syria Direct (its own reporting)" in heads
    assert any(h.startswith("All4Syria (the pro-opposition news site; stated leaning pro-opposition") for h in heads)
    for line, claim in zip(lines, a.claims, strict=True):
        assert all(" ".join(e.text.split()) in line for e in claim.evidence)  # what it reported, quoted and cited


def test_outlets_described_with_a_leaning(sample):
    a = sample.ask("Which outlets are described as pro-regime?", as_of="2015-03-25")
    assert a.kind == "who_is" and a.text.startswith("Al-Mayadeen: the Lebanese pro-regime news channel Al-Mayadeen")
    assert "pro-regime news channel Al-Mayadeen" in a.citations[0].quote
    b = sample.ask("Which outlets are pro-Kurdish?", as_of="2015-03-25")
    names = [line.split(":", 1)[0] for line in b.text.split("\n")]
    assert set(names) == {"Adar Press", "ANHA"} and "ANHA: news outlet; stated leaning pro-Kurdish" in b.text


def test_someone_who_does_not_speak_is_described_by_the_apposition_after_their_name(fresh, tmp_path):
    from tests.conftest import write

    a = fresh()
    a.ingest(write(tmp_path / "race.md", "---\ntitle: Governor race tightens\nsource: Wire A\ndate: 2025-11-03\n---\n"
                   "Governor race tightens\n\nNotably absent was Winsome Earle-Sears, the Republican running for Virginia "
                   "governor, who was never endorsed by name. Polls showed a close race in the final week of campaigning.\n"))
    ans = a.ask("Who is Winsome Earle-Sears?", as_of="2025-11-04")
    assert ans.kind == "who_is"
    assert ans.text.startswith("Winsome Earle-Sears: the Republican running for Virginia governor, as Wire A describes them.")
    assert "Winsome Earle-Sears, the Republican running for Virginia governor" in ans.citations[0].quote
    other = a.ask("Who is Jane Doe?", as_of="2025-11-04")
    assert not other.text.startswith("Jane Doe:")
