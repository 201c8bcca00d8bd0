"""The domain errors users can see; the CLI and the UI turn them into one-line messages."""

from corpus.errors import CorpusError, UnreadableInput
from index.errors import (
    IndexBusy,
    IndexCorrupt,
    IndexError_,
    IndexNotFound,
    ModelError,
    ModelMismatch,
    SettingsError,
)


class QAError(Exception):
    """Base class of errors raised by the question-answering layer."""


class BadQuestion(QAError, ValueError):
    """The question is empty, too long or not text."""


class BadFilter(QAError, ValueError):
    """A filter value has the wrong type or format."""


USER_ERRORS = (QAError, IndexError_, CorpusError)

__all__ = [
    "BadFilter",
    "BadQuestion",
    "CorpusError",
    "IndexBusy",
    "IndexCorrupt",
    "IndexError_",
    "IndexNotFound",
    "ModelError",
    "ModelMismatch",
    "QAError",
    "SettingsError",
    "USER_ERRORS",
    "UnreadableInput",
]
