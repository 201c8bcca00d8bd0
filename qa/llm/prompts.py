"""Every prompt the written answers send: the answer's, its worked example, the model's own check."""

from __future__ import annotations

import re

from qa.answer.markdown import who_says
from qa.types import Evidence

SYSTEM = (
    "You answer an analyst's question about news articles using only the numbered evidence sentences. "
    "Write a short answer of one to four sentences. End every sentence with the number of the evidence "
    "sentence it uses, in square brackets, like [2]. Say who reports or says each thing, as the evidence "
    "gives it (\"according to ...\"). Use only names, numbers and dates found in the evidence. "
    "If the evidence does not answer the question, reply only: The articles do not say."
)
# one worked example of the format (another subject, so none of its words can leak into an answer unnoticed:
# the verifier checks names and numbers against the cited evidence)
EXAMPLE = [
    {"role": "user", "content": "Evidence:\n[1] (Harbor Times; 2020-05-02; according to: the mayor) The bridge will reopen "
                                "on Monday after repairs, the mayor said.\n[2] (Harbor Times; 2020-05-02; Harbor Times's own "
                                "reporting) The repairs cost $2 million.\n\nQuestion: When will the bridge reopen, and what "
                                "did the repairs cost?"},
    {"role": "assistant", "content": "The bridge will reopen on Monday, according to the mayor [1]. The Harbor Times reports "
                                     "that the repairs cost $2 million [2]."},
]
# the model's own check of one kept sentence: nothing but the cited evidence and the sentence, a one-word reply
JUDGE = (
    "You check a statement against evidence. Reply yes if the evidence states everything the statement says, "
    "about the same people and things. Reply no if the statement adds anything, changes who or what something "
    "is about, or answers something the evidence does not state."
)
REMINDER = "Answer in one to four sentences, each ending with the number of its evidence sentence in square brackets."
DOES_NOT_SAY = "the articles do not say"


def evidence_line(n: int, e: Evidence) -> str:
    """``[n] (ANHA, 2015-03-20; according to: Khalid Iskef (...)) The sentence.``"""
    meta = [x for x in (e.source, e.date) if x]
    who = who_says(e.attribution, e.source)
    if who:
        meta.append(who)
    head = f"({'; '.join(meta)}) " if meta else ""
    return f"[{n}] {head}{' '.join(e.text.split())}"


def messages(question: str, evidence: list[Evidence], history: list[tuple[str, str]] = ()) -> list[dict]:
    """The chat messages: instructions, recent turns, then the numbered evidence and the question."""
    out = [{"role": "system", "content": SYSTEM}, *EXAMPLE]
    for q, a in history:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    body = "\n".join(evidence_line(i, e) for i, e in enumerate(evidence, 1))
    out.append({"role": "user", "content": f"Evidence:\n{body}\n\nQuestion: {question}\n\n{REMINDER}"})
    return out


def judge_messages(statement: str, evidence: tuple[Evidence, ...] | list[Evidence]) -> list[dict]:
    """Messages asking whether ``evidence`` (with its outlet, date and who says it) supports ``statement``."""
    body = "\n".join(evidence_line(i, e).split(" ", 1)[1] for i, e in enumerate(evidence, 1))
    return [{"role": "system", "content": JUDGE},
            {"role": "user", "content": f"Evidence:\n{body}\n\nStatement: {statement}\n\n"
                                        "Does the evidence support the statement? Reply yes or no."}]


def verdict(reply: str) -> bool | None:
    """The judge's reply read: True for yes, False for no, None when it is neither."""
    first = re.match(r"\W*([A-Za-z]+)", reply)
    word = first.group(1).lower() if first else ""
    return True if word == "yes" else False if word == "no" else None
