"""Do the sources agree? The figures an answer's evidence gives, side by side with who gives each,
and a verdict: they agree, they differ, or only one source gives one.

Who gives a figure is who the article says is speaking (the attribution's speaker, with its stated
leaning), or the outlet in its own voice. Only figures of the kind the question asks for count
("how many … killed": the dead), and only figures of what a "how many" question counts ("how many IS fighters": a figure with "IS" beside it; "how many children": children or people): a
toll of another event in the same article ("car bombs on Kurdish Nowruz celebrations … killed at
least 45 people") is left out. A sentence naming what the question names that denies the reports is
listed as disputing them. Nothing is said that the cited sentences do not state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from corpus.text.figures import Figure, figures
from qa.analysis.report_questions import asked_units, topic
from qa.analysis.stance import denies
from qa.types import Claim, Evidence

_NAME = re.compile(r"\b[A-Z][\w’'-]*")
# people counted in a sentence that says they were killed or hurt ("19 children and two teachers")
_PEOPLE = frozenset("people person children child student teacher adult kid civilian victim fighter soldier".split())
_HARM = re.compile(r"\b(?:kill\w*|dead|died|deaths?|shot|slain|murder\w*|injur\w*|wound\w*|massacre\w*)\b", re.I)
# capitalised words of a question that name nothing it is about
_NOT_TOPIC = frozenset("Do Does Did Are Is Was Were What Which Who How The A An And Or According Reports Sources "
                       "Outlets Figures Accounts Media Articles".split())


def giver(e: Evidence) -> str:
    """Who gives the figure: "ANHA (pro-Kurdish; carried by Syria Direct)", "officials (Wire B)", or
    the outlet in its own voice ("Syria Direct")."""
    a = e.attribution or {}
    outlet = e.source or e.title
    if a.get("kind") in (None, "unattributed") or not a.get("speaker"):
        return outlet
    who = re.sub(r"^(The|A|An) ", lambda m: m.group(1).lower() + " ", a["speaker"])
    more = [x for x in (a.get("leaning"), outlet and (f"carried by {outlet}" if a.get("leaning") else outlet)) if x]
    return f"{who} ({'; '.join(more)})" if more else who


def _names(question: str) -> set[str]:
    about = topic(question)
    words = [m.group(0) for m in _NAME.finditer(about)]
    return {w for i, w in enumerate(words) if w not in _NOT_TOPIC and not (i == 0 and about.startswith(w))}


_HOW_MANY = re.compile(r"\bhow many\s+(?P<what>(?:[\w’'-]+\s+){1,4}?)(?:were|was|have|had|are|is|did|do|died|got|"
                       r"killed|injured|wounded)\b|\bnumber of\s+(?P<what2>(?:[\w’'-]+\s+){1,3}?)(?:killed|injured|"
                       r"wounded|dead|who|that|in|were|was)\b", re.I)
_GENERIC = frozenset("people persons others civilians victims".split())


def _counted(question: str) -> tuple[set[str], set[str]] | None:
    """What a "how many" question counts: its names and its nouns ("IS fighters" → {IS}, {fighters})."""
    m = _HOW_MANY.search(question)
    words = (m.group("what") or m.group("what2") or "").split() if m else []
    words = [w for w in words if w.lower() not in ("the", "of", "and", "people")] if words else []
    if not words:
        return None
    return {w for w in words if w[:1].isupper()}, {w.lower().rstrip("s") for w in words if not w[:1].isupper()}


def _counts(f: Figure, sentence: str, counted: tuple[set[str], set[str]]) -> bool:
    """Does the figure count what the question counts: its names beside the number, or (the
    question naming none) one of its nouns or a generic "people"?"""
    names, nouns = counted
    near = sentence[max(0, f.start - 30): f.end + 40]
    if names:
        return any(re.search(rf"\b{re.escape(n)}\b", near) for n in names)
    words = {w.lower().rstrip("s") for w in re.findall(r"[\w’'-]+", near)}
    return bool(words & nouns) or bool(words & {g.rstrip("s") for g in _GENERIC})


def agreement_claims(question: str, evidence: Sequence[Evidence]) -> list[Claim] | None:
    """The verdict and each figure with who gives it, cited; None when no cited sentence gives a
    figure of the kind asked about what the question names."""
    units = asked_units(question)
    names = _names(question)
    found: list[tuple[str, Figure, Evidence]] = []
    denials: list[tuple[str, Evidence]] = []
    seen: set[tuple[str, float]] = set()
    counted = _counted(question)
    for e in evidence:
        figs = figures(e.text)
        if (denies(e.text) and not any(f.unit in units for f in figs) and giver(e) not in {w for w, _ in denials}
                and any(re.search(rf"\b{re.escape(n)}\b", e.text) for n in names)):
            denials.append((giver(e), e))  # "officials denied that a car bomb had exploded": no figure, a dispute
        for f in figs:
            if counted and not _counts(f, e.text, counted):
                continue  # another count: "killed at least 45 people" when the question counts IS fighters
            if units and f.unit not in units and not (f.unit in _PEOPLE and units & {"killed", "injured"}
                                                      and _HARM.search(e.text)):
                continue
            if f.unit in _PEOPLE and units & {"killed", "injured"}:
                f = replace(f, unit="injured" if "killed" not in units else "killed")  # counted as the question asks
            who = giver(e)
            if (who, f.value) in seen:
                continue
            seen.add((who, f.value))
            found.append((who, f, e))
    if not found:
        return None
    others = ("; " + "; ".join(f"{who} denies the reports" for who, _ in denials)) if denials else ""
    cited = tuple(dict.fromkeys([e for _, _, e in found] + [e for _, e in denials]))
    verdicts = []
    for unit in dict.fromkeys(f.unit for _, f, _ in found):  # each kind of count asked: dollars, pounds, the dead
        rows = [(who, f) for who, f, _ in found if f.unit == unit]
        givers = list(dict.fromkeys(who for who, _ in rows))
        said = {who: " and ".join(dict.fromkeys(_stated(f) for w, f in rows if w == who)) for who in givers}
        if len(givers) < 2:
            verdicts.append(f"only one source gives a figure ({unit}): {givers[0]}, {said[givers[0]]}")
        elif len({f.value for _, f in rows}) == 1:
            verdicts.append(f"the sources agree ({unit}): {' and '.join(givers)} give {_stated(rows[0][1])}")
        else:
            verdicts.append(f"the figures differ ({unit}): " + "; ".join(f"{who} gives {said[who]}" for who in givers))
    verdict = "; ".join(verdicts) + others + "."
    lines: dict[tuple[str, tuple[str, int, int]], list] = {}
    for who, f, e in found:  # one line a source and sentence
        lines.setdefault((who, e.key), [e]).append(f)
    return ([Claim(verdict[0].upper() + verdict[1:], cited)]
            + [Claim(f"{who}: “{_quoted(figs, e)}”", (e,)) for (who, _), (e, *figs) in lines.items()]
            + [Claim(f"{who} disputes: “{' '.join(e.text.split())}”", (e,)) for who, e in denials])


_QUALIFIER = re.compile(r"\b(at least|more than|over|nearly|almost|about|around|some|up to|fewer than|less than|roughly|"
                        r"approximately|an estimated)\s+[$£€]?\d", re.I)


def _stated(f: Figure) -> str:
    """The figure's number as its sentence qualifies it: "at least 45", "27", "$26 million"."""
    if f.unit in ("dollars", "pounds", "euros", "percent"):
        return f.text
    m = _QUALIFIER.search(f.text)
    return f"{m.group(1).lower()} {_num(f.value)}" if m else _num(f.value)


def _quoted(figs: list[Figure], e: Evidence) -> str:
    """The figures as written ("27 IS corpses"), or the whole sentence when one is a bare number
    ("The death toll from the Sindh floods rose to 143, officials said.")."""
    if len(figs) > 1 or any(re.fullmatch(r"[$£€]?[\d,.]+(?:\s*(?:million|billion))?%?", f.text.strip()) for f in figs):
        return " ".join(e.text.split())
    return figs[0].text


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"
