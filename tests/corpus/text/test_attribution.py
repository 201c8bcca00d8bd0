"""Who says so: attribution at ingest (real spaCy model, real index), outlet profiles, citations
that carry their source, source filters, and bad input that gets no attribution rather than a wrong one."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from corpus import Article, load_articles
from corpus.text.attribution import Extractor
from tests.conftest import SAMPLE, copy_of

ARTICLES = {a.id: a for a in load_articles(SAMPLE).articles}
EX = Extractor()


def _relations(article_id):
    a = ARTICLES[article_id]
    return EX.extract(a.id, a.text, a.source)


def _about(rels, words):
    found = [r for r in rels if words in r.content.text or words in (r.source.text if r.source else "")]
    assert found, words
    return found[0]


def test_every_span_is_exact_text_of_the_article():
    for aid, a in ARTICLES.items():
        for r in _relations(aid):
            for span in (r.source, r.cue, r.content):
                assert span is None or a.text[span.start : span.end] == span.text
            assert r.carrier == "Syria Direct"


def test_sources_affiliations_and_leanings_of_the_bundled_articles():
    tel = _relations("syria-direct-2015-03-tel-khanzir")
    iskef = _about(tel, "staved off the assault")
    assert iskef.speaker == "Khalid Iskef" and "Al-Mayadeen" in iskef.affiliation and iskef.leaning == "pro-regime"
    assert iskef.role.startswith("a Syria-based correspondent") and iskef.cue.text == "said" and iskef.kind == "indirect"
    kobani = _relations("syria-direct-2015-03-kobani-villages")
    anha = _about(kobani, "27 IS corpses")
    assert (anha.speaker, anha.leaning, anha.cue.text) == ("ANHA", "pro-Kurdish", "reported")
    adar = _about(kobani, "Revenge for the Martyrs")
    assert (adar.speaker, adar.leaning) == ("Adar Press", "pro-Kurdish")
    quotes = [r for r in kobani if r.kind == "direct"]
    assert [r.speaker for r in quotes] == ["Mustafa al-Abdi", "Mustafa al-Abdi"]
    assert quotes[1].source.text == "al-Abdi" and quotes[1].cue.text == "added"  # resolved to the full name
    assert "Arta FM radio station" in quotes[1].affiliation  # what the article said of him at first mention
    assert quotes[0].content.text.startswith("“Clashes") and quotes[0].content.text.endswith("Kobani,”")
    idlib = _relations("syria-direct-2015-03-idlib-defection")
    a4s = _about(idlib, "five officers and 45 soldiers")
    orient = _about(idlib, "Jaish al-Fatah announced its formation")
    assert (a4s.speaker, a4s.leaning, orient.speaker, orient.leaning) == ("All4Syria", "pro-opposition", "Orient News", "pro-opposition")
    assert orient.content.text == "Jaish al-Fatah announced its formation this Tuesday"
    assert not any(r.speaker == "Jaish al-Fatah" for r in idlib)  # the announcement is Orient News's report


def test_multi_sentence_quote_and_he_said_continuation():
    text = ("Residents fled the town on Monday.\n\n“The city is calm now. We have not seen fighting since Monday. "
            "Everyone is waiting,” said Ahmed Khalil, a doctor in Raqqa. He said the hospital had run out of fuel.\n\n"
            '"We need help," said the mayor, Sami Haddad. "Nobody has come."')
    rels = EX.extract("fixture", text, "Wire")
    first, second, third = rels
    assert first.kind == "direct" and first.content.text.startswith("“The city is calm now.") and first.speaker == "Ahmed Khalil"
    assert first.role == "a doctor in Raqqa"
    assert second.source.text == "He" and second.speaker == "Ahmed Khalil" and second.role == "a doctor in Raqqa"
    assert third.speaker == "Sami Haddad" and third.role == "the mayor" and third.content.text.endswith('"Nobody has come."')


def test_a_quote_that_goes_on_in_the_next_paragraph_and_cues_beyond_say():
    text = ("“All of us are fearful of that,” Collins told MSNBC.\n\n“So the best way we do it, we get to 1,237. Game over.”\n\n"
            "Former Florida Gov. Jeb Bush praised the plan on Tuesday. Sanders also called for a special prosecutor.\n\n"
            "In the three years since the shootings, Barden says, far too many lives have been lost. "
            "Clinton pointed out that the vote was close. “Only you,” Kasich said, “would call that a win.”")
    rels = {r.cue.text: r for r in EX.extract("fixture", text, "Wire")}
    told = rels["told"]  # the next paragraph is one quotation with no cue of its own: the same speaker goes on
    assert told.kind == "direct" and told.content.text.endswith("Game over.”") and told.speaker == "Collins"
    praised = rels["praised"]  # "Gov." does not end the sentence; the object is what is attributed
    assert praised.source.text == "Former Florida Gov. Jeb Bush" and praised.content.text == "the plan"
    called = rels["also called for"]  # the adverb and the preposition are part of the cue, as PARC marks them
    assert called.source.text == "Sanders" and called.content.text == "a special prosecutor"
    says = rels["says"]  # a cue inside its content: the content is kept by its extent
    assert says.source.text == "Barden" and says.content.text.startswith("In the three years") and says.content.text.endswith("lost")
    said = rels["said"]  # a quotation split by its cue is one quotation
    assert said.kind == "direct" and said.content.text == "“Only you,” Kasich said, “would call that a win.”"
    pointed = rels["pointed out"]
    assert pointed.source.text == "Clinton" and pointed.content.text == "that the vote was close"
    for r in rels.values():
        for span in (r.source, r.cue, r.content):
            assert text[span.start : span.end] == span.text


def test_a_title_before_its_name_a_day_is_not_a_name_and_physical_verbs_are_not_cues():
    text = ("“The talks are over,” the minister’s spokesman, Omar Khaled, told reporters on Sunday. "
            "A survey released Oct. 23 found that turnout fell. Aftershocks slammed the border region overnight. "
            "Prime Minister Theresa May said the talks were over.")
    rels = EX.extract("fixture", text, "Wire")
    told, found, may = rels
    assert may.speaker == "Prime Minister Theresa May"  # a month's name is a name unless a day follows it
    assert (told.source.text, told.speaker, told.role) == ("the minister’s spokesman, Omar Khaled", "Omar Khaled", "the minister’s spokesman")
    assert found.source.text == "A survey released Oct. 23" and found.speaker != "Oct."
    assert not any(r.cue.text == "slammed" for r in rels)  # a physical act, not a statement


@pytest.mark.parametrize("text", [
    "He said “this quote never closes and goes on and on.",  # unbalanced quote marks
    "“Closed quote without an opening,” and then nothing.”",
    "Officials said " + ", and ".join(f"village {i} was shelled" for i in range(400)) + ".",  # a very long sentence
    "Die Regierung sagte am Dienstag, dass die Verhandlungen gescheitert seien. 政府は交渉が決裂したと述べた。",
    "The bridge reopened on Monday. Traffic was light. The weather was mild.",  # no attribution at all
    "", "said said said", "“”", "According to",
])
def test_bad_input_gives_no_crash_and_no_invented_attribution(text):
    rels = EX.extract("bad", text, "Wire")
    for r in rels:
        for span in (r.source, r.cue, r.content):
            assert span is None or text[span.start : span.end] == span.text
    if "bridge reopened" in text or text in ("", "said said said", "“”", "According to"):
        assert rels == []
    if text.startswith("Die Regierung"):
        assert all(r.leaning is None and r.role is None for r in rels)


@pytest.fixture(scope="module")
def attributed(tmp_path_factory, sample_home, embedder):
    """The sample home, copied: this module writes an outlets.yaml into it."""
    return copy_of(sample_home, tmp_path_factory.mktemp("attributed") / "home", embedder)


def test_relations_are_stored_at_ingest_and_read_back(attributed):
    stored = attributed.attributions("syria-direct-2015-03-kobani-villages")
    assert [r["speaker"] for r in stored if r["kind"] == "direct"] == ["Mustafa al-Abdi", "Mustafa al-Abdi"]
    assert set(stored[0]) == {"article_id", "source", "cue", "content", "speaker", "kind", "role", "affiliation", "leaning", "carrier"}
    assert attributed.attributions("no-such-article") == []


def test_citations_carry_the_attribution_that_covers_their_quote(attributed):
    ans = attributed.ask("Who attacked Tel Khanzir, and why?", as_of="2015-03-25")
    by_quote = {c.quote[:30]: c.attribution for c in ans.citations}
    assert by_quote["IS “aims to control Tel Khanzi"]["speaker"] == "Roman Yusef"
    located = next(a for q, a in by_quote.items() if q.startswith("Tel Khanzir is located"))
    assert located["kind"] == "unattributed" and located["carrier"] == "Syria Direct" and located["speaker"] is None
    d = ans.to_dict()
    assert all("attribution" in c for c in d["citations"])


@pytest.mark.parametrize(("question", "speaker"), [
    ("What did Khalid Iskef say?", "Khalid Iskef"),
    ("What did the activist say about Tel Khanzir?", "Roman Yusef"),
    ("According to the Lebanese channel, what happened at Tel Khanzir?", "Khalid Iskef"),
    ("Which radio stations are quoted?", "Mustafa al-Abdi"),
    ("Who told Syria Direct about the clashes near Kobani?", "Mustafa al-Abdi"),
])
def test_questions_about_sources_are_answered_from_the_attributions(attributed, question, speaker):
    ans = attributed.ask(question, as_of="2015-03-25")
    assert not ans.not_found and ans.citations[0].attribution["speaker"] == speaker


def test_source_and_leaning_filters(attributed):
    ans = attributed.ask("What happened in the fighting?", leanings=["pro-Kurdish"], as_of="2015-03-25")
    assert ans.citations and all(c.attribution["leaning"] == "pro-Kurdish" for c in ans.citations)
    ans = attributed.ask("What happened in the fighting?", speakers=["al-Abdi"], as_of="2015-03-25")
    assert ans.citations and all(c.attribution["speaker"] == "Mustafa al-Abdi" for c in ans.citations)
    assert attributed.ask("What happened?", speakers=["Nobody Known"]).not_found
    r = CliRunner().invoke(app, ["ask", "What happened in the fighting?", "--home", str(attributed.paths.home),
                                 "--leaning", "pro-opposition", "--json", "--as-of", "2015-03-25"])
    assert r.exit_code == 0, r.output
    assert {c["attribution"]["speaker"] for c in json.loads(r.output)["citations"]} <= {"All4Syria", "Orient News"}


def test_outlet_profiles_and_the_users_outlets_yaml(attributed):
    profiles = {p["name"]: p for p in attributed.outlets()}
    for name, leaning in [("ANHA", "pro-Kurdish"), ("Adar Press", "pro-Kurdish"), ("All4Syria", "pro-opposition"),
                          ("Orient News", "pro-opposition"), ("Al-Mayadeen", "pro-regime")]:
        (lean,) = profiles[name]["leaning"]
        assert lean["value"] == leaning
        cite = lean["citations"][0]
        assert ARTICLES[cite["article_id"]].text[cite["start"] : cite["end"]] == cite["quote"] and name in cite["quote"]
    assert profiles["Al-Mayadeen"]["kind"][0]["value"] == "TV" and profiles["Al-Mayadeen"]["country"][0]["value"] == "Lebanese"
    assert profiles["Arta FM"]["leaning"] == []  # none stated: none shown
    out = CliRunner().invoke(app, ["outlets", "--home", str(attributed.paths.home)])
    assert out.exit_code == 0 and "ANHA: kind news outlet; leaning pro-Kurdish" in out.output
    yaml_file = attributed.paths.home / "outlets.yaml"
    yaml_file.write_text("outlets:\n  - name: ANHA\n    aliases: [Hawar News Agency]\n    kind: news agency\n    leanings: [pro-PYD]\n")
    try:
        edited = {p["name"]: p for p in attributed.outlets()}
        assert [v["value"] for v in edited["ANHA"]["leaning"]] == ["pro-PYD"] and edited["ANHA"]["edited_by_user"]
        assert edited["ANHA"]["kind"][0]["value"] == "news agency" and "Hawar News Agency" in edited["ANHA"]["aliases"]
        yaml_file.write_text("outlets: [1, 2")
        bad = CliRunner().invoke(app, ["outlets", "--home", str(attributed.paths.home)])
        assert bad.exit_code == 1 and "outlets.yaml is not valid YAML" in bad.output and "Traceback" not in bad.output
    finally:
        yaml_file.unlink()


def test_qa_attributions_runs_on_files_without_indexing(tmp_path):
    out = tmp_path / "rel.jsonl"
    r = CliRunner().invoke(app, ["attributions", str(SAMPLE), "--json", str(out)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {"ANHA", "Mustafa al-Abdi", "Khalid Iskef"} <= {row["speaker"] for row in rows}
    for row in rows:
        text = ARTICLES[row["article_id"]].text
        for key in ("source", "cue", "content"):
            if row[key]:
                assert text[row[key]["start"] : row[key]["end"]] == row[key]["text"]
    assert not (tmp_path / "manifest.json").exists()


def test_attribution_can_be_switched_off(fresh):
    a = fresh(index={"attribution": False})
    a.ingest([Article("q1", "Report", "The minister said the bridge would reopen on Monday.", source="Wire")])
    assert a.attributions("q1") == []
    assert a.ask("When will the bridge reopen?").citations[0].attribution is None


def test_an_index_built_without_attribution_gets_it_at_the_next_ingest(fresh):
    off = fresh(index={"attribution": False})
    off.ingest(SAMPLE)
    assert off.attributions("syria-direct-2015-03-kobani-villages") == []
    on = fresh()
    report = on.ingest(SAMPLE)
    assert report.unchanged == 3 and report.passages_embedded == 0  # nothing re-embedded
    assert [r["speaker"] for r in on.attributions("syria-direct-2015-03-kobani-villages") if r["kind"] == "direct"] == \
        ["Mustafa al-Abdi", "Mustafa al-Abdi"]


@pytest.mark.parametrize(("text", "leaning"), [
    ("the pro-Kurdish ANHA news outlet", "pro-Kurdish"),
    ("China's state-run Xinhua news agency", "state-run"),
    ("the conservative news site Breitbart", "conservative"),
    ("Pro-government media", "Pro-government"),
    ("the Michigan Conservative Coalition", None),  # a name, not a stated leaning
    ("the Progressive Economy Forum", None),
])
def test_a_leaning_is_what_the_text_states_and_names_are_not_leanings(text, leaning):
    from corpus.text.attribution import stated_leaning
    from qa.analysis.outlets import describe_outlet

    assert stated_leaning(text) == leaning
    d = describe_outlet(text)
    assert d is None or d["leaning"] == leaning


def test_outlet_profiles_and_relations_agree_on_leanings():
    from qa.analysis.outlets import describe_outlet

    rel = EX.extract("x", "Prices rose, reported China's state-run Xinhua news agency on Monday.", "Wire")[0]
    assert rel.leaning == "state-run"
    assert describe_outlet("China's state-run Xinhua news agency") == {
        "name": "Xinhua", "kind": "news agency", "country": None, "leaning": "state-run"}


# sentences for the ruler's rarer patterns: two-token ones, 'there is', 'but' as an adverb, spaces
RULER_EDGES = ["Y'all gonna see, ain't it?", "There is a man who's gotta go; let's go, c'mon.", "  \n  ",
               "I'd say that it's you, but nobody knew.", "They were, but then again, it ain't over."]


def _sentences():
    from corpus.text.sentences import sentence_spans

    texts = [a.text[s:e] for a in ARTICLES.values() for s, e in sentence_spans(a.text)]
    return texts + RULER_EDGES


def test_the_fast_attribute_ruler_gives_every_token_what_spacys_component_gives():
    import spacy

    from corpus.text.nlp import MODEL
    from corpus.text.ruler import FastRuler

    nlp = spacy.load(MODEL, exclude=["ner", "lemmatizer"])
    fast = FastRuler.of(nlp.get_pipe("attribute_ruler"))
    assert fast is not None  # every pattern of the shipped pipeline is readable
    texts = _sentences()
    with nlp.select_pipes(disable=["attribute_ruler"]):
        bare = [fast(d) for d in nlp.pipe(texts)]
    ruled = list(nlp.pipe(texts))
    assert sum(len(d) for d in bare) > 500
    for a, b in zip(bare, ruled, strict=True):
        assert [(t.pos_, str(t.morph), t.lemma_) for t in a] == [(t.pos_, str(t.morph), t.lemma_) for t in b]
    assert any(t.lemma_ == "be" for d in bare for t in d if t.lower_ == "ai")  # a two-token pattern applied


def test_a_lemma_read_on_demand_is_the_lemmatizers():
    import spacy

    from corpus.text.nlp import MODEL, annotate, lemma, pipeline

    full = spacy.load(MODEL, exclude=["ner"])
    texts = _sentences()
    lazy = [annotate(d) for d in pipeline().pipe(texts)]
    for a, b in zip(lazy, full.pipe(texts), strict=True):
        assert [lemma(t) for t in a] == [t.lemma_ for t in b]
