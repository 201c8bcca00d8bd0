"""Reading a question: what kind of answer it asks for, and which of its words name a filter.

Rules, no model. The kinds:

- ``agreement``: do the reports agree on a figure or claim ("Do the reports agree on the number of …?");
- ``coverage``: which outlets reported something ("Which outlets reported …?");
- ``timeline``: events by date ("… by date", "What happened on Tuesday?", "since March", "When …?");
- ``who_is``: a person or an outlet ("Who is Khalid Iskef?", "Where does X work?", "What is X's role?");
- ``who_said``: the source of a statement ("Who said …?", "According to whom …?");
- ``source_view``: what a named source or kind of source says ("What did pro-Kurdish outlets report?",
  "According to the activist, …?");
- ``fact``: everything else.

Words that name a filter the index has become that filter, and the rest is the topic searched:

- a stated leaning said of sources ("pro-Kurdish outlets", "the pro-regime media", "according to
  pro-opposition sites") → ``leanings``;
- the name of an outlet the index holds, as who published ("according to Syria Direct", "did CNN
  report") → ``sources``, except in a question about coverage or agreement, where outlets are compared;
- "since March", "since 2015-03-20" → ``since`` (publication day, read against the as-of day).

A filter is taken only where the words plainly say it; anything else stays in the topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from corpus.text.attribution.cues import LEANING
from corpus.text.vocabulary import MONTHS, QUESTION_FILLER

KINDS = ("fact", "who_said", "who_is", "source_view", "coverage", "agreement", "timeline")

# nouns that make a leaning a group of sources: "pro-Kurdish outlets", "the pro-regime media"
_SOURCE_NOUNS = (r"(?:news\s+)?(?:outlets?|media|sites?|websites?|sources?|channels?|press|agenc(?:y|ies)|networks?|"
                 r"newspapers?|papers?|stations?|broadcasters?|journalists?|commentators?)")
_LEANING_GROUP = re.compile(rf"(?:\b(?:the|by|from|of|in)\s+)?(?P<leaning>{LEANING.pattern})\s+(?:\w+\s+)?{_SOURCE_NOUNS}\b",
                            re.I)
_ACCORDING = re.compile(rf"\baccording\s+to\s+(?:the\s+)?(?P<leaning>{LEANING.pattern})(?:\s+(?:\w+\s+)?{_SOURCE_NOUNS})?\b",
                        re.I)
_LIST_WORDS = re.compile(r",?\s*\b(?:by date|by day|day by day|in (?:chronological|date) order|chronologically|"
                         r"(?:give me |show me |make )?(?:a |the )?(?:timeline|chronology)(?: of)?)\b", re.I)
_DATED_LIST = re.compile(
    _LIST_WORDS.pattern + r"|\bwhat happened (?:on|since|after|before|between)\b|\bsince (?:" + "|".join(MONTHS)
    + r"|\d{4}-\d\d-\d\d|\d{1,2} (?:" + "|".join(MONTHS) + r"))\b", re.I)
_TIMELINE = re.compile(_DATED_LIST.pattern + r"|^\s*when\b|\bon what (?:day|date)\b|\bwhat (?:day|date)\b", re.I)
_WHO_IS = re.compile(r"(?:^|[,;:])\s*(?:who\s+(?:is|was|are|were)\b(?!\s+(?:the\s+)?(?:source|behind|responsible))"
                     r"|where\s+(?:does|did|do)\s+.+?\s+work\b|what\s+(?:is|was)\s+.+?['’]s\s+(?:role|job|position|title)\b"
                     r"|what\s+(?:does|did)\s+.+?\s+do\s+for\s+a\s+living\b|what\s+(?:kind|sort)\s+of\s+(?:outlet|channel|site))", re.I)
_WHO_SAID = re.compile(r"^\s*(?:who\s+(?:said|says|told|claimed|claims|stated|announced|warned|denied|confirmed|reported|reports|wrote)\b"
                       r"|according\s+to\s+whom\b|who\s+is\s+the\s+source\b)|\baccording\s+to\s+whom\b", re.I)
_SOURCE_VIEW = re.compile(r"\b(?:what|how)\s+(?:do|did|does|have|has)\s+.+?\s+(?:say|said|report|reported|claim|claimed|"
                          r"describe|described|tell|told)\b|^\s*according\s+to\b", re.I)
_SINCE = re.compile(r"\bsince\s+(?:(?P<iso>\d{4}-\d\d-\d\d)|(?:(?P<day>\d{1,2})\s+)?(?P<month>" + "|".join(MONTHS)
                    + r")(?:\s+(?P<day2>\d{1,2}))?(?:,?\s+(?P<year>(?:19|20)\d\d))?)\b", re.I)
_FILLER = re.compile(r"\s+([,?.!])")
_FIGURE_Q = re.compile(r"\bhow (?:many|much)\b|\b(?:death tolls?|what (?:number|figure|amount|price|toll))\b", re.I)
_WORD = re.compile(r"[\w’'-]+", re.UNICODE)
# "Which outlets are described as pro-regime?", "Which outlets are pro-Kurdish?": a question about outlets themselves
_OUTLET_PROFILE = re.compile(rf"^\s*(?:which|what)\s+(?:news\s+)?{_SOURCE_NOUNS}\s+(?:are|were|is)\s+(?:(?:described|called|"
                             rf"named|said\s+to\s+be|labell?ed|considered|seen)\s+(?:as\s+)?)?(?:{LEANING.pattern})", re.I)
# words of a question that ask what is said, not what it is about
_SAYING = frozenset("say says said saying report reports reported reporting tell tells told claim claims claimed describe "
                    "described state stated write wrote".split())


@dataclass(frozen=True)
class Reading:
    """What a question asks for and the filters its words name. ``topic`` is what is searched."""

    kind: str
    topic: str
    leanings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: str | None = None
    by: str = "rules"  # who read the kind: "rules", or "llm" (``qa.llm.read``)

    @property
    def filters(self) -> bool:
        return bool(self.leanings or self.sources or self.since)


def kind_of(question: str) -> str:
    """The kind of answer ``question`` asks for (see the module docstring)."""
    from qa.analysis.report_questions import is_agreement_question, is_coverage_question

    if is_agreement_question(question):
        return "agreement"
    if _OUTLET_PROFILE.search(question):
        return "who_is"
    by_leaning = _ACCORDING.search(question) or _LEANING_GROUP.search(question)
    if by_leaning and _SOURCE_VIEW.search(question):
        return "source_view"  # "What did pro-Kurdish outlets report?": what they say, not who reported it
    if is_coverage_question(question):  # "How many … , according to CNN and USA TODAY?": figures compared
        return "agreement" if _FIGURE_Q.search(question) else "coverage"
    if _TIMELINE.search(question):
        return "timeline"
    if _WHO_SAID.search(question):
        return "who_said"
    if _WHO_IS.search(question):
        return "who_is"
    if _SOURCE_VIEW.search(question) or by_leaning:
        return "source_view"
    return "fact"


def profile_leaning(question: str) -> str | None:
    """The leaning a question about outlets themselves asks for ("Which outlets are described as
    pro-regime?" → "pro-regime"), or None."""
    m = _OUTLET_PROFILE.search(question)
    return _leaning(LEANING.search(question, m.start()).group(0)) if m else None


def asks_for_dated_list(question: str) -> bool:
    """Does the question ask for events by date ("…, by date?", "What happened since March 20?"), not
    for one day ("When did … begin?")?"""
    return bool(_DATED_LIST.search(question))


def without_list_words(text: str) -> str:
    """The question without the words that ask for a dated list: what the events are about."""
    out = _FILLER.sub(r"\1", " ".join(_LIST_WORDS.sub(" ", text).split())).strip(" ,;")
    return out if has_topic(out) else text


def without_source_words(question: str) -> str:
    """A "who said" question without the words that ask for the source ("According to whom were 27
    IS corpses captured?" → "were 27 IS corpses captured?"): what the statement is about."""
    out = " ".join(_WHO_SAID.sub(" ", question, count=1).split()).strip(" ,;")
    return out if has_topic(out) else question


def has_topic(text: str) -> bool:
    """Does ``text`` say what it is about (a content word that is not a word of saying)?"""
    return any(w.lower() not in _SAYING for w in question_words(text))


def question_words(text: str) -> list[str]:
    """Words that carry meaning (not stop words), in order, without repeats."""
    seen: set[str] = set()
    out = []
    for w in _WORD.findall(text):
        word = w.strip("'’-")
        low = word.lower()
        if low and low not in QUESTION_FILLER and low not in seen:
            seen.add(low)
            out.append(word)
    return out



def read_question(question: str, outlets: Sequence[str] = (), as_of: date | None = None) -> Reading:
    """The kind of ``question``, its filters and its topic; ``outlets``: the indexed outlets' names."""
    kind = kind_of(question)
    topic, leanings, sources = question, [], []
    if kind == "who_is" and _OUTLET_PROFILE.search(question):
        return Reading(kind, question)  # the leaning is what is asked about, not a filter
    for rule in (_ACCORDING, _LEANING_GROUP):
        for m in rule.finditer(topic):
            lean = _leaning(m.group("leaning"))
            if lean and lean.casefold() not in {x.casefold() for x in leanings}:
                leanings.append(lean)
        topic = rule.sub(" ", topic)
    # an outlet named in a question about coverage or agreement is compared, not filtered to
    for name in sorted(outlets if kind not in ("coverage", "agreement") else (), key=len, reverse=True):
        if not name or name.casefold() not in topic.casefold():
            continue  # most outlets are not named: no pattern to build for them
        m = re.search(rf"\b(?:according\s+to|by|from|in|did|does|do|has|have)\s+(?:the\s+)?{re.escape(name)}(?=\W|$)", topic, re.I)
        if name and m and name not in sources:
            sources.append(name)
            topic = topic[: m.start()] + " " + topic[m.end():]
    since = None
    m = _SINCE.search(topic)
    if m:
        since = _since_day(m, as_of)
        if since:
            topic = topic[: m.start()] + " " + topic[m.end():]
    topic = _FILLER.sub(r"\1", " ".join(topic.split())).strip(" ,;")
    return Reading(kind, topic or question, tuple(leanings), tuple(sources), since)


def _leaning(word: str) -> str | None:
    """A leaning as the attribution layer writes it ("pro-Kurdish"): the words' own spelling."""
    from corpus.text.attribution import stated_leaning

    return stated_leaning(word) or (word if word.lower().startswith(("pro-", "anti-")) else None)


def _since_day(m: re.Match, as_of: date | None) -> str | None:
    if m.group("iso"):
        return m.group("iso")
    month = MONTHS.index(m.group("month").lower()) + 1
    day = int(m.group("day") or m.group("day2") or 1)
    today = as_of or date.today()
    year = int(m.group("year")) if m.group("year") else today.year - (1 if (month, day) > (today.month, today.day) else 0)
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
