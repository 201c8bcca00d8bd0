"""Every word list the product reads, once: calendar words, number words and the stop lists.

Each stop list has one job and its own name; they differ on purpose (a keyword index drops other
words than a check of names does), so they are kept apart rather than merged.
"""

from __future__ import annotations

from functools import lru_cache

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# abbreviations read before a full stop ("Oct. 23", "Tues."); "may" is a word, never an abbreviation
SHORT_CALENDAR = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun".split())
WEEKDAY_PATTERN = "|".join(WEEKDAYS)  # for regular expressions: "monday|tuesday|…"

SMALL_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
HUNDRED, THOUSAND, DOZEN = {"hundred": 100}, {"thousand": 1000}, {"dozen": 12}
# words that state a quantity (a relation check keeps the qualifier before one: "nearly forty")
QUANTITY_WORDS = ("one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
                  "hundred hundreds thousand thousands million millions billion dozen dozens").split()

# function words: what two texts sharing them do not share in meaning (stance, corroboration, names)
FUNCTION_WORDS = frozenset("""
a an the and or but of to in on at for from by with as is are was were be been being has have had do does did
it its this that these those he she they we you i his her their our your him them us me not no than then there
here who whom whose which what when where why how will would can could should may might must shall also just
about after before over under into out up down off more most some any all each other such only own same so too
very s t said says say new one two three first last year years
""".split())
# the words of a question that say nothing of its topic (a follow-up's topic words are the rest)
QUESTION_FILLER = frozenset(
    """a an the of in on at to for from by with about and or but if then so is are was were be been being do does did
    done has have had having what which who whom whose when where why how that this these those it its they them their
    he him his she her hers we us our you your i me my there here as into than too very can could would should will
    shall may might must not no yes also just more most other such only own same again further once all any both each
    few some many much out over under up down off above below between through during before after while because until
    happened happen happening tell say said says please explain describe else""".split()
)
# the words of a question about a source that name no source ("What did … say about …?")
SOURCE_QUESTION_FILLER = frozenset(
    "what which where when does said says told tell that this from with about they their there based".split())
# capitalised words that name nothing: sentence openers, reporting words, pronouns
NOT_NAMES = frozenset("""a an the this that these those there their they it its he she his her we our i you according
as at by for from in into on of to with and but or so yet if while after before during since until about
also however meanwhile both all some many most several other another no not one each every said says
reported reports told tells added claimed stated announced confirmed denied officials sources source
report reports article articles evidence question answer""".split())
# the words that report speech in a written sentence ("…, the mayor said")
REPORTED = frozenset({"said", "says", "told", "reported", "added"})


@lru_cache(maxsize=1)
def keyword_stop_words() -> frozenset[str]:
    """bm25s's English stop list: the words the keyword index and every term count leave out."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def check_stop_words() -> frozenset[str]:
    """Words no check of a written sentence counts: bm25s's and spaCy's English stop words, and the words
    that name a source, which the prompt asks for ("according to ANHA"; who says it is part of the evidence)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return keyword_stop_words() | frozenset(STOP_WORDS) | REPORTED | {"or", "according"}
