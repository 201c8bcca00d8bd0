"""Compose a cited answer from retrieved passages: select evidence → annotate → write claims → assemble.

Each step is its own module with its own small interface, so later stages plug in between them:
an annotator (attribution, corroboration) adds to the evidence, another writer (an LLM, whose
claims are verified) replaces the quoting one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from index.embed import Embedder
from index.types import Hit
from qa.answer.assemble import NOT_FOUND, assemble, not_found
from qa.answer.evidence import Selection, select_evidence
from qa.answer.quotes import ClaimWriter, QuoteWriter
from qa.retrieval.term_weights import TermWeights
from qa.settings import AnswerSettings
from qa.types import Answer, Evidence


class Annotator(Protocol):
    """Adds to selected evidence (e.g. who the article says is speaking) without changing its span."""

    def annotate(self, question: str, evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]: ...


def compose(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    settings: AnswerSettings,
    *,
    terms: TermWeights,
    passage_vectors: np.ndarray | None,
    searched: str | None = None,
    query_vector: np.ndarray | None = None,
    writer: ClaimWriter | None = None,
    annotators: Sequence[Annotator] = (),
    keep: Callable[[Evidence], bool] | None = None,
    prefer: Callable[[Evidence], float] | None = None,
    on_topic: bool = False,
    lead: Callable[[Evidence], bool] | None = None,
) -> Answer:
    """Build the ``Answer`` for ``question`` from ranked ``hits``.

    The annotators run on the candidate sentences, so ``keep`` (a filter) and ``prefer`` (a score
    bonus) can look at what they add, e.g. who says each sentence. ``on_topic``: the question names
    a topic, so a passage ``keep`` lets through must be about it on its own, and the sentences
    ``lead`` picks come first (see ``select_evidence``).
    """
    query = searched or question

    def annotate(evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
        for a in annotators:
            evidence = a.annotate(question, evidence)
        return evidence

    sel: Selection = select_evidence(query, hits, embedder, settings, terms=terms, passage_vectors=passage_vectors,
                                     query_vector=query_vector, annotate=annotate if annotators else None,
                                     keep=keep, prefer=prefer, on_topic=on_topic, lead=lead)
    if not sel.found:
        return not_found(question, annotate(sel.closest) if annotators else sel.closest, searched)
    claims = (writer or QuoteWriter()).write(question, sel.evidence)
    return assemble(question, claims, searched)


__all__ = ["NOT_FOUND", "Annotator", "TermWeights", "compose"]
