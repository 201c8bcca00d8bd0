"""Agreement questions: the figures side by side with who gives each, and a verdict, on the real sample."""

from __future__ import annotations

from qa.analysis.agreement import agreement_claims


def test_figures_side_by_side_with_a_verdict_and_no_other_event(sample):
    a = sample.ask("Do the sources agree on how many IS fighters were killed?", as_of="2015-03-25")
    d = a.to_dict()
    assert d["kind"] == "agreement"
    lines = a.text.split("\n")
    assert lines[0].startswith("The figures differ (killed): Syria Direct gives 43; ANHA (pro-Kurdish; carried by Syria Direct) gives 27.")
    assert any(line.startswith("ANHA (pro-Kurdish; carried by Syria Direct): “27 IS corpses”") for line in lines)
    assert "45" not in a.text  # the Nowruz car bombs' toll is another event: the question names IS
    quotes = {c.marker: c.quote for c in a.citations}
    assert any("43 IS fighters" in q for q in quotes.values()) and any("27 IS corpses" in q for q in quotes.values())


def test_one_source_and_agreeing_sources(sample):
    ev = [c.evidence[0] for c in sample.ask("How many IS fighters were reportedly killed near Kobani?", as_of="2015-03-25").claims]
    one = agreement_claims("Do the reports agree on how many IS fighters were killed?", [e for e in ev if "43" in e.text])
    assert one[0].text == "Only one source gives a figure (killed): Syria Direct, 43."
    assert agreement_claims("Do the reports agree on how much was paid?", ev) is None  # no figure of that kind
