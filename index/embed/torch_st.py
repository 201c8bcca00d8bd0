"""sentence-transformers models on torch (float32 or bfloat16); queries through an ONNX twin."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed.base import (
    Embedder,
    default_query_threads,
    offline,
    offline_defaults,
    resolve_model,
)
from index.embed.export import export_query_model, quantize_query_model, query_model_file
from index.embed.onnx import OnnxEncoder
from index.errors import ModelError
from index.settings import MAX_SEQ


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on the CPU, loaded on first use."""

    def __init__(self, model: str = "default", dtype: str = "float32", device: str = "cpu", query_threads: int = 0,
                 sentence_int8: bool = True):
        if dtype not in {"float32", "bfloat16", "float16"}:
            raise ValueError(f"dtype must be float32, bfloat16 or float16, got {dtype!r}")
        self.name, self._path = resolve_model(model)
        self.dtype = dtype
        self.device = device
        self.query_threads = query_threads or default_query_threads()
        self.backend = {"float32": "torch", "bfloat16": "torch-bf16", "float16": "torch-fp16"}[dtype]  # as the setting names it
        self._model = None
        self._onnx: OnnxEncoder | None = None
        self.sentence_int8 = sentence_int8
        self._int8: OnnxEncoder | bool | None = None  # False: there is none
        self._lock = threading.Lock()

    def warm_up(self):
        """Load the torch model now (otherwise it loads on first use)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self):
        offline_defaults()
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        kwargs = {}
        if self.dtype != "float32":
            kwargs["model_kwargs"] = {"dtype": getattr(torch, self.dtype)}
        try:
            model = SentenceTransformer(self._path, device=self.device, **kwargs)
        except OSError as exc:
            hint = ""
            if offline() and not Path(self._path).exists():
                hint = " (model downloads are off: set QA_EMBED_ALLOW_DOWNLOADS=1 or give a local folder)"
            raise ModelError(f"cannot load embedding model {self.name!r}: {exc}{hint}") from exc
        model.max_seq_length = min(model.max_seq_length or MAX_SEQ, MAX_SEQ)
        self._export_query_model(model)
        return model

    # ----- the query path: the same weights exported to ONNX, no torch import -----
    def _query_model_file(self) -> Path | None:
        return query_model_file(self.name, Path(self._path), self.dtype, self.device)

    def _export_query_model(self, model) -> None:
        target = self._query_model_file()
        if target is not None:
            export_query_model(model, target)

    def _query_session(self) -> OnnxEncoder | None:
        """The ONNX twin of this model when the torch model is not loaded and an export exists."""
        if self._model is not None:
            return None
        if self._onnx is None:
            target = self._query_model_file()
            if target is None or not target.exists():
                return None
            with self._lock:
                if self._onnx is None:
                    self._onnx = OnnxEncoder(target, Path(self._path) / "tokenizer.json", threads=self.query_threads,
                                             max_length=self._max_seq())
        return self._onnx

    def _int8_session(self) -> OnnxEncoder | None:
        """The int8 copy of the ONNX export (made from it once per machine), or None."""
        if self._int8 is None:
            target = self._query_model_file()
            if target is not None and not target.exists():
                return None  # no export yet (torch exports it on loading): asked again next time
            with self._lock:  # one quantizing at a time: threads of a process share its temporary file name
                if self._int8 is None:
                    made = quantize_query_model(target) if target is not None else None
                    self._int8 = False if made is None else OnnxEncoder(
                        made, Path(self._path) / "tokenizer.json", threads=1, max_length=self._max_seq())
        return self._int8 or None

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Answer sentences through the int8 copy when ``sentence_int8`` is on and an export exists,
        whether or not torch is loaded, so every process compares sentences the same way."""
        int8 = self._int8_session() if self.sentence_int8 and texts else None
        if int8 is not None:
            # one sentence a pass: int8 activations are scaled per batch, so a sentence's vector would
            # depend on its companions (and on what the cache already held); one intra-op thread, the
            # sentences shared with a helper thread on the other core
            return int8.encode(texts, batch_size=1, parallel=True)
        return self.embed_light(texts)

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        return self._max_seq() - 2

    def _max_seq(self) -> int:
        try:
            cfg = json.loads((Path(self._path) / "sentence_bert_config.json").read_text())
            return min(int(cfg.get("max_seq_length") or MAX_SEQ), MAX_SEQ)
        except (OSError, ValueError):
            return MAX_SEQ

    @property
    def dim(self) -> int:  # type: ignore[override]
        model = self.warm_up()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        model = self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if self.dtype != "float32":  # normalised in low precision: unit length again in float32
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True).clip(1e-12)
        return vecs

    def embed_light(self, texts: Sequence[str]) -> np.ndarray:
        onnx = self._query_session()
        if onnx is not None:
            return onnx.encode(texts, batch_size=4)
        return self._few_threads(lambda: self.embed(texts, batch_size=32))

    def embed_query(self, text: str) -> np.ndarray:
        """One query on ``query_threads`` threads.

        Uses the cached ONNX export of the same weights when there is one (identical vectors within
        1e-6, and no torch import: a new process answers seconds sooner).
        """
        return self.embed_light([text])[0]

    def _few_threads(self, fn):
        import torch

        self.warm_up()
        before = torch.get_num_threads()
        torch.set_num_threads(min(self.query_threads, before))
        try:
            return fn()
        finally:
            torch.set_num_threads(before)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        tok = self.warm_up().tokenizer
        enc = tok(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]
