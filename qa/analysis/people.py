"""Who is someone? What the articles say of a source: their role and affiliation as the article
states them where they speak, their stated leaning, and what they said, each cited.

Read from the attribution relations stored for the articles the question's passages come from: a
relation whose speaker is the person asked about (the full name, or the surname of a full name) and
whose source the article describes; for someone who does not speak, the apposition after their name
("X, the Republican running for Virginia governor, …"). Nothing is added that the cited sentence
does not state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus.text.attribution.cues import OUTLET_WORDS
from corpus.text.sentences import passage_spans
from index.backend import SearchBackend
from index.types import Hit
from qa.types import Claim, Evidence

_ASKED = [re.compile(p, re.I) for p in (
    r"(?:^|[,;:]\s*)who\s+(?:is|was)\s+(?P<n>[^?,]+?)\s*(?:[,?]|$)",
    r"^\s*where\s+(?:does|did)\s+(?P<n>.+?)\s+work\b",
    r"^\s*what\s+(?:is|was)\s+(?P<n>.+?)['’]s\s+(?:role|job|position|title)\b",
    r"^\s*what\s+(?:does|did)\s+(?P<n>.+?)\s+do\s+for\s+a\s+living\b",
    r"^\s*what\s+(?:kind|sort)\s+of\s+(?:outlet|channel|site|station|agency)\s+is\s+(?P<n>[^?]+?)\s*\??$",
)]
MOST_SAID = 2  # statements of the person quoted after who they are
# words that make a source an outlet: its role's kind ("news outlet") or its name ("Adar Press")
_OUTLET_NAMES = OUTLET_WORDS | frozenset("press news agency tv radio times post herald".split())


def asked_about(question: str) -> str | None:
    """The name a "who is" question asks about ("Where does Khalid Iskef work?" → "Khalid Iskef")."""
    for rule in _ASKED:
        m = rule.search(question)
        if m:
            name = re.sub(r"^(?:the|a|an)\s+", "", m.group("n").strip(), flags=re.I)
            return name if name[:1].isupper() else None  # a name, not "the source of …"
    return None


def same_person(name: str, speaker: str | None) -> bool:
    if not speaker:
        return False
    a, b = name.casefold().split(), speaker.casefold().split()
    # the full name, the surname of a full name, or the full name ending a longer run of names
    # ("Bart Jansen Alireza Tangsiri": a byline run into the name)
    return a == b or (len(b) >= 2 and a[-1:] == b[-1:] and (len(a) == 1 or b[-len(a):] == a))


def _sentence(hits: Sequence[Hit], article_id: str, at: int) -> Evidence | None:
    """The evidence sentence of the retrieved passages that holds character ``at`` of the article."""
    for h in hits:
        p = h.passage
        if p.article_id != article_id or not p.start <= at < p.end:
            continue
        for a, b in passage_spans(p):
            if p.start + a <= at < p.start + b:
                return Evidence.from_hit(h, p.start + a, p.start + b, h.score)
    return None


def who_is_claims(question: str, backend: SearchBackend, hits: Sequence[Hit]) -> list[Claim] | None:
    """Who the person asked about is, then what they said, each a cited claim; None when no stored
    relation of the retrieved articles describes them."""
    name = asked_about(question)
    if not name or not hits:
        return None
    stored = backend.attributions(list(dict.fromkeys(h.passage.article_id for h in hits)))
    described, said = [], []
    for aid, rels in stored.items():
        for r in rels:
            if not same_person(name, r.get("speaker")):
                continue
            src = r.get("source") or r.get("cue")
            e = _sentence(hits, aid, src["start"]) if src else None
            if e is None:
                continue
            said.append((r, e))
            if r.get("role") or r.get("affiliation"):
                described.append((r, e))
    if not described:
        return _described_in_passing(name, hits)
    r, e = described[0]
    parts = [x for x in (r.get("role"), None if (r.get("affiliation") or "") in (r.get("role") or "") else r.get("affiliation")) if x]
    more = f"; stated leaning {r['leaning']}" if r.get("leaning") else ""
    claims = [Claim(f"{r['speaker']}: {', '.join(parts)}{more}, as {e.source or 'the article'} describes them.", (e,))]
    seen: set[str] = set()
    for r2, e2 in said:
        content = " ".join(r2["content"]["text"].split()).strip("“”\"").rstrip(",")
        if len(claims) > MOST_SAID or r2["content"]["text"] in seen or len(content.split()) < 4:
            continue
        seen.add(r2["content"]["text"])
        claims.append(Claim(f"{r2['speaker']} {'said' if r2.get('kind') != 'according_to' else 'is the source for'}: “{content}”", (e2,)))
    return claims


def _described_in_passing(name: str, hits: Sequence[Hit]) -> list[Claim] | None:
    """Who someone is when they do not speak: the apposition the article sets after their name
    ("Notably absent was Winsome Earle-Sears, the Republican running for Virginia governor, who …"),
    the article's words, cited; None when no retrieved sentence describes them so."""
    rule = re.compile(rf"\b{re.escape(name)},\s+(?P<d>(?:the|a|an)\s+[^,;:()“”\"]{{3,90}}?)(?=\s*(?:,|;|\.|$|\s+who\b|\s+and\b))")
    for h in hits:
        p = h.passage
        for a, b in passage_spans(p):
            m = rule.search(p.text, a, b)
            if m:
                e = Evidence.from_hit(h, p.start + a, p.start + b, h.score)
                return [Claim(f"{name}: {m.group('d')}, as {e.source or 'the article'} describes them.", (e,))]
    return None


def outlets_with_leaning(leaning: str, backend: SearchBackend, hits: Sequence[Hit]) -> list[Claim] | None:
    """The outlets the retrieved articles describe with ``leaning`` ("Which outlets are described as
    pro-regime?"): each name, the words that describe it, cited; None when none is."""
    from qa.analysis.outlets import describe_outlet

    stored = backend.attributions(list(dict.fromkeys(h.passage.article_id for h in hits)))
    claims, named = [], set()
    for aid, rels in stored.items():
        for r in rels:
            if (r.get("leaning") or "").casefold() != leaning.casefold():
                continue
            phrase = r.get("affiliation") or r.get("role") or ""
            d = describe_outlet(phrase) if phrase else None
            name = (d or {}).get("name")
            speaker = r.get("speaker") or ""
            if not name and speaker and set(f"{r.get('role') or ''} {speaker}".lower().split()) & _OUTLET_NAMES:
                name, phrase = speaker, phrase or f"{leaning} {speaker}"  # "the pro-Kurdish ANHA news outlet", "pro-Kurdish Adar Press"
            if not name:
                continue
            src = r.get("source") or r.get("cue")
            e = _sentence(hits, aid, src["start"]) if src else None
            if e is None or name.casefold() in named:
                continue
            named.add(name.casefold())
            stated = "" if leaning.casefold() in phrase.casefold() else f"; stated leaning {r['leaning']}"
            claims.append(Claim(f"{name}: {phrase}{stated}, as {e.source or 'the article'} describes it.", (e,)))
    return claims or None
