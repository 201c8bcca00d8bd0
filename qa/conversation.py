"""Conversations: follow-up questions read with the history, and Markdown export.

Without a generative model, a follow-up is read by rule: when it leans on the previous turn (a
pronoun, an elliptic "Why?", or fewer than three content words), the content words of the previous
searched question are added to it; when it names no topic at all ("And what did the pro-Kurdish
media report?"), the previous turn's query is searched. A follow-up keeps the previous turn's
filters taken from words (leaning, outlet, since) unless it names its own of that kind. The query
is what gets searched; the question the analyst typed stays as asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from qa.answer.reading import (
    Reading,
    asks_for_dated_list,
    has_topic,
    question_words,
    read_question,
    without_list_words,
)
from qa.types import Answer

_WORD = re.compile(r"[\w’'-]+", re.UNICODE)
_PRONOUNS = {"it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "this", "that", "these", "those", "there", "then"}
_ANOTHER = re.compile(r"^\s*(?:and\b|what about\b|how about\b|what else\b)", re.I)
_ELLIPTIC = re.compile(r"^\s*(why|how|when|where|who|what|and|so|really|how come|what else|what about)\b", re.I)


def needs_context(question: str) -> bool:
    """Does this question lean on an earlier turn? A pronoun, an elliptic opening with few content
    words ("Why?", "And the toll?"), or fewer than two content words; but not a question that names
    its own subject ("Who is Mustafa al-Abdi?", "Which outlets reported the Idlib defection, and what
    are their leanings?") unless it is nothing but a name ("And Kobani?")."""
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    content = question_words(question)
    named = [w for w in _WORD.findall(question)[1:] if w[:1].isupper()]  # a name of its own, not the first word
    if named and len(content) >= 2 and not _ANOTHER.match(question):
        return False
    if any(w in _PRONOUNS for w in words):
        return True
    if _ANOTHER.match(question):  # "What about the Idlib defection?": the same question of another thing
        return True
    elliptic = _ELLIPTIC.match(question)
    few = 2 if elliptic and elliptic.group(1).lower() in ("who", "what") else 3  # "Who said the clashes were ongoing?" stands alone
    return len(content) < few and bool(elliptic) or len(content) < 2


def rewrite(question: str, previous: list[str]) -> str:
    """The query to search for ``question`` given the earlier searched queries (oldest first)."""
    if not previous or not needs_context(question):
        return question
    have = {w.lower() for w in question_words(question)}
    extra = [w for w in question_words(previous[-1]) if w.lower() not in have]
    if not extra:
        return question
    return f"{question.strip()} ({' '.join(extra)})"


@dataclass(frozen=True)
class Turn:
    """One question as read in its conversation: its reading (filters carried over) and the query searched."""

    question: str
    reading: Reading
    query: str
    follow_up: bool = False  # it leaned on the turn before (its query or filters came from there)


def read_turns(questions: list[str], outlets=(), as_of=None) -> list[Turn]:
    """Each question of a conversation (oldest first, the current one last) read with the turns before it."""
    out: list[Turn] = []
    for q in questions:
        r = read_question(q, outlets, as_of)
        leans, topical = needs_context(q), has_topic(r.topic)
        if not out or not (leans or not topical):
            out.append(Turn(q, r, q))
            continue
        p = out[-1]
        # what a follow-up takes from the turn before: what it was about, not how it asked ("…, by date")
        listed = asks_for_dated_list(p.question) and not asks_for_dated_list(q)
        p_query = without_list_words(p.query) if listed else p.query
        p_topic = without_list_words(p.reading.topic) if listed else p.reading.topic
        # the words a follow-up takes from the turn before: its topic, not the words that became its filters
        before = p_query if not p.reading.filters else (p.reading.topic if has_topic(p.reading.topic) else "")
        if not topical and (r.filters or not leans):
            # "And what did the pro-Kurdish media report?": the last question again, with its own filter
            query, topic = p_query, p_topic
        elif topical:  # "Why did they attack it?": the previous words added
            query, topic = rewrite(q, [before] if before else []), r.topic
        else:  # "Why?"
            query, topic = rewrite(q, [before] if before else []), p_topic
        r = replace(r, topic=topic, leanings=r.leanings or p.reading.leanings, sources=r.sources or p.reading.sources,
                    since=r.since or p.reading.since)
        out.append(Turn(q, r, query, follow_up=True))
    return out


@dataclass
class Conversation:
    """One browser session's turns: what was asked, what was searched, and the answer."""

    turns: list[Answer] = field(default_factory=list)
    unread: dict[int, tuple[str, ...]] = field(default_factory=dict)  # by turn (1-based): the chips removed

    def searched_history(self) -> list[str]:
        return [t.searched or t.question for t in self.turns]

    def to_markdown(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts = [f"# Conversation exported {stamp}", ""]
        for i, t in enumerate(self.turns, 1):
            parts += [f"## {i}.", "", t.to_markdown()]
        return "\n".join(parts)
