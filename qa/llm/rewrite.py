"""A follow-up question rewritten by the LLM into one that stands alone."""

from __future__ import annotations

import re


def rewrite_messages(question: str, history: list[tuple[str, str]]) -> list[dict]:
    """Messages asking the model to turn a follow-up into a question that stands alone."""
    turns = "\n".join(f"Q: {q}\nA: {a}" for q, a in history)
    return [
        {"role": "system", "content": "Rewrite the last question of a conversation so that it can be understood "
                                      "without the conversation. Reply with the rewritten question only."},
        {"role": "user", "content": f"{turns}\nLast question: {question}"},
    ]


def clean_rewrite(reply: str, question: str) -> str:
    """The first line of the model's rewrite, or the question itself when the reply is unusable."""
    line = next((x.strip() for x in reply.strip().splitlines() if x.strip()), "")
    line = re.sub(r"^(rewritten question|question|q)\s*:\s*", "", line, flags=re.I).strip().strip('"“”')
    return line if 3 <= len(line) <= 400 else question


def rewrite_followup(llm, question: str, history: list[tuple[str, str]]) -> str | None:
    """A follow-up rewritten by the LLM from the history; the word-based rewrite if the model fails;
    None when the question needs no context or the rewrite changes nothing."""
    from qa.conversation import needs_context, rewrite
    from qa.llm.client import LLMUnavailable
    from qa.timing import stage

    if not needs_context(question):
        return None
    try:
        with stage("llm_rewrite"):
            new = clean_rewrite(llm.complete(rewrite_messages(question, history)), question)
    except LLMUnavailable:
        new = rewrite(question, [q for q, _ in history])
    return new if new != question else None
