"""Errors raised while reading articles."""


class CorpusError(Exception):
    """Base class of errors about input articles."""


class UnreadableInput(CorpusError):
    """A path does not exist or cannot be read at all."""
