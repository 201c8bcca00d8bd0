"""Reranking stage: re-scores the fused top candidates."""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from corpus.text.sentences import passage_spans
from index.embed.base import offline_defaults
from index.errors import ModelError
from index.parallel import run_each, share_work
from index.types import Hit, titled
from qa.retrieval.scores import minmax, with_rerank_scores
from qa.retrieval.term_weights import TermWeights

BUILTIN = Path(__file__).resolve().parent.parent / "models" / "reranker-minilm-int8"  # qa/models/
BATCH = 5  # most pairs a forward pass of the built-in reranker takes (chosen by timing batch sizes: bench/paired.py)


def batch_count(n: int) -> int:
    """How many forward passes ``n`` pairs take: an even number (the two threads that share them get
    as many each), each of at most ``BATCH`` pairs (even batches of few pairs beat uneven ones:
    bench/README.md, *Speed and scale*)."""
    return min(n, 2 * -(-n // (2 * BATCH)))


class Reranker(ABC):
    """Re-orders hits for a query.

    Every implementation passes the same contract suite (``tests/qa/retrieval/test_rerank.py``): the same
    hits come back, best first, each with a ``rerank`` score that ``score`` is sorted by.
    """

    name: str

    def warm_up(self):
        """Load the model now (otherwise it loads on first use)."""
        return self

    @abstractmethod
    def rerank(self, query: str, hits: list[Hit], texts: list[str] | None = None) -> list[Hit]:
        """Return the same hits, best first, with a ``rerank`` score.

        ``texts``: what to read of each hit (``rerank_windows``); default its titled passage.
        """


class CrossEncoderReranker(Reranker):
    """Any sentence-transformers ``CrossEncoder`` (hub name or local folder), loaded on first use."""

    def __init__(self, model: str, device: str = "cpu", max_length: int = 256):
        self.name = model
        self._device = device
        self._max_length = max_length
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self):
        with self._lock:
            if self._model is None:
                offline_defaults()
                from sentence_transformers import CrossEncoder

                try:
                    self._model = CrossEncoder(self.name, device=self._device, max_length=self._max_length)
                except (OSError, ValueError) as exc:
                    raise ModelError(f"cannot load reranker {self.name!r}: {exc}") from exc
        return self._model

    def rerank(self, query: str, hits: list[Hit], texts: list[str] | None = None) -> list[Hit]:
        if not hits:
            return hits
        model = self.warm_up()
        pairs = list(zip([query] * len(hits), texts or [h.passage.titled_text for h in hits], strict=True))
        scores = np.asarray(model.predict(pairs, show_progress_bar=False, batch_size=32), dtype=np.float32)
        if scores.ndim > 1:
            scores = scores[:, -1]
        return with_rerank_scores(hits, scores)


class OnnxCrossEncoderReranker(Reranker):
    """The built-in reranker: a MiniLM-L6 cross-encoder trained for this product, as int8 ONNX.

    Trained by ``bench/train_reranker.py`` on SQuADShifts Reddit and Amazon-review questions
    (CC BY 4.0) with BM25 hard negatives. Its score is blended with the fusion score:
    ``weight * minmax(cross-encoder) + (1 - weight) * minmax(fusion)``.
    """

    def __init__(self, folder: Path = BUILTIN, weight: float = 0.6, max_length: int = 256, threads: int | None = 1):
        self.folder = Path(folder)
        self.name = f"builtin:{self.folder.name}"
        self.weight = weight
        self._max_length = max_length
        self._threads = threads
        self._session = None
        self._tok = None
        self._lock = threading.Lock()

    def warm_up(self):
        with self._lock:
            if self._session is None:
                from index.embed import onnx_session

                model = self.folder / "model.onnx"
                if not model.exists():
                    raise ModelError(f"built-in reranker is missing: {model}")
                # longest first: the passage is cut as before, and a question longer than the window
                # itself (a pasted paragraph, raw HTML) is cut too instead of failing the tokenizer
                self._session, self._tok = onnx_session(
                    model, self.folder / "tokenizer.json", self._threads, self._max_length, "longest_first"
                )
        return self._session

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        """Raw relevance logits of ``passages`` for ``query``.

        Pairs of similar length go together, ``batch_count`` batches, each as wide as its longest
        pair (less padding than one batch padded to the longest). With ``threads`` 1 (the default)
        the batches run one a core, shared with a helper thread, with the same scores as one batch at
        a time on two intra-op threads and less time (``bench/paired.py --change helper-thread``).
        """
        session = self.warm_up()
        out = np.zeros(len(passages), np.float32)
        if not passages:
            return out
        enc = self._tok.encode_batch([(query, p) for p in passages])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        types = np.array([e.type_ids for e in enc], dtype=np.int64)
        lengths = mask.sum(1)
        order = np.argsort(lengths, kind="stable")

        def run(rows: np.ndarray) -> None:
            width = int(lengths[rows].max())
            feeds = {"input_ids": ids[rows, :width], "attention_mask": mask[rows, :width], "token_type_ids": types[rows, :width]}
            out[rows] = session.run(None, feeds)[0][:, 0]

        # with one intra-op thread a batch, the batches are shared with a helper thread
        (share_work if self._threads == 1 else run_each)(run, np.array_split(order, batch_count(len(passages))))
        return out

    def rerank(self, query: str, hits: list[Hit], texts: list[str] | None = None) -> list[Hit]:
        if not hits:
            return hits
        ce = self.score(query, texts or [h.passage.titled_text for h in hits])
        fused = np.array([h.scores.get("fused", h.score) for h in hits], dtype=np.float32)
        return with_rerank_scores(hits, blend(ce, fused, self.weight))


def blend(ce: np.ndarray, fused: np.ndarray, weight: float) -> np.ndarray:
    """The built-in reranker's score: ``weight * minmax(ce) + (1 - weight) * minmax(fused)``."""
    return weight * minmax(ce) + (1 - weight) * minmax(fused)


def default_reranker(weight: float = 0.6, max_length: int = 256) -> Reranker | None:
    """The offline reranker used when no ``rerank_model`` is configured."""
    return OnnxCrossEncoderReranker(weight=weight, max_length=max_length) if (BUILTIN / "model.onnx").exists() else None


def rerank_windows(query: str, hits: list[Hit], terms: TermWeights, tokens: int) -> list[str]:
    """What the reranker reads of each hit: its title and the sentences that share the most of the
    question's keywords (IDF-weighted), in reading order, about ``tokens`` wordpieces with the question.

    A cross-encoder's cost grows with its input; the sentences that match the question carry its
    judgement, the rest of a 200-wordpiece passage mostly costs time.
    """
    budget = max(tokens - 3 - _pieces(query), 16)
    out = []
    for h in hits:
        p = h.passage
        spans = passage_spans(p)
        if len(spans) <= 1 or _pieces(p.titled_text) <= budget:
            out.append(p.titled_text)
            continue
        texts = [p.text[a:b] for a, b in spans]
        cover = terms.coverages(query, texts)
        room = budget - _pieces(p.title)
        keep: list[int] = []
        for i in np.argsort(-cover, kind="stable"):
            n = _pieces(texts[i])
            if keep and n > room:
                continue
            keep.append(int(i))
            room -= n
            if room <= 8:
                break
        out.append(titled(p.title, " ".join(texts[i] for i in sorted(keep))))
    return out


def _pieces(text: str) -> int:
    """About how many wordpieces ``text`` is (news English: ~1.3 a word, punctuation its own)."""
    return int(1.3 * len(_WORDS.findall(text))) + 1


_WORDS = re.compile(r"\w+|[^\w\s]")
