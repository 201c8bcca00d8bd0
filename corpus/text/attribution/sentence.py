"""Rules over one parsed sentence: its source, cue and content, and what the source's own words say of it."""

from __future__ import annotations

from corpus.text.attribution.cues import (
    CLAUSE_ONLY,
    CUE_VERBS,
    LINKING,
    OUTLET_WORDS,
    PHRASAL,
    QUOTES,
    is_calendar_word,
    stated_leaning,
)
from corpus.text.attribution.types import Relation, Span
from corpus.text.nlp import lemma


def sentence_relations(doc, offset: int, aid: str, outlet: str) -> list[Relation]:
    rels = []
    used: set[int] = set()
    for tok in doc:
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            r = _according_to(doc, tok, offset, aid)
            if r:
                rels.append(r)
                used.add(tok.i)
    for tok in doc:
        if tok.i in used or tok.pos_ not in ("VERB", "AUX") or lemma(tok).lower() not in CUE_VERBS:
            continue
        r = _verb_cue(doc, tok, offset, aid, outlet)
        if r:
            rels.append(r)
    return rels


def _span(doc, start_tok: int, end_tok: int, offset: int) -> Span | None:
    """The characters of tokens ``start_tok..end_tok`` (inclusive), trimmed of edge punctuation."""
    while start_tok <= end_tok and (doc[start_tok].is_punct and doc[start_tok].text not in QUOTES or doc[start_tok].is_space):
        start_tok += 1
    # a trailing conjunction ("... is honest, and") belongs to the next clause, not to this span
    while end_tok >= start_tok and (doc[end_tok].is_punct and doc[end_tok].text not in QUOTES or doc[end_tok].is_space
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
            preps = PHRASAL.get(lemma(verb).lower(), ())
            prep = next((c for c in kids if c.dep_ == "prep" and c.lower_ in preps and c.i == verb.i + 1), None)
            if content is None and prep is not None:  # "called for a special prosecutor", "referring to the wall"
                obj = next((c for c in prep.children if c.dep_ in ("pobj", "pcomp")), None)
                content = _subtree(doc, obj, offset) if obj is not None else None
                cue_end = prep.i if content is not None else cue_end
            if content is None and lemma(verb).lower() not in CLAUSE_ONLY:  # "announced his support for ..."
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
        if c.i == last + 1 and c.dep_ in ("npadvmod", "advmod") and c.lower_ not in LINKING and c.i not in subj_toks \
                and not content.start <= doc[c.i].idx + offset < content.end:
            last = max(t.i for t in c.subtree)
    cue = _span(doc, min(cue_toks), last, offset)
    source = _span(doc, _past_quote_marks(doc, min(subj_toks), max(subj_toks)), max(subj_toks), offset)
    if source is None or cue is None or _overlaps(source, content) and not around:
        return None
    content = _with_quote_marks(doc.text, content, offset)
    role, affiliation, leaning = _describe(doc, head, offset)
    carrier = None
    if lemma(verb).lower() == "tell":
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
    while i < limit and doc[i].text in QUOTES:
        i += 1
    return i


def _joined_by_and(verb) -> bool:
    """ "X says … and said …": a second verb of the same subject (not "…, reported Y")."""
    return (verb.dep_ == "conj" and verb.i > 0 and verb.doc[verb.i - 1].text != ","
            and any(c.dep_ == "cc" and verb.head.i < c.i < verb.i for c in verb.head.children))


def _inverted_cue(tok) -> bool:
    return (lemma(tok).lower() in CUE_VERBS and not any(c.dep_ in ("nsubj", "nsubjpass") for c in tok.children)
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
    marks = [t.i for t in doc if t.text in QUOTES]
    for a, b in zip(marks[::2], marks[1::2], strict=False):
        if b < verb.i or a > verb.i:
            return a, b
    if len(marks) % 2 and marks[-1] > verb.i:  # a quotation opened after the cue that closes in a later sentence
        return marks[-1], len(doc) - 1
    return None


def _quoted(text: str) -> bool:
    """A direct quote: the content is (nearly all) inside quotation marks."""
    text = text.strip()
    return len(text) > 1 and text[0] in QUOTES and text[-1] in QUOTES or _mostly_quoted(text)


def _mostly_quoted(text: str) -> bool:
    inside, n, depth = 0, 0, False
    for ch in text:
        if ch in QUOTES:
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
        if t.lower_ in OUTLET_WORDS and t.pos_ == "NOUN":
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
        if t.pos_ == "PROPN" and not is_calendar_word(t) or (run and t.text in ("-", "'s") and t.whitespace_ == ""):
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
