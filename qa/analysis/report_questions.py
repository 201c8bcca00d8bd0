"""How a question asks about other outlets' reports: "Which outlets reported …?", "Do the reports
agree on …?", the kinds of count a figure question asks for, and the question without its talk of
reports (what the reports are about)."""

from __future__ import annotations

import re

KINDS = (  # what a figure question counts, where the question says it unmistakably
    (re.compile(r"\b(?:death tolls?|died|dead|deaths?|killed|fatalities|lives)\b", re.I), frozenset(["killed"])),
    (re.compile(r"\b(?:injured|wounded|injuries|hurt)\b", re.I), frozenset(["injured"])),
    (re.compile(r"\b(?:how much|prices?|cost|costs|pay|paid|worth|value|fines?|settlements?|damages)\b|[$£€]", re.I),
     frozenset(["dollars", "pounds", "euros", "dollar", "pound", "euro"])),
)

_OUTLETS_Q = re.compile(
    r"\b(?:which|what|how many)\s+(?:other\s+)?(?:news\s+)?(?:outlets?|organi[sz]ations|sites?|media|newspapers?|papers|"
    r"publications|networks?|channels|agencies|reports)\b.*\b(?:report|cover|carr|confirm|say|said|describ|publish)"
    r"|\bwho\s+(?:else\s+)?(?:reported|confirmed|covered|carried)\b|\bconfirm(?:ed|s)? by\b"
    r"|\b(?:news\s+)?outlets\b|\baccording to [^,?;]+? and (?:the )?[A-Z]", re.S)
AGREE_Q = re.compile(
    r"\b(?:do|did|does)\s+(?:the\s+|all\s+)?(?:reports|outlets|accounts|sources|articles|figures|numbers|media|tolls)\b"
    r".*\b(?:agree|differ|disagree|match|conflict|tally)|\b(?:agree|differ|disagree)\s+on\b|\bfigures\s+(?:match|agree|differ)"
    r"|\breport(?:s)?\s+(?:agree|differ)|\b(?:report|give)\s+the\s+same\s+(?:amount|number|figure|toll|total)", re.I | re.S)


_META_Q = re.compile(
    r"(?:(?:,|—|–|\s-|\band\b)\s*(?:do|did|does)\s+[^?]*?\b(?:agree|differ|match|conflict|tally|the same)\b[^?]*"
    r"|^\s*(?:do|did|does)\s+[^?]*?\b(?:agree|differ|disagree)\s+(?:on|about|over)\b|\baccording to\b[^?]*"
    r"|\b(?:did|do|does|have|has)\s+(?:news\s+|other\s+)?outlets\s+(?:reported|report|put|given|give|gave|said|say)\b"
    r"|\b(?:news\s+)?outlets?\b|\b(?:reported|reports?|reporting)\b"
    r"|\b(?:which|what)\s+(?:other\s+)?(?:outlets|media|sites|newspapers|publications|networks|agencies)\b"
    r"|,?\s*and\s+what\s+(?:are|is|were|was)\s+(?:their|its)\s+(?:stated\s+)?(?:leanings?|kinds?|stances?|biases?)\b)", re.I)


def topic(question: str) -> str:
    """A corroboration question without its talk of outlets and reports: what the reports are about.
    "What death toll did news outlets report for the quake …, and do the reports agree?" → "What
    death toll for the quake …?" """
    out = re.sub(r"\s+", " ", _META_Q.sub(" ", question))
    out = re.sub(r"[\s,;—–-]+(?=[?.!]?$)", "", re.sub(r"\s+([,?.!])", r"\1", out)).strip()
    return out if len(out.split()) >= 2 else question


def asked_units(question: str) -> set[str]:
    """The kinds of count a question about a figure asks for ("how many died" → killed; "how much" →
    dollars, pounds, euros); empty when it names none unmistakably."""
    return {u for pattern, units in KINDS if pattern.search(question) for u in units}


def is_agreement_question(question: str) -> bool:
    """ "Do the reports agree on the number of …?", "Do the figures match?" """
    return bool(AGREE_Q.search(question))


def is_coverage_question(question: str) -> bool:
    """ "Which outlets reported …?", "Who else reported …?" """
    return bool(_OUTLETS_Q.search(question))


def is_corroboration_question(question: str) -> bool:
    """ "Which outlets reported …?", "Do the reports agree on the number of …?" """
    return bool(_OUTLETS_Q.search(question) or AGREE_Q.search(question))
