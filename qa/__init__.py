"""Cited question answering over news articles.

    >>> from qa import ask
    >>> answer = ask("Who attacked Tel Khanzir, and why?")
    >>> print(answer.to_markdown())

Importing this package is cheap: models load on first use.
"""

import os as _os

_os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import index as _index  # noqa: E402,F401  (sets the offline defaults before any model library loads)
from qa.assistant import Assistant, ask  # noqa: E402
from qa.errors import (  # noqa: E402
    BadFilter,
    BadQuestion,
    IndexBusy,
    IndexCorrupt,
    IndexNotFound,
    ModelMismatch,
    QAError,
)
from qa.settings import Settings  # noqa: E402
from qa.types import Answer, Citation  # noqa: E402

__all__ = [
    "Answer",
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
