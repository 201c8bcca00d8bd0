"""An answer is a list of claims backed by evidence: selection, writing and rendering are separate
steps, and another writer plugs in without touching the others."""

from __future__ import annotations

from corpus import load_articles
from qa.answer.assemble import assemble
from qa.answer.compose import compose
from qa.answer.evidence import select_evidence
from qa.retrieval.term_weights import TermWeights
from qa.types import Claim
from tests.conftest import SAMPLE

ARTICLES = {a.id: a for a in load_articles(SAMPLE).articles}
QUESTION = "How many IS fighters were reportedly killed near Kobani?"


def test_claims_carry_the_evidence_each_citation_shows(sample):
    ans = sample.ask(QUESTION)
    assert ans.claims and len(ans.claims) == len(ans.citations)
    for claim, cite in zip(ans.claims, ans.citations, strict=True):
        (e,) = claim.evidence
        assert claim.how == "quoted" and claim.text == " ".join(e.text.split())
        assert (e.article_id, e.start, e.end, e.text) == (cite.article_id, cite.start, cite.end, cite.quote)
        assert ARTICLES[e.article_id].text[e.start : e.end] == e.text
        assert {"fused", "passage_rank"} <= set(e.scores)
    d = ans.to_dict()
    assert [c["markers"] for c in d["claims"]] == [[c.marker] for c in ans.citations]


class TwoSourceWriter:
    """A writer of its own: one claim that rests on every piece of evidence, plus one on the first."""

    name = "two-source"

    def write(self, question, evidence):
        return [Claim("Summary of all the evidence.", tuple(evidence), "generated"), Claim("First again.", (evidence[0],))]


def test_another_writer_plugs_in_and_markers_are_numbered_by_first_use(sample):
    snap = sample.snapshot()
    hits = sample.retrieve(QUESTION)
    qv = sample.embedder.embed_query(QUESTION)
    vecs = snap.vectors([h.passage.pid for h in hits])
    terms = TermWeights(snap)
    sel = select_evidence(QUESTION, hits, sample.embedder, sample.settings.answer, terms=terms,
                          passage_vectors=vecs, query_vector=qv)
    assert sel.found and len(sel.evidence) >= 2
    ans = compose(QUESTION, hits, sample.embedder, sample.settings.answer, terms=terms, passage_vectors=vecs,
                  query_vector=qv, writer=TwoSourceWriter())
    n = len(sel.evidence)
    assert ans.text == "Summary of all the evidence. " + " ".join(f"[{i}]" for i in range(1, n + 1)) + " First again. [1]"
    assert [c.marker for c in ans.citations] == list(range(1, n + 1))  # each cited evidence once
    assert [c.quote for c in ans.citations] == [e.text for e in sel.evidence]
    assert ans.to_dict()["claims"][0]["how"] == "generated"


def test_no_claims_render_as_not_found():
    ans = assemble("Anything?", [])
    assert ans.not_found and ans.citations == () and ans.text == "The indexed articles do not answer this."
