"""Across articles: corroboration of cited claims, conflicting figures, wire copies, stance
(real model, real index, real CLI)."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.html import corroboration_html
from corpus.text.figures import conflicting, figures
from qa.analysis.corroboration import summary
from qa.analysis.report_questions import is_corroboration_question

BOMBING = [
    {"id": "reuters-qamishli", "title": "Car bomb kills dozens at Qamishli market", "source": "Reuters", "date": "2016-07-27",
     "text": "Car bomb kills dozens at Qamishli market\n\nAt least 45 people were killed when a car bomb exploded at a "
             "crowded market in the Syrian city of Qamishli on Tuesday, local officials said.\n\nThe blast struck the "
             "central vegetable market shortly after noon. Ambulances carried the wounded to the city's two hospitals.\n\n"
             "No group immediately claimed responsibility for the attack."},
    {"id": "kurdistan24-qamishli", "title": "Qamishli market bombing toll rises", "source": "Kurdistan24", "date": "2016-07-27",
     "text": "Qamishli market bombing toll rises\n\nA car bomb that exploded at a crowded market in Qamishli on Tuesday "
             "killed 33 people, the Kurdish Red Crescent said.\n\nRescue teams searched the rubble of the market through the night."},
    {"id": "dailystar-qamishli", "title": "Car bomb kills dozens at Qamishli market", "source": "Daily Star", "date": "2016-07-27",
     "text": "Car bomb kills dozens at Qamishli market (Reuters)\n\nAt least 45 people were killed when a car bomb exploded "
             "at a crowded market in the Syrian city of Qamishli on Tuesday, local officials said.\n\nThe blast struck the "
             "central vegetable market shortly after noon. Ambulances carried the wounded to the city's two hospitals."},
    {"id": "sana-qamishli", "title": "Officials deny market bombing reports", "source": "SANA", "date": "2016-07-28",
     "text": "Officials deny market bombing reports\n\nGovernment officials denied that a car bomb had exploded at the "
             "market in Qamishli on Tuesday, calling the reports of dozens killed false.\n\nThe governor said the city was calm."},
    {"id": "weather-damascus", "title": "Heat wave in Damascus", "source": "Reuters", "date": "2016-07-27",
     "text": "Heat wave in Damascus\n\nTemperatures in Damascus reached 44 degrees on Tuesday, the meteorological office "
             "said, and power cuts lasted most of the day."},
]


@pytest.fixture(scope="module")
def bombing(tmp_path_factory, embedder):
    from qa import Assistant

    d = tmp_path_factory.mktemp("bombing")
    src = d / "articles.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in BOMBING), encoding="utf-8")
    a = Assistant(home=d / "home", embedder=embedder)
    assert a.ingest(src).added == len(BOMBING)
    return a


def _cited(ans, article_id):
    return next(c for c in ans.citations if c.article_id == article_id and c.corroboration)


def test_figures_count_things_and_leave_dates_years_and_vague_amounts_out():
    got = [(f.value, f.unit, f.text) for f in figures("At least 45 people were killed on March 20, 2016, and dozens fled.")]
    assert got == [(45.0, "killed", "At least 45 people were killed")]
    got = [(f.value, f.unit, f.text) for f in figures("The army captured 5 villages, killing 12 and wounding 40 others.")]
    assert got == [(5.0, "village", "5 villages"), (12.0, "killed", "killing 12"), (40.0, "injured", "wounding 40 others")]
    got = [(f.value, f.unit, f.text) for f in figures("The death toll from the floods rose to 143, officials said.")]
    assert got == [(143.0, "killed", "rose to 143")]  # the words that give the toll
    got = [(f.value, f.unit, f.text) for f in figures("The death toll has surged past 5,000 after a devastating earthquake.")]
    assert got == [(5000.0, "killed", "surged past 5,000")]  # not 5,000 "devastating"
    got = [(f.value, f.unit) for f in figures("Rescuers found 29 during the night and 12 in the rubble.")]
    assert got == []  # a number that names nothing it counts is no figure
    got = [(f.value, f.unit, f.text) for f in figures("Lawmakers voted 101-6 to remove him; the toll road costs 5 dollars.")]
    assert got == [(101.0, "votes", "101-6"), (5.0, "dollar", "5 dollars")]
    pairs = conflicting("At least 45 people were killed.", "The attack killed 33 people and injured 45.")
    assert [(a.text, b.text) for a, b in pairs] == [("At least 45 people were killed", "killed 33 people")]


def test_a_claim_carries_who_else_reports_it_with_conflicting_figures(bombing):
    ans = bombing.ask("How many people were killed by the car bomb at the Qamishli market?", as_of="2016-07-28")
    kurd = _cited(ans, "kurdistan24-qamishli")
    corr = kurd.corroboration
    assert set(corr) == {"independent_outlets", "carried_by", "supports", "disputes", "discusses", "conflicts"}
    figs = {(c["source"], c["figure"], c["claim_figure"]) for c in corr["conflicts"]}
    assert ("Reuters", "At least 45 people were killed", "killed 33 people") in figs or \
        ("Daily Star", "At least 45 people were killed", "killed 33 people") in figs
    for item in [*corr["supports"], *corr["disputes"], *corr["discusses"], *corr["conflicts"]]:
        text = next(a["text"] for a in BOMBING if a["id"] == item["article_id"])
        assert text[item["start"]:item["end"]] == item["quote"]  # citation-shaped, exact
        assert item["article_id"] != "kurdistan24-qamishli" and "attribution" in item
    assert "weather-damascus" not in {i["article_id"] for k in ("supports", "disputes", "discusses") for i in corr[k]}
    assert ans.to_dict()["citations"][[c.marker for c in ans.citations].index(kurd.marker)]["corroboration"] == corr
    assert "figures differ" in summary(corr)
    html = corroboration_html(kurd)
    assert "<details" in html and "figures differ" in html and "killed 33 people" not in html.split("</summary>")[0]


def test_a_wire_copy_is_not_a_second_outlet_and_a_denial_disputes(bombing):
    ans = bombing.ask("How many people were killed by the car bomb at the Qamishli market?", as_of="2016-07-28")
    c = next(c for c in ans.citations if c.article_id in ("reuters-qamishli", "dailystar-qamishli")
             and c.quote.startswith("At least 45"))
    corr = c.corroboration
    items = {i["article_id"]: i for k in ("supports", "disputes", "discusses") for i in corr[k]}
    copy = "dailystar-qamishli" if c.article_id == "reuters-qamishli" else "reuters-qamishli"
    assert copy in items and items[copy]["independent"] is False  # the same words: the same account
    assert items["kurdistan24-qamishli"]["independent"] is True
    assert items["sana-qamishli"]["stance"] == "disputes"
    assert corr["independent_outlets"] == 2  # Kurdistan24 and SANA, not the copy
    assert corr["carried_by"] == 3  # Reuters and its copy in the Daily Star, Kurdistan24 (SANA denies it)
    assert summary(corr).startswith("also reported by 2 independent outlets · 1 disputes")
    assert c.copy_group == "reuters-qamishli" and c.copies == 2  # grouped at ingest (index.copies)
    assert summary({**corr, "carried_by": 9}).startswith("also reported by 2 independent outlets; carried by 9 · ")


def test_do_the_reports_agree_is_answered_with_every_figure_cited(bombing):
    q = "Do the reports agree on the number of people killed in the Qamishli market bombing?"
    assert is_corroboration_question(q) and is_corroboration_question("Which outlets reported the Qamishli bombing?")
    assert not is_corroboration_question("How many people were killed in Qamishli?")
    ans = bombing.ask(q, as_of="2016-07-28")
    assert "The figures differ (killed)" in ans.text
    assert "“killed 33 people”" in ans.text and "“At least 45 people were killed”" in ans.text
    cited = {c.article_id for c in ans.citations}
    assert {"kurdistan24-qamishli", "sana-qamishli"} <= cited and cited & {"reuters-qamishli", "dailystar-qamishli"}
    for c in ans.citations:
        text = next(a["text"] for a in BOMBING if a["id"] == c.article_id)
        assert text[c.start:c.end] == c.quote


def test_a_figure_question_quotes_each_outlets_own_figure(fresh):
    """The other articles' answers to the question itself, not only reports of the answer's first
    claim: each outlet's figure is quoted and cited, the figures compared."""
    from corpus import Article

    a = fresh()
    a.ingest([
        Article("sindh-a", "Floods sweep Sindh", "Floodwaters swept through villages in Sindh province on Monday, destroying "
                "crops and homes. The provincial disaster authority said at least 120 people died in the floods.",
                source="Daily A", date="2024-08-20"),
        Article("sindh-b", "Rescue boats reach Sindh", "Rescue boats reached stranded families in Sindh on Tuesday. The death "
                "toll from the Sindh floods rose to 143, officials said.", source="Wire B", date="2024-08-21"),
        Article("sindh-c", "Aid for Sindh", "Aid agencies appealed for tents and clean water for the flood victims of Sindh.",
                source="Gazette C", date="2024-08-21"),
        Article("other-0", "Markets rally", "Stocks in Karachi rose on Tuesday as the central bank held interest rates steady, traders said.", source="Gazette C", date="2024-08-21"),
        Article("other-1", "Cricket", "Pakistan beat England by six wickets in the second test in Multan on Monday.", source="Gazette C", date="2024-08-21"),
        Article("other-2", "Heat in Lahore", "Temperatures in Lahore reached 45 degrees, and the power company announced new cuts.", source="Gazette C", date="2024-08-21"),
    ])
    ans = a.ask("What death toll did news outlets report for the Sindh floods, and do the figures agree?", as_of="2024-08-22")
    cited = {c.article_id for c in ans.citations}
    assert {"sindh-a", "sindh-b"} <= cited and "sindh-c" not in cited
    assert "at least 120 people died" in ans.text and "rose to 143" in ans.text
    for c in ans.citations:
        assert a.snapshot().article(c.article_id)["text"][c.start:c.end] == c.quote


