"""The kind of a question read by the LLM, when one is configured and the rules found none.

The rules (``qa.answer.reading``) read the kinds their words plainly say; a question they read as a
plain ``fact`` may still ask for a shape ("Give me the sequence of events around Kobani" is a
timeline). The model is asked for the kind only, never for filters: a filter it guessed could hide
the evidence, and a kind only changes the shape the same evidence is shown in. A reply that is not
one of the kinds leaves the rules' reading.
"""

from __future__ import annotations

import re

from qa.answer.reading import KINDS

_DEFINITIONS = """fact: a plain question about what happened or what is the case
who_said: asks who said, told or reported something
who_is: asks who a person is, their role or where they work, or what kind of outlet something is
source_view: asks what a named source, or a kind of source (pro-Kurdish outlets, the activist), says
coverage: asks which outlets reported something
agreement: asks whether the sources agree on a figure or a claim
timeline: asks for events in date order, or when something happened"""


def kind_messages(question: str) -> list[dict]:
    return [
        {"role": "system", "content": "Classify a news analyst's question into exactly one kind. The kinds:\n"
                                      f"{_DEFINITIONS}\nReply with the kind only."},
        {"role": "user", "content": question},
    ]


def clean_kind(reply: str) -> str | None:
    """The kind the reply names (its first one), or None when it names none."""
    words = re.findall(r"[a-z_]+", reply.lower().replace("-", "_").replace("who said", "who_said")
                       .replace("who is", "who_is").replace("source view", "source_view"))
    return next((w for w in words if w in KINDS), None)


def read_kind(llm, question: str) -> str | None:
    """The kind the model reads ``question`` as, or None (no usable reply, or the model failed)."""
    from qa.llm.client import LLMUnavailable
    from qa.timing import stage

    try:
        with stage("llm_read"):
            return clean_kind(llm.complete(kind_messages(question)))
    except LLMUnavailable:
        return None
