"""Conversations: follow-up questions rewritten from the history, and Markdown export.

Without a generative model, a follow-up is rewritten by rule: when it leans on the previous turn
(a pronoun, an elliptic "Why?", or fewer than three content words), the content words of the
previous searched question are added to it. The rewritten query is what gets searched; the
question the analyst typed stays as asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from corpus.text.vocabulary import QUESTION_FILLER
from qa.types import Answer

_WORD = re.compile(r"[\w’'-]+", re.UNICODE)
_PRONOUNS = {"it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "this", "that", "these", "those", "there", "then"}
_ELLIPTIC = re.compile(r"^\s*(why|how|when|where|who|what|and|so|really|how come|what else|what about)\b", re.I)


def content_words(text: str) -> list[str]:
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


def needs_context(question: str) -> bool:
    """Does this question lean on an earlier turn?"""
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    if any(w in _PRONOUNS for w in words):
        return True
    content = content_words(question)
    return len(content) < 3 and bool(_ELLIPTIC.match(question)) or len(content) < 2


def rewrite(question: str, previous: list[str]) -> str:
    """The query to search for ``question`` given the earlier searched queries (oldest first)."""
    if not previous or not needs_context(question):
        return question
    have = {w.lower() for w in content_words(question)}
    extra = [w for w in content_words(previous[-1]) if w.lower() not in have]
    if not extra:
        return question
    return f"{question.strip()} ({' '.join(extra)})"


@dataclass
class Conversation:
    """One browser session's turns: what was asked, what was searched, and the answer."""

    turns: list[Answer] = field(default_factory=list)

    def searched_history(self) -> list[str]:
        return [t.searched or t.question for t in self.turns]

    def to_markdown(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts = [f"# Conversation exported {stamp}", ""]
        for i, t in enumerate(self.turns, 1):
            parts += [f"## {i}.", "", t.to_markdown()]
        return "\n".join(parts)