def test_figures_of_other_events_are_not_reports_of_this_one(fresh):
    """A list of past quakes beside this one: a figure from another year, or for a quake of another
    magnitude than the one asked about, is not a report of it."""
    from corpus import Article

    a = fresh()
    a.ingest([
        Article("lorca-a", "Quake hits Lorca", "A magnitude-6.2 earthquake struck Lorca on May 11, 2024, toppling church "
                "towers. At least 9 people were killed in Lorca, officials said.", source="Daily A", date="2024-05-11"),
        Article("lorca-b", "Lorca counts its dead", "Rescuers in Lorca searched collapsed homes on Sunday. The death toll "
                "from the Lorca earthquake rose to 12, the mayor said.", source="Wire B", date="2024-05-12"),
        Article("lorca-c", "Before Lorca: Spain's deadliest quakes", "The Lorca earthquake is not the first to strike the "
                "region. In 1884, an earthquake in Andalusia killed 1,200 people. A magnitude 7.1 earthquake killed 300 "
                "people in Granada.", source="Gazette C", date="2024-05-12"),
        Article("other-0", "Markets rally", "Stocks in Madrid rose on Tuesday as the central bank held interest rates steady.",
                source="Gazette C", date="2024-05-12"),
        Article("other-1", "Football", "Real Madrid beat Sevilla by two goals on Sunday night.", source="Gazette C", date="2024-05-12"),
    ])
    ans = a.ask("What death toll did outlets report for the magnitude-6.2 earthquake in Lorca on May 11, 2024, and do "
                "the reports agree?", as_of="2024-05-13")
    cited = {c.article_id for c in ans.citations}
    assert {"lorca-a", "lorca-b"} <= cited
    assert "rose to 12" in ans.text and "At least 9 people were killed" in ans.text
    assert "1,200" not in ans.text and "killed 300" not in ans.text


