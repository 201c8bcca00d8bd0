"""Errors of the index: opening, checking and writing it."""


class IndexError_(Exception):
    """Base class of index errors (named with a trailing underscore to keep the builtin)."""


class IndexNotFound(IndexError_):
    """There is no index in the data home yet."""


class IndexCorrupt(IndexError_):
    """An index file is missing, truncated or inconsistent."""


class ModelMismatch(IndexError_):
    """The index was built with another embedding model than the one configured."""


class IndexBusy(IndexError_):
    """Another process is writing to this index."""


class ModelError(IndexError_):
    """The embedding model could not be loaded."""


class SettingsError(IndexError_, ValueError):
    """A setting is unknown, has a bad value, or does not fit with another setting or the model."""
