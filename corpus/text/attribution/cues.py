"""The words that mark attribution: reporting verbs and their forms, stated leanings, outlet nouns."""

from __future__ import annotations

import re

from corpus.text.vocabulary import MONTHS, SHORT_CALENDAR, WEEKDAYS

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
CUE_WORDS = re.compile(
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
PHRASAL = {"call": ("for",), "refer": ("to",), "point": ("to",), "talk": ("about",), "speak": ("about", "of"),
            "comment": ("on",), "apologize": ("for",), "rail": ("against",), "complain": ("about",), "warn": ("of", "about", "against")}
# verbs whose object is not what is attributed ("told reporters", "asked a question", "called him")
CLAUSE_ONLY = frozenset("say tell ask call show find learn inform urge accuse thank speak talk point comment refer".split())
# proper nouns that are days, not names ("A survey released Oct. 23 found ..."); a month's full name
# only before a number ("Theresa May", "The Sun" stay names)


def is_calendar_word(tok) -> bool:
    word = tok.lower_
    if word in WEEKDAYS or word.endswith(".") and word[:-1] in SHORT_CALENDAR:
        return True
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    return word in MONTHS and nxt is not None and nxt.like_num


LINKING = frozenset("however though then therefore too instead meanwhile".split())  # not part of a cue
OUTLET_WORDS = frozenset("news outlet channel agency site website radio station tv television newspaper paper daily weekly wire network broadcaster magazine".split())
PRONOUNS = frozenset("he she they it we i you his her their".split())
QUOTES = "\"“”"
