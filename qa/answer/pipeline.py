"""The answer to one request: retrieve, select evidence, write claims (quoted, or written and verified),
annotate them (who says so, the day), corroborate, and report what each stage took.

It reads the index only through the search seam (``index.backend.SearchBackend``) and is handed its
parts (settings, embedder, reranker, backend), never the ``Assistant``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from index.backend import SearchBackend
from index.embed import Embedder
from qa.analysis.attribution import AttributionAnnotator, keep_attributed, prefer_named
from qa.analysis.event_dates import DatingAnnotator, combine, prefer_dated
from qa.answer.compose import compose
from qa.answer.request import AskRequest
from qa.errors import BadFilter
from qa.retrieval.hybrid import HybridRetriever
from qa.retrieval.rerank import Reranker
from qa.retrieval.term_weights import TermWeights
from qa.retrieval.time_window import as_of_date, time_window
from qa.settings import RetrievalSettings, Settings
from qa.timing import stage
from qa.types import Answer

RETRIEVE_STAGES = ("encode", "dense", "bm25", "fusion", "rerank")


@dataclass(frozen=True)
class Parts:
    """What answering reads: the settings, the models and the index version in use."""

    settings: Settings
    embedder: Embedder
    reranker: Reranker | None
    backend: SearchBackend


def timings(stages: dict[str, float], wall_ms: float) -> dict:
    """The per-stage times (ms, exclusive) and the three totals earlier releases reported."""
    def total(names) -> float:
        return round(sum(v for k, v in stages.items() if k in names), 1)

    corr = [k for k in stages if k == "corroboration" or k.startswith("corroboration/")]
    return {"retrieve_ms": total(RETRIEVE_STAGES), "compose_ms": total(set(stages) - set(RETRIEVE_STAGES) - set(corr)),
            "corroborate_ms": total(corr), "total_ms": round(wall_ms, 1),
            "stages": {k: round(v, 2) for k, v in stages.items()}}


def as_of_day(as_of: Any) -> date:
    """The as-of day (today when None). Raises ``BadFilter`` for a value that is no date."""
    try:
        return as_of_date(as_of)
    except (TypeError, ValueError) as exc:
        raise BadFilter(str(exc)) from None


def window_for(query: str, as_of: Any, opts: RetrievalSettings):
    """The days the query's time words name (a preference, not a filter), or None."""
    day = as_of_day(as_of)  # checked even when the time stage is off
    if opts.time_boost <= 0:
        return None
    return time_window(query, day, opts.recent_days)


def answer(parts: Parts, request: AskRequest, query: str, opts: RetrievalSettings, llm=None,
           history=(), on_token=None) -> tuple[Answer, list, Any, Any, Any]:
    """``(answer, hits, filters, window, written)`` for ``request``, searching ``query``."""
    from qa.analysis.corroboration import is_corroboration_question, topic

    question, asked = request.question, query
    if is_corroboration_question(question):  # search for what the reports are about, not for talk of outlets
        query = topic(query)
    if (request.speakers or request.leanings) and request.k is None:  # only some sentences may be quoted
        opts = opts.model_copy(update={"k": max(opts.k, 20)})
    filters = request.filters
    window = window_for(asked, request.as_of, opts)
    with stage("encode"):
        qv = parts.embedder.embed_query(query)  # once: retrieval and answer composition both use it
    hits = HybridRetriever(parts.embedder, parts.reranker).retrieve(parts.backend, query, opts, filters, window, qv)
    writer = None
    if llm is not None:
        from qa.llm.writer import LLMWriter

        writer = LLMWriter(llm, parts.embedder, parts.settings.llm, parts.settings.answer.max_sentences,
                           history, on_token)
    with stage("compose" if writer is None else "llm", group=writer is not None):
        result = _compose(parts, request, query, hits, qv, writer, asked)
    s = parts.settings.answer
    if s.corroboration if request.corroborate is None else request.corroborate:
        with stage("corroboration", group=True):
            result = _corroborate(parts, question, result, (query, opts, filters, window, qv))
    return result, hits, filters, window, (writer.result if writer else None)


def _compose(parts: Parts, request: AskRequest, query, hits, qv, writer=None, asked=None) -> Answer:
    asked = asked or query  # the named sources and days of the question as asked ("according to CNN")
    question, backend, settings = request.question, parts.backend, parts.settings
    s = settings.answer
    if writer is not None:  # the model reads more evidence than a quoted answer shows
        s = s.model_copy(update={"max_sentences": settings.llm.evidence, "score_ratio": min(s.score_ratio, 0.5)})
    speakers, leanings = request.speakers, request.leanings
    return compose(
        question, hits, parts.embedder, s, writer=writer, terms=TermWeights(backend),
        passage_vectors=backend.vectors([h.passage.pid for h in hits]) if hits else None,
        searched=query if query != question else None, query_vector=qv,
        annotators=(AttributionAnnotator(backend.attributions), DatingAnnotator()),
        keep=keep_attributed(speakers, leanings),
        prefer=combine(prefer_named(asked, settings.answer.source_weight, asked_for=bool(speakers or leanings)),
                       prefer_dated(asked, as_of_day(request.as_of), settings.answer.event_weight)),
    )


def _corroborate(parts: Parts, question: str, result: Answer, search=None) -> Answer:
    """Each cited claim with its corroboration; a question about which outlets reported something,
    or whether their figures agree, is answered from it and from each other article's best answer
    to the question (``search``: its query, options, filters, window and vector; each report and
    figure cited)."""
    from qa.analysis.corroboration import (
        Corroborator,
        corroboration_claims,
        is_corroboration_question,
    )
    from qa.answer.assemble import assemble

    if not result.citations or not parts.settings.answer.corroboration_claims:
        return result
    corr = Corroborator(parts.backend, parts.embedder, parts.settings.answer)
    cites = corr.citations(result.citations)
    result = replace(result, citations=cites)
    if not is_corroboration_question(question) or any(c.how == "generated" for c in result.claims):
        return result
    reports = corr.question_reports(question, result.claims, *search) if search else []
    claims = corroboration_claims(question, result.claims, cites, corr.found, reports=reports)
    if len(claims) == len(result.claims):
        return result
    found = {(c.article_id, c.start, c.end): c.corroboration for c in cites}
    new = assemble(question, claims, result.searched)
    return replace(new, citations=tuple(replace(c, corroboration=found.get((c.article_id, c.start, c.end)))
                                        for c in new.citations))
