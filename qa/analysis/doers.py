"""Who did it: the sentences that name the doer of the action a "who" question asks about.

"Who attacked Tel Khanzir?" asks for the subject of *attack*. A sentence answers it when a form of
the verb has a stated doer before it, in the active voice ("The Islamic State [IS] attacked a
YPG-controlled town …"), or after "by" in the passive ("… was attacked by IS fighters"); a sentence
where the verb has no stated doer ("the town was attacked"), only a pronoun ("it attacked"), or
is a noun ("the attack on …") does not. Word rules on the question's own verb form (stemmed), no
parser: answering stays off spaCy and torch, which only ingest loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from corpus.text.terms import key_terms, stemmer, tokenize
from corpus.text.vocabulary import FUNCTION_WORDS

_WHO = re.compile(r"^\s*(?:who|which\s+(?:group|groups|side|sides|force|forces|outlet|outlets|country|countries|people|person|"
                  r"party|parties|militia|militias|faction|factions))\s+(?:(?:has|have|had|did|will|would|reportedly)\s+)?"
                  r"(?:been\s+)?(?P<verb>[a-z]+)\b", re.I)
# verbs of speaking (a question about sources: ``who_said``) and of being (``who_is``)
_NOT_ACTIONS = frozenset("""say says said tell tells told report reports reported claim claims claimed state stated
announce announced write wrote add added note noted confirm confirmed deny denied describe described call called
think thinks thought believe believes believed argue argued know knows knew speak spoke mean meant want wanted is are
was were be been has have had do does did will would can could should may might must""".split())
_AUX = frozenset("""has have had having reportedly allegedly also then later later already first again apparently
would will could had just jointly repeatedly""".split())
_PASSIVE = frozenset("was were been being is are be get got gets getting".split())
_PRONOUNS = frozenset("it he she they we i you who which that this these those one someone something".split())
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


@dataclass(frozen=True)
class Action:
    """What a "who" question asks about: the stem of its verb, and what the verb was done to."""

    stem: str
    names: frozenset[str] = frozenset()  # the stemmed names of the question's object ("tel", "khanzir")
    words: frozenset[str] = frozenset()  # its other stemmed keywords ("five", "villag")

    def about(self, passage: str) -> bool:
        """Whether ``passage`` is about what the action was done to: it holds every name the
        question gives, or, with none, half its keywords. A doer of the same action elsewhere (an
        attack on another town) does not answer the question."""
        have = set(tokenize([passage])[0])
        if self.names:
            return self.names <= have
        return not self.words or 2 * len(self.words & have) >= len(self.words)


def asked_action(question: str) -> Action | None:
    """The action whose doer ``question`` asks for ("Who attacked …?" → attack), or None: not a "who"
    question, or one about speaking ("Who said …?" asks for a source) or being ("Who is …?")."""
    m = _WHO.match(question)
    if not m or m.group("verb").lower() in _NOT_ACTIONS:
        return None
    rest = question[m.end("verb"):]
    stem = stemmer().stemWord(m.group("verb").lower())
    names = frozenset(tokenize([" ".join(key_terms("x " + rest))])[0])
    return Action(stem, names, frozenset(tokenize([rest])[0]) - names - {stem})


def _doer(word: str) -> bool:
    """A word that can name a doer: a noun-like word, or a name in capitals ("IS", not "is")."""
    low = word.lower()
    if low in _PRONOUNS:
        return False
    return (word.isupper() and len(word) > 1) or low not in FUNCTION_WORDS


def names_doer(sentence: str, action: Action) -> bool:
    """Whether ``sentence`` states who did ``action``: a form of its verb with a name or noun
    before it (auxiliaries and adverbs between), or, passive, with "by" and a doer after it."""
    words = list(_WORD.finditer(sentence))
    raw = [w.group(0) for w in words]
    low = [w.lower() for w in raw]
    stems = stemmer().stemWords(low)
    for i, s in enumerate(stems):
        if s != action.stem:
            continue
        j = i - 1
        while j >= 0 and (low[j] in _AUX or low[j].endswith("ly")):
            j -= 1
        if j >= 0 and low[j] in _PASSIVE and not raw[j].isupper():  # "was attacked by IS fighters"
            after = low[i + 1 : i + 4]
            if "by" in after:
                k = i + 1 + after.index("by") + 1
                while k < len(low) and low[k] in ("the", "a", "an"):
                    k += 1
                if k < len(low) and _doer(raw[k]):
                    return True
            continue
        if j >= 0 and _doer(raw[j]) and low[j] != "to":
            between = sentence[words[j].end() : words[i].start()]
            if re.search(r"[,;:.]", between.replace("[", "").replace("]", "")):
                continue  # "…, attacked": not its subject
            if not _done_to_other(raw, low, stems, j, action):
                return True
    return False


def _done_to_other(raw: list[str], low: list[str], stems: list[str], j: int, action: Action) -> bool:
    """"Ras al-Ain, which IS has attacked": in a relative clause the verb was done to the noun before
    "which", so the sentence answers only when that noun is what the question names."""
    k = j - 1
    while k > 0 and k > j - 4 and (raw[k][:1].isupper() or low[k] in ("the", "a", "an")):
        k -= 1
    if k < 0 or low[k] not in ("which", "that", "whom"):
        return False
    before = set(stems[max(0, k - 5) : k])
    return not (action.names and action.names <= before)


def prefer_doer(question: str, bonus: float) -> Callable[[object], float] | None:
    """A bonus for sentences naming the doer of what a "who" question asks about (``names_doer``),
    in a passage about what it was done to (``Action.about``); None for other questions."""
    action = asked_action(question) if bonus > 0 else None
    if action is None:
        return None
    about: dict[str, bool] = {}  # by passage: its sentences share one answer

    def prefer(e) -> float:
        if not names_doer(e.text, action):  # the sentence first: a passage is tokenized only when needed
            return 0.0
        if e.passage_id not in about:
            about[e.passage_id] = action.about(f"{e.title}\n{e.passage}")
        return bonus if about[e.passage_id] else 0.0

    return prefer
