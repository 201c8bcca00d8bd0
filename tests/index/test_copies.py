"""Copies found at ingest (``index.copies``): a republished wire story joins the group of the
report it copies, a distinct report on the same story does not; groups follow removals, reach
citations, ``qa stats`` and an index built before they were kept."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from app.cli import app
from corpus import Article
from index.copies import shingles, signatures, similarity
from index.db import connect

WIRE = ("Flood waters swept through the riverside districts of Deir ez-Zor on Friday, forcing thousands of "
        "families from their homes, local officials said. The Euphrates rose more than two metres overnight "
        "after heavy rain upstream in Turkey, and water reached the ground floors of houses near the old "
        "suspension bridge. Civil defence teams used boats to carry elderly residents to schools on higher "
        "ground, where the council opened shelters. Farmers said the flood destroyed wheat fields that were "
        "days from harvest, and the price of bread in the city market doubled by the afternoon.")
EDITED = ("DEIR EZ-ZOR, Syria (Wire) - " + WIRE.replace("on Friday", "on Friday morning")
          .replace("local officials said", "local officials told reporters") + " More rain is expected on Sunday.")
OWN = ("Residents of Deir ez-Zor described a night of panic as the Euphrates burst its banks. Um Khaled, a "
       "mother of four, said the water was at her knees when she woke and that her family left with nothing. "
       "A council member said the city had no pumps to drain the streets and asked aid groups for help. Our "
       "correspondent saw boats moving between flooded houses near the bridge on Friday evening, and the "
       "wheat harvest in the villages east of the city appeared lost, farmers said.")


def _articles():
    return [Article("wire-flood", "Floods hit Deir ez-Zor", WIRE, source="Wire Agency", date="2021-04-02"),
            Article("paper-flood", "Deir ez-Zor under water", EDITED, source="Daily Paper", date="2021-04-02"),
            Article("own-flood", "A night of panic in Deir ez-Zor", OWN, source="Local Radio", date="2021-04-03"),
            Article("short", "Brief", "Floods in Deir ez-Zor.", source="Wire Agency", date="2021-04-02")]


def test_signatures_estimate_the_overlap_of_word_shingles():
    a, b, c = signatures([WIRE, EDITED, OWN])
    assert similarity(a, b) >= 0.5 > similarity(a, c)
    true = len(shingles(WIRE) & shingles(EDITED)) / len(shingles(WIRE) | shingles(EDITED))
    assert abs(similarity(a, b) - true) < 0.15
    assert signatures(["too short to tell a copy by"]) == [None]


def test_a_copy_joins_its_report_and_a_report_of_its_own_does_not(fresh):
    a = fresh()
    r = a.ingest(_articles())
    assert r.copies == 1
    snap = a.snapshot()
    assert [m["id"] for m in snap.copies_of("paper-flood")] == ["wire-flood", "paper-flood"]
    assert snap.copies_of("own-flood") == [] and snap.copies_of("short") == []
    assert a.stats()["copy_groups"] == {"groups": 1, "articles": 2}
    ans = a.ask("What did the flood in Deir ez-Zor do to the price of bread?")
    cited = {c.article_id: c for c in ans.citations}
    assert {"wire-flood", "paper-flood"} & set(cited)
    for c in ans.to_dict()["citations"]:
        want = "wire-flood" if c["article_id"] in ("wire-flood", "paper-flood") else None
        assert c["copy_group"] == want and c["copies"] == (2 if want else 1)
    quotes = [" ".join(c.quote.lower().split()) for c in ans.citations]
    assert len(quotes) == len(set(quotes))  # the copies' shared sentence is quoted once

    out = CliRunner().invoke(app, ["stats", "--home", str(a.paths.home)])
    assert "1 group(s) of copies holding 2 articles (3 distinct reports)" in out.output
    assert json.loads(CliRunner().invoke(app, ["stats", "--json", "--home", str(a.paths.home)]).output)["copy_groups"] == \
        {"groups": 1, "articles": 2}

    a.remove(["wire-flood"])  # the group keeps its name; one article left is no group
    assert a.snapshot().copies_of("paper-flood") == [] and a.stats()["copy_groups"]["groups"] == 0
    a.ingest([Article("again", "Floods hit Deir ez-Zor", WIRE, source="Other Wire", date="2021-04-02")])
    assert [m["id"] for m in a.snapshot().copies_of("again")] == ["paper-flood", "again"]


def test_an_index_written_before_copies_were_kept_is_grouped_by_the_next_write(fresh):
    a = fresh()
    a.ingest(_articles())
    con = connect(a.paths.db)
    with con:
        con.execute("DELETE FROM copies")
        con.execute("DELETE FROM copy_bands")
    con.close()
    assert a.snapshot().copies_of("paper-flood") == []  # nothing grouped: an older index
    a.ingest([Article("unrelated", "Bridge", "The bridge reopened. " * 3, source="X")])
    assert len(a.snapshot().copies_of("paper-flood")) == 2