def test_corroboration_can_be_switched_off(bombing):
    ans = bombing.ask("How many people were killed by the car bomb at the Qamishli market?", as_of="2016-07-28", corroborate=False)
    assert ans.citations and all(c.corroboration is None for c in ans.citations)
    assert all("corroboration" not in c for c in ans.to_dict()["citations"])


def test_stance_of_a_text_toward_a_claim(bombing):
    claim = "A car bomb killed 45 people at a market in Qamishli"
    deny = bombing.stance(claim, BOMBING[3]["text"])
    assert deny["stance"] == "disputes" and any("denied" in r for r in deny["reasons"])
    s, e = deny["sentence"]
    assert "denied" in BOMBING[3]["text"][s:e]
    assert bombing.stance(claim, BOMBING[4]["text"])["stance"] == "unrelated"
    hedged = bombing.stance(claim, "A car bomb reportedly killed 45 people at a market in Qamishli, unconfirmed reports said.")
    assert hedged["stance"] == "discusses"
    assert bombing.stance(claim, "Officials confirmed that a car bomb killed 45 people at a market in Qamishli.")["stance"] == "supports"
    from qa.errors import BadQuestion

    with pytest.raises(BadQuestion):
        bombing.stance(claim, "   ")


def test_qa_stance_labels_pairs_from_gzipped_jsonl(tmp_path, bombing):
    pairs = tmp_path / "pairs.jsonl.gz"
    with gzip.open(pairs, "wt") as fh:
        for i, (claim, body) in enumerate([("A car bomb killed 45 people in Qamishli", "sana"),
                                           ("A car bomb killed 45 people in Qamishli", "weather"),
                                           ("A car bomb killed 45 people in Qamishli", "missing")]):
            fh.write(json.dumps({"id": f"p{i}", "claim": claim, "body_id": body}) + "\n")
    bodies = tmp_path / "bodies.jsonl"
    bodies.write_text(json.dumps({"id": "sana", "text": BOMBING[3]["text"]}) + "\n"
                      + json.dumps({"id": "weather", "text": BOMBING[4]["text"]}) + "\n", encoding="utf-8")
    out = tmp_path / "labels.jsonl"
    r = CliRunner().invoke(app, ["stance", "--pairs", str(pairs), "--bodies", str(bodies), "--json", str(out), "-q"])
    assert r.exit_code == 0, r.output
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert got == [{"id": "p0", "stance": "disagree"}, {"id": "p1", "stance": "unrelated"}, {"id": "p2", "stance": "unrelated"}]
    assert "1 pair(s) name a body that is not in" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "claim": "c"}\nnot json\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["stance", "--pairs", str(bad), "--bodies", str(bodies)])
    assert r.exit_code == 1 and "line 1: missing body_id" in r.output and "Traceback" not in r.output


def test_a_sentence_sharing_no_words_with_a_claim_is_not_compared_by_meaning(bombing):
    from qa.analysis.corroboration import WORDLESS_COSINE, Corroborator
    from qa.analysis.stance import relatedness

    c = Corroborator(bombing.snapshot(), bombing.embedder, bombing.settings.answer)
    claim = "At least 45 people were killed when a car bomb exploded at a crowded market in Qamishli."
    assert c._may_relate(claim, "A car bomb that exploded at a crowded market in Qamishli killed 33 people.")
    unrelated = "Temperatures in Damascus reached 44 degrees on Tuesday, the meteorological office said."
    assert not c._may_relate(claim, unrelated)
    # even a cosine this high would not have made it a report of the claim
    assert relatedness(claim, unrelated, WORDLESS_COSINE) < bombing.settings.answer.corroboration_related
