"""Who says so: the stored attribution relation that covers each piece of evidence.

An annotator (``qa.answer.compose.Annotator``): it reads the relations found at ingest
(``corpus.text.attribution``) and gives each evidence span the one that covers it. A sentence no
relation covers is in the outlet's own voice: ``kind`` "unattributed", ``carrier`` the outlet.
Nothing is computed here at query time and nothing is guessed: every field shown is one the
article's text states, and its span is in the relation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from corpus.text.vocabulary import SOURCE_QUESTION_FILLER
from index.lru import LRU
from qa.timing import stage
from qa.types import Claim, Evidence

FIELDS = ("article_id", "source", "cue", "content", "speaker", "kind", "role", "affiliation", "leaning", "carrier")
COVER = 0.5  # share of the quote a relation must span to be its attribution


def unattributed(e: Evidence) -> dict:
    return {"article_id": e.article_id, "source": None, "cue": None, "content": None, "speaker": None,
            "kind": "unattributed", "role": None, "affiliation": None, "leaning": None, "carrier": e.source or None}


def covering(relations: list[dict], start: int, end: int) -> dict | None:
    """The relation whose span (source, cue and content together) covers most of ``start..end``
    (the first of equals), when it covers at least ``COVER`` of it."""
    if not relations:
        return None
    lo, hi, c_lo, c_hi = _extents(relations)
    # the relation's sentence-level extent, and the content alone (a quote that runs over sentences)
    cover = np.maximum(_overlap(lo, hi, start, end), _overlap(c_lo, c_hi, start, end)) / max(end - start, 1)
    best = int(np.argmax(cover))
    return relations[best] if cover[best] >= COVER else None


def _overlap(a: np.ndarray, b: np.ndarray, c: int, d: int) -> np.ndarray:
    return np.clip(np.minimum(b, d) - np.maximum(a, c), 0, None)


_EXTENTS = LRU(4096)  # by id of a stored relation list (the store shares one list per article and version)


def _extents(relations: list[dict]) -> tuple[np.ndarray, ...]:
    """Each relation's extent (its parts together) and its content's, as arrays, once per list."""
    hit = _EXTENTS.get(id(relations))
    if hit is not None and hit[0] is relations:  # the list itself is held there: its id cannot be reused
        return hit[1]
    rows = []
    for r in relations:
        parts = [p for p in (r.get("source"), r.get("cue"), r.get("content")) if p]
        content = r["content"]
        rows.append((min(p["start"] for p in parts), max(p["end"] for p in parts), content["start"], content["end"]))
    arrays = tuple(np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    _EXTENTS.put(id(relations), (relations, arrays))
    return arrays


class AttributionAnnotator:
    """Sets ``Evidence.attribution`` from the relations stored for each article."""

    def __init__(self, lookup: Callable[[Sequence[str]], dict[str, list[dict]]]):
        self.lookup = lookup

    def annotate(self, question: str, evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
        with stage("attribution"):
            return self._annotate(evidence)

    def _annotate(self, evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
        stored = self.lookup([e.article_id for e in evidence])
        out = []
        for e in evidence:
            rels = stored.get(e.article_id)
            if rels is None:  # attribution was off when this article was indexed: say nothing
                out.append(e)
                continue
            r = covering(rels, e.start, e.end)
            out.append(replace(e, attribution={k: r.get(k) for k in FIELDS} if r else unattributed(e)))
        return tuple(out)


def attributed(claims: Sequence[Claim], lookup: Callable[[Sequence[str]], dict[str, list[dict]]]) -> list[Claim]:
    """The claims with who says each cited sentence set on its evidence (each sentence annotated once)."""
    evidence = tuple(dict.fromkeys(e for c in claims for e in c.evidence))
    notes = {e.key: e for e in AttributionAnnotator(lookup).annotate("", evidence)} if evidence else {}
    return [replace(c, evidence=tuple(notes.get(e.key, e) for e in c.evidence)) for c in claims]


def label(attribution: dict | None, quote_start: int, quote_end: int) -> str | None:
    """"ANHA, pro-Kurdish": who says so, when the quoted sentence does not name the source itself."""
    if not attribution or attribution.get("kind") == "unattributed" or not attribution.get("speaker"):
        return None
    src = attribution.get("source")
    if src and quote_start <= src["start"] and src["end"] <= quote_end:
        return None  # the quote already says who
    parts = [attribution["speaker"], attribution.get("leaning")]
    return ", ".join(p for p in parts if p)


def _who(attribution: dict | None) -> list[str]:
    if not attribution:
        return []
    src = (attribution.get("source") or {}).get("text")
    return [x.casefold() for x in (attribution.get("speaker"), src, attribution.get("affiliation")) if x]


def keep_attributed(speakers: Sequence[str] | None, leanings: Sequence[str] | None) -> Callable[[Evidence], bool] | None:
    """Only evidence attributed to one of ``speakers`` (a name or part of it) and with one of ``leanings``."""
    if not speakers and not leanings:
        return None
    want_s = [s.casefold() for s in speakers or []]
    want_l = {x.casefold() for x in leanings or []}

    def keep(e: Evidence) -> bool:
        a = e.attribution
        if not a or a.get("kind") == "unattributed":
            return False
        if want_s and not any(w in who for w in want_s for who in _who(a)):
            return False
        return not want_l or (a.get("leaning") or "").casefold() in want_l

    return keep


_SOURCE_QUESTION = re.compile(r"\b(?:according to|said|say|says|saying|told|tell|tells|reported|reports|quoted|quotes|quote|"
                              r"who|whom|whose|claims?|claimed|stated|sources?|view|views)\b", re.I)


def _words(text: str | None) -> set[str]:
    return {w for w in re.findall(r"[\w’'-]{4,}", (text or "").casefold()) if w not in SOURCE_QUESTION_FILLER}


def source_words(a: dict) -> set[str]:
    """Words that name who a sentence is attributed to: the speaker's name, the common nouns of its
    role ("activist", "radio station"), its outlet's name and country, its leaning. Places the role
    mentions ("based in Kobani") are not among them."""
    from qa.analysis.outlets import describe_outlet

    out = _words(a.get("speaker"))
    for phrase in (a.get("role"), a.get("affiliation")):
        out |= {w.casefold() for w in re.findall(r"[\w’'-]{4,}", phrase or "") if w[0].islower() and w.casefold() not in SOURCE_QUESTION_FILLER}
        d = describe_outlet(phrase) if phrase else None
        if d:
            out |= _words(d["name"]) | _words(d["country"])
    if a.get("leaning"):
        out.add(a["leaning"].casefold())
    return out


def prefer_named(question: str, bonus: float, asked_for: bool = False) -> Callable[[Evidence], float] | None:
    """A bonus for evidence attributed to a source the question names ("What did the activist say
    about …?", "According to the Lebanese channel, …", "What do pro-opposition sites say …?").

    Only questions about sources (according to, say, told, who, …) get it, and every attributed
    sentence gets it when the caller filtered by source or leaning (``asked_for``).
    """
    if bonus <= 0:
        return None
    if asked_for:
        return lambda e: bonus if e.attribution and e.attribution.get("kind") != "unattributed" else 0.0
    if not _SOURCE_QUESTION.search(question):
        return None
    q = _words(question)
    q |= {w[:-1] for w in q if w.endswith("s")}  # "stations" names a "station"

    def prefer(e: Evidence) -> float:
        a = e.attribution
        if not a or a.get("kind") == "unattributed":
            return 0.0
        return bonus if q & source_words(a) else 0.0

    return prefer


def speaker_line(a: dict) -> str | None:
    """"Roman Yusef, the Al-Hasakah-based activist (pro-Kurdish; carried by Syria Direct)": who says a
    sentence, with the role, affiliation and leaning the article states, and the outlet carrying it;
    "Syria Direct, in its own reporting" for a sentence in the outlet's own voice; None: not known."""
    if a.get("kind") == "unattributed":
        return f"{a['carrier']}, in its own reporting" if a.get("carrier") else None
    if not a.get("speaker"):
        return None
    who = a["speaker"]
    role = a.get("role")
    if role and role.casefold() not in who.casefold():
        who = f"{who}, {role}"
    notes = [x for x in (a.get("affiliation"), a.get("leaning")) if x and x.casefold() not in who.casefold()]
    carrier = a.get("carrier")
    if carrier and carrier.casefold() not in who.casefold():
        notes.append(f"carried by {carrier}")
    return f"{who} ({'; '.join(notes)})" if notes else who


def who_said_claims(claims: Sequence[Claim]) -> list[Claim] | None:
    """A "who said" answer: each quoted sentence led by who says it (``speaker_line``), the
    attributed ones first; None when no cited sentence is attributed to anyone (the quoted answer
    stands: the articles do not say who)."""
    said, own = [], []
    for c in claims:
        e = c.evidence[0] if len(c.evidence) == 1 else None
        line = speaker_line(e.attribution) if e is not None and e.attribution else None
        if line is None:
            continue
        text = f"{line}: {' '.join(e.text.split())}"
        (own if e.attribution.get("kind") == "unattributed" else said).append(Claim(text, c.evidence, c.how))
    return said + own if said else None
