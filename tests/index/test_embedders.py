"""One contract for every embedding backend: the same interface, and vectors that agree with the
float32 torch model within a stated tolerance.

- ``torch``: sentence-transformers, float32 (the reference).
- ``onnx``: the float32 ONNX export of the same weights that answers queries without torch (max abs
  difference 1e-5).
- ``onnx-int8``: the bundled int8 model (cosine >= 0.98 to float32).
- ``torch-bf16``: bfloat16 weights (cosine >= 0.99).
"""

from __future__ import annotations

import numpy as np
import pytest

from index.embed import DEFAULT_MODEL, Embedder, SentenceTransformerEmbedder, make_embedder

TEXTS = [
    "Who attacked Tel Khanzir, and why?",
    "Kurdish YPG fighters captured 12 villages near Kobani on Tuesday, the pro-Kurdish ANHA outlet reported.",
    "Ünïcode — “quotes”, digits 2015-03-25 and a URL https://example.org/x?y=1",
    "",
    "Jaish al-Fatah " * 120,  # longer than the model's window: cut there, counted in full
]
SENTENCE_INT8_COSINE = 0.96  # the int8 copy answer sentences go through (0.99 typical, 0.968 the least of 1,500 news sentences)
COSINE = {"torch": 0.99999, "onnx": 0.99999, "onnx-int8": 0.98, "torch-bf16": 0.99}


class OnnxTwin(Embedder):
    """The torch backend's query path on its own: a fresh embedder that has not loaded torch."""

    def __init__(self, reference: SentenceTransformerEmbedder):
        self._e = SentenceTransformerEmbedder()
        assert reference._query_model_file().is_file()
        self.name, self.dim, self.backend, self.max_tokens = self._e.name, reference.dim, "onnx", reference.max_tokens

    def embed(self, texts, batch_size=64):
        out = self._e.embed_light(texts)
        assert self._e._model is None, "the ONNX path loaded torch"
        return out

    def count_tokens(self, texts):
        return self._e._query_session().count_tokens(texts)


@pytest.fixture(scope="module", params=["torch", "onnx", "onnx-int8", "torch-bf16"])
def backend(request, embedder):
    if request.param == "torch":
        return request.param, embedder
    if request.param == "onnx":
        return request.param, OnnxTwin(embedder)
    e = make_embedder(backend=request.param)
    e.warm_up()
    return request.param, e


def test_interface_and_identity(backend):
    kind, e = backend
    assert e.name == DEFAULT_MODEL and e.dim == 384 and e.backend == kind
    assert e.max_tokens == 254


def test_unit_vectors_of_the_right_shape(backend):
    _, e = backend
    v = e.embed(TEXTS)
    assert v.shape == (len(TEXTS), 384) and v.dtype == np.float32 and v.flags["C_CONTIGUOUS"]
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert e.embed([]).shape[0] == 0


def test_query_and_light_paths_agree_with_embed(backend):
    kind, e = backend
    full = e.embed(TEXTS)
    assert float(e.embed_query(TEXTS[0]) @ full[0]) > 0.999
    light = e.embed_light(TEXTS[:3])
    assert np.all(np.sum(light * full[:3], axis=1) > 0.999)
    texts = [TEXTS[1], TEXTS[0], TEXTS[1], TEXTS[2]]  # a repeat inside one call, then all remembered
    first = e.embed_sentences(texts)
    near = SENTENCE_INT8_COSINE if kind == "torch" else 0.999  # torch: answer sentences through the int8 copy
    assert first.shape == (4, 384) and np.all(np.sum(first * full[[1, 0, 1, 2]], axis=1) > near)
    assert np.array_equal(e.embed_sentences(texts[::-1]), first[::-1])
    assert e.embed_sentences([]).shape == (0, 384)


def test_vectors_agree_with_float32_within_the_stated_tolerance(backend, embedder):
    kind, e = backend
    ref = embedder.embed(TEXTS)
    cos = np.sum(e.embed(TEXTS) * ref, axis=1)
    assert cos.min() >= COSINE[kind], (kind, cos)
    if kind == "onnx":
        assert np.abs(e.embed(TEXTS) - ref).max() < 1e-5


def test_token_counts_are_the_models_wordpieces_without_special_tokens(backend, embedder):
    _, e = backend
    counts = e.count_tokens(TEXTS)
    assert counts == embedder.count_tokens(TEXTS)
    assert counts[3] == 0 and counts[4] > 254  # not capped at the window: the chunker needs the true length


def test_similar_texts_are_closer_than_unrelated_ones(backend):
    _, e = backend
    a, b, c = e.embed(["Fighters attacked the town of Tel Khanzir.", "Tel Khanzir was attacked by fighters.",
                       "The central bank raised interest rates."])
    assert a @ b > a @ c + 0.2


def test_answer_sentences_go_through_an_int8_copy_of_the_export(embedder):
    from index.embed.export import int8_model_file

    export = embedder._query_model_file()
    assert export.is_file() and int8_model_file(export).is_file()  # made beside the export, once
    fresh = SentenceTransformerEmbedder()  # a new process: no torch, the export and its int8 copy on disk
    texts = TEXTS[:3] + ["Tel Khanzir was attacked by fighters.", "The central bank raised interest rates."]
    int8 = fresh.sentence_vectors(texts)
    assert fresh._model is None and fresh._int8 is not None and fresh._int8 is not False
    ref = embedder.embed(texts)
    cos = np.sum(int8 * ref, axis=1)
    assert cos.min() >= SENTENCE_INT8_COSINE and not np.allclose(int8, ref, atol=1e-4), cos  # close, and truly int8
    assert int8[0] @ int8[3] > int8[0] @ int8[4] + 0.2  # the question is nearer its answer than the bank
    off = SentenceTransformerEmbedder(sentence_int8=False)
    assert np.abs(off.sentence_vectors(texts) - ref).max() < 1e-5  # off: the float32 query path
    assert off._int8 is None


def test_sentences_shared_with_a_helper_thread_get_the_vectors_they_get_alone(embedder):
    from index.parallel import share_work

    fresh = SentenceTransformerEmbedder()
    texts = TEXTS[:3] + ["Tel Khanzir was attacked by fighters.", "The central bank raised interest rates."] * 3
    together = fresh.sentence_vectors(texts)  # the answer path: two threads, one sentence a pass each
    alone = np.vstack([fresh.sentence_vectors([t]) for t in texts])
    assert np.array_equal(together, alone)
    ran: list[int] = []

    def run(i: int) -> None:
        if i == 3:
            raise ValueError("item 3")
        ran.append(i)

    with pytest.raises(ValueError, match="item 3"):  # whichever thread ran it, the caller hears of it
        share_work(run, list(range(6)))
    assert set(ran) <= {0, 1, 2, 4, 5}
