"""Cited question answering over news articles.

    >>> from qa import ask
    >>> answer = ask("Who attacked Tel Khanzir, and why?")
    >>> print(answer.to_markdown())

Importing this package is cheap and changes nothing (no environment variable is set): models
load on first use.
"""

from qa.answer.request import AskRequest
from qa.assistant import Assistant, ask
from qa.errors import (
    BadFilter,
    BadQuestion,
    IndexBusy,
    IndexCorrupt,
    IndexNotFound,
    ModelMismatch,
    QAError,
)
from qa.settings import Settings
from qa.types import Answer, Citation

__all__ = [
    "Answer",
    "AskRequest",
    "Assistant",
    "BadFilter",
    "BadQuestion",
    "Citation",
    "IndexBusy",
    "IndexCorrupt",
    "IndexNotFound",
    "ModelMismatch",
    "QAError",
    "Settings",
    "ask",
]
