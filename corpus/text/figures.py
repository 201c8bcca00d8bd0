"""Figures: the counts a sentence states ("at least 45 people were killed" → 45 killed) and the
pairs of figures that count the same thing with different numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.text.vocabulary import DOZEN, FUNCTION_WORDS, HUNDRED, SMALL_NUMBERS, TENS

_WORD = re.compile(r"[\w'’-]+")
_NUM_WORDS = SMALL_NUMBERS | {w: TENS[w] for w in ("thirty", "forty", "fifty")} | HUNDRED | DOZEN
# "dozens", "hundreds", "scores": vague amounts, never a conflicting figure
_FIGURE = re.compile(
    r"(?P<q>\b(?:at least|more than|over|nearly|almost|about|around|some|up to|fewer than|less than|roughly|"
    r"approximately|an estimated)\s+)?(?P<n>[$£€]?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s*(?:million|billion|thousand|%|percent))?|\b(?:"
    + "|".join(sorted(_NUM_WORDS, key=len, reverse=True)) + r")\b)(?=(?P<after>(?:\s+[\w'’-]+){0,4}))", re.I)
_MONTHS = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*$", re.I)
_KILLED = frozenset("killed kill killing dead die died dying deaths death fatalities lives bodies corpses victims".split())
_HURT = frozenset("injured injuring injuries wounded wounding hurt".split())
_HELD = frozenset("arrested detained held captured kidnapped abducted hostages prisoners".split())
_GROUPS = ((_KILLED, "killed"), (_HURT, "injured"), (_HELD, "held"))
_COUNTS = frozenset(["killed", "injured", "held", "percent", "dollars", "pounds", "euros"])
_TOLL = re.compile(  # a number read after "the death toll rose to …", "the toll in Syria is …"
    r"\btolls?\b(?:\s+[\w'’/-]+){0,12}?\s+(?:rose|rises|risen|climbed|climbs|stands|stood|reached|reaches|topped|tops|"
    r"hit|hits|exceeded|exceeds|surpassed|surpasses|passed|passes|past|to|at|of|is|was|above|over)\s*$", re.I)
# the verb of a toll just before its number, with its preposition ("rose to", "surged past")
_TOLL_VERB = re.compile(r"\b(?!(?:is|was|are|were|of|to|at)\b)[a-z]+(?:\s+(?:to|at|past|above|over|of))?\s*$", re.I)
_TALLY = re.compile(r"\b(?:vot\w*|ballot\w*|approv\w*|pass\w*|reject\w*)\s+(?:\w+\s+){0,2}?"
                    r"(?P<tally>(?P<yes>\d{1,4})\s*[-–]\s*\d{1,4})\b", re.I)
_PERSONS = frozenset("""fighters soldiers militants troops children women men members police policemen officers
protesters demonstrators migrants refugees residents workers students journalists rebels insurgents""".split())
_SKIP_UNIT = FUNCTION_WORDS | frozenset("people persons others civilians were are have had more than least".split())
# words after a number that end what it could count: "passed 5,000 after a devastating quake" counts
# nothing named after it ("killing 12 in the attack" is still read from the verb before it)
_END_UNIT = frozenset("""and or but while after before since during in on at for with from to into as when because
amid across near per until than if""".split())



@dataclass(frozen=True)
class Figure:
    """A number and what it counts, as written: ``text`` is ``sentence[start:end]``."""

    value: float
    unit: str
    text: str
    start: int
    end: int


def figures(sentence: str) -> list[Figure]:
    """The counts a sentence states ("at least 45 people were killed" → 45 killed), years and dates left
    out; a vote tally ("voted 101-6") counts the votes for."""
    out = [Figure(float(t.group("yes")), "votes", t.group("tally"), t.start("tally"), t.end("tally"))
           for t in _TALLY.finditer(sentence)]
    tallies = [(f.start, f.end) for f in out]
    for m in _FIGURE.finditer(sentence):
        if any(a <= m.start("n") < b for a, b in tallies):
            continue
        raw = m.group("n")
        word = raw.lower()
        before = sentence[max(0, m.start("n") - 12) : m.start("n")]
        name = re.search(r"([A-Za-z]*[A-Z][\w-]*)\s$", before)
        if not m.group("q") and name and name.group(1).lower() not in FUNCTION_WORDS:
            continue  # part of a name: "iPhone 13", "Article 5", "Apollo 11" (not "The 27 corpses")
        if _MONTHS.search(before) or re.match(r"\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", m.group("after"), re.I):
            continue  # a date: "March 20", "20 March"
        if word in _NUM_WORDS:
            value = float(_NUM_WORDS[word])
        else:
            digits = re.sub(r"[^\d.]", "", raw.split()[0].lstrip("$£€"))
            try:
                value = float(digits)
            except ValueError:
                continue
            if re.fullmatch(r"(?:1[89]|20)\d\d", raw):
                continue  # a year
            scale = raw.lower()
            value *= 1e6 if "million" in scale else 1e9 if "billion" in scale else 1e3 if "thousand" in scale else 1
        before = sentence[max(0, m.start() - 25) : m.start()]
        unit, upto = _unit(m.group("after"), before, raw)
        toll_verb = None
        if unit not in _COUNTS and _TOLL.search(sentence, max(0, m.start() - 120), m.start()):
            unit, upto = "killed", 0  # "the death toll … rose to 143, officials said"
            toll_verb = _TOLL_VERB.search(sentence, max(0, m.start() - 40), m.start())
        if re.search(r"magnitude[\s-]*$", before, re.I) or re.match(r"[\s-]*magnitude", sentence[m.end("n"):], re.I):
            unit, upto = "magnitude", 0  # "a magnitude 6.3 quake", "the 7.8-magnitude earthquake": not a count
        if unit is None:
            continue
        start, end = m.start(), m.end("n") + upto  # the figure as read: "at least 45 people were killed"
        if toll_verb is not None:  # "surpassed 11,000 people", "rose to 268": the words that give the toll
            start = toll_verb.start()
        if not upto:  # counted by the verb before it: "killed 33 people" reads from the verb
            verb = list(_WORD.finditer(before))[-2:]
            hit = next((w for w in reversed(verb) if any(w.group(0).lower() in g for g, _ in _GROUPS)), None)
            if hit is not None:
                start = m.start() - len(before) + hit.start()
            nxt = _WORD.match(m.group("after").lstrip())
            if nxt and nxt.group(0).lower() in _PERSONS | {"people", "persons", "civilians", "others"}:
                end = m.end("n") + m.group("after").index(nxt.group(0)) + len(nxt.group(0))
        out.append(Figure(value, unit, sentence[start:end], start, end))
    return sorted(out, key=lambda f: f.start)


def _unit(after: str, before: str, raw: str) -> tuple[str | None, int]:
    """What a number counts, and how many characters of ``after`` name it."""
    if "%" in raw or "percent" in raw.lower():
        return "percent", 0
    if raw[:1] in "$£€":
        return {"$": "dollars", "£": "pounds", "€": "euros"}[raw[0]], 0
    prior = [w.lower() for w in _WORD.findall(before)][-2:]
    for w in _WORD.finditer(after):  # the first word that says what is counted
        low = w.group(0).lower()
        if low in _END_UNIT:
            break  # "killing 12 and wounding 40": what follows counts something else
        if low in _SKIP_UNIT or not low.isalpha():
            continue
        for group, name in _GROUPS:
            if low in group:
                return name, w.end()
        if low in _PERSONS:  # "killed 27 fighters": people, counted by the verb before them
            for group, name in _GROUPS:
                if any(p in group for p in prior):
                    return name, w.end()
        return (low[:-1] if low.endswith("s") and len(low) > 3 else low), w.end()
    for group, name in _GROUPS:  # "killing 12"
        if any(p in group for p in prior):
            return name, 0
    return None, 0


def conflicting(claim: str, text: str) -> list[tuple[Figure, Figure]]:
    """Pairs of figures that count the same thing with different numbers."""
    mine = figures(claim)
    if not mine:
        return []
    out = []
    for b in figures(text):
        for a in mine:
            if a.unit == b.unit and a.value != b.value and (a, b) not in out:
                out.append((a, b))
    return out
