"""The answer to one request: retrieve, select evidence, write claims (quoted, or written and verified),
annotate them (who says so, the day), corroborate, and report what each stage took.

It reads the index only through the search seam (``index.backend.SearchBackend``) and is handed its
parts (settings, embedder, reranker, backend), never the ``Assistant``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from index.backend import SearchBackend
from index.embed import Embedder
from index.types import Filters
from qa.analysis.attribution import AttributionAnnotator, keep_attributed, prefer_named
from qa.analysis.doers import prefer_doer
from qa.analysis.event_dates import DatingAnnotator, combine, prefer_dated
from qa.answer.compose import compose
from qa.answer.reading import has_topic
from qa.answer.request import AskRequest
from qa.answer.validate import as_of_day, check_question
from qa.retrieval.hybrid import HybridRetriever
from qa.retrieval.rerank import Reranker
from qa.retrieval.term_weights import TermWeights
from qa.retrieval.time_window import time_window
from qa.settings import RetrievalSettings, Settings
from qa.timing import stage
from qa.types import Answer

if TYPE_CHECKING:
    from qa.conversation import Turn

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


def window_for(query: str, as_of: Any, opts: RetrievalSettings):
    """The days the query's time words name (a preference, not a filter), or None."""
    day = as_of_day(as_of)  # checked even when the time stage is off
    if opts.time_boost <= 0:
        return None
    return time_window(query, day, opts.recent_days)


def read(request: AskRequest, history, outlets, llm=None) -> tuple[Turn, AskRequest, dict]:
    """The question read with its history (``qa.conversation.read_turns``), the request with the
    filters its words name (those the caller set win), and ``read_as``: the topic and the filters
    taken from the words (``from_history`` when a follow-up took them from the turn before).

    ``llm``: reads the kind of a question the rules read as a plain fact (``qa.llm.read``; the
    kind only, never a filter); ``read_as["kind_by"]`` is then ``"llm"``."""
    from qa.conversation import read_turns

    earlier = [] if "history" in request.unread else [q for q, _ in history]
    turn = read_turns(earlier + [request.question], outlets, request.as_of or date.today())[-1]
    if llm is not None and turn.reading.kind == "fact":
        from qa.llm.read import read_kind

        kind = read_kind(llm, request.question)
        if kind and kind != "fact":
            turn = replace(turn, reading=replace(turn.reading, kind=kind, by="llm"))
    declined = [k for k in request.unread if k != "history" and getattr(turn.reading, k)]
    if declined:  # the reader removed what was read from the words ("Read as" chips): they are words again
        turn = replace(turn, reading=replace(turn.reading, topic=request.question if not turn.follow_up else turn.reading.topic,
                                             **{k: () if k != "since" else None for k in declined}))
    r, f = turn.reading, request.filters or Filters()
    read_as: dict = {"topic": r.topic}
    leanings = request.leanings
    if not leanings and r.leanings:
        leanings = read_as["leanings"] = r.leanings
    sources, since = f.sources, f.since
    if not sources and r.sources:
        sources = read_as["sources"] = r.sources
    if not since and r.since and not (f.until and r.since > f.until):
        since = read_as["since"] = r.since
    read_as = {k: list(v) if isinstance(v, tuple) else v for k, v in read_as.items()}
    if turn.reading.by == "llm":
        read_as["kind_by"] = "llm"
    if turn.follow_up:
        read_as["from_history"] = True
    if (sources, since, leanings) != (f.sources, f.since, request.leanings):
        active = Filters(sources, since, f.until)
        request = replace(request, filters=active if active.active else None, leanings=leanings)
    return turn, request, read_as


def query_for(request: AskRequest, turn: Turn, read_as: dict, llm=None, history=()) -> str:
    """What to search: the caller's query; a follow-up rewritten by the LLM (when one is given) or
    by rule; the topic when words of the question became filters; else the question."""
    searched = request.searched
    if llm is not None and not searched and history:
        from qa.llm.rewrite import rewrite_followup

        searched = rewrite_followup(llm, request.question, history)
    elif not searched and turn.query != request.question:  # a follow-up, read by rule
        searched = turn.query
    elif not searched and set(read_as) - {"topic"} and has_topic(turn.reading.topic):
        searched = turn.reading.topic  # the filter's words are a filter now, not a topic to search
    return check_question(searched) if searched else request.question


def explain_not_found(result: Answer, request: AskRequest, backend: SearchBackend, read_as: dict) -> Answer:
    """A "not found" answer that says why: no article passes the filters (each named), or none of the
    sentences so attributed answers, or the articles do not say it."""
    from qa.answer.markdown import filter_parts

    if not result.not_found:
        return result
    taken = " (read from the question)" if set(read_as) - {"topic", "from_history"} else ""
    active = _active(request) or {}
    where = "; ".join(filter_parts({k: v for k, v in active.items() if k in ("sources", "since", "until")}))
    who = "; ".join(f"{what}{'s' if len(v) > 1 else ''} {', '.join(v)}"
                    for what, v in (("speaker", request.speakers), ("stated leaning", request.leanings)) if v)
    if where and backend.count(request.filters) == 0:
        text = f"No indexed article matches the filters{taken}: {where}. Remove or widen them to search every article."
    elif who:
        text = f"No sentence attributed to a source with the {who}{taken} answers this in the indexed articles."
    elif where:
        text = f"The indexed articles matching the filters ({where}) do not answer this."
    else:
        return result
    return replace(result, text=text)


def dated_list(parts: Parts, request: AskRequest, query: str, dates: int = 10, per_date: int = 2) -> Answer | None:
    """The answer to a question asking for events by date: a timeline of ``query`` as a list of
    dated, cited events in calendar order ("2015-03-24 (Tuesday) — … [1]"), or None when it has none.

    A day or span the question names ("on Tuesday", read against the as-of day) bounds the events'
    days, and so do the request's publication-day filters."""
    from qa.analysis.event_dates import date_sentence
    from qa.analysis.timeline import TimelineOptions, build, dated_claims

    f = request.filters or Filters()
    named = date_sentence(request.question, as_of_day(request.as_of).isoformat())
    since, until = f.since, f.until
    if named.dated_by in ("explicit", "relative"):
        since, until = named.date, named.until or named.date
    opts = TimelineOptions(dates=dates, per_date=per_date, since=since, until=until)
    days = build(HybridRetriever(parts.embedder), parts.backend, query, opts, parts.settings.retrieval,
                 parts.settings.answer, sources=f.sources, keep_evidence=True)
    if not days:
        return None
    return _as_list(parts, request.question, dated_claims(days), query if query != request.question else None)


def answer(parts: Parts, request: AskRequest, query: str, opts: RetrievalSettings, llm=None,
           history=(), on_token=None, turn: Turn | None = None, read_as: dict | None = None
           ) -> tuple[Answer, list, Any, Any, Any]:
    """``(answer, hits, filters, window, written)`` for ``request``, searching ``query``, its ``kind``
    and ``read_as`` set, and a "not found" that says why (``explain_not_found``).

    ``turn``: the question as read (``read``). A question by date is answered as a dated list
    (``dated_list``; quoted answers only: a written answer is prose); an ``agreement`` question with
    the figures side by side and a verdict. A question without a topic ("What did pro-Kurdish
    outlets report?") finds everything the sources it is filtered to say on topic; with one, a
    passage must be about it on its own."""
    result, hits, filters, window, written = _answer(parts, request, query, opts, llm, history, on_token, turn)
    result = explain_not_found(result, request, parts.backend, read_as or {})
    if turn is not None:
        result = replace(result, kind=turn.reading.kind, read_as=read_as)
    return replace(result, filters=_active(request)), hits, filters, window, written


def _active(request: AskRequest) -> dict | None:
    """The filters an answer was found with (the caller's and those read from the question), or None."""
    f = request.filters
    out = {"sources": list(f.sources) if f and f.sources else None, "since": f.since if f else None,
           "until": f.until if f else None, "speakers": list(request.speakers or []) or None,
           "leanings": list(request.leanings or []) or None}
    out = {k: v for k, v in out.items() if v}
    return out or None


def _answer(parts: Parts, request: AskRequest, query: str, opts: RetrievalSettings, llm, history, on_token,
            turn: Turn | None):
    from qa.analysis.report_questions import is_corroboration_question, topic
    from qa.answer.reading import asks_for_dated_list

    on_topic = has_topic(turn.reading.topic) if turn is not None else True
    kind = turn.reading.kind if turn is not None else "fact"
    as_list = turn is not None and (asks_for_dated_list(request.question)
                                    or (kind == "timeline" and turn.reading.by == "llm"))

    if as_list and llm is None:
        from qa.answer.reading import question_words, without_list_words

        about = " ".join(question_words(without_list_words(query))) or query  # "near Kobani": what the events are about
        with stage("timeline", group=True):
            listed = dated_list(parts, request, about)
        if listed is not None:
            return listed, [], request.filters, None, None

    question, asked = request.question, query
    # a question about coverage or agreement: search for what the reports are about, not for talk of outlets
    across = kind in ("coverage", "agreement") if turn is not None else is_corroboration_question(question)
    if across:
        query = topic(query)
    elif kind == "who_said":  # the statement is searched for; "who said" is answered by its attribution
        from qa.answer.reading import without_source_words

        query = without_source_words(query)
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
        result = _compose(parts, request, query, hits, qv, writer, asked, on_topic)
    s = parts.settings.answer
    if s.corroboration if request.corroborate is None else request.corroborate:
        with stage("corroboration", group=True):
            result = _corroborate(parts, question, result, (query, opts, filters, window, qv), across)
    if kind == "agreement" and result.claims and all(c.how == "quoted" for c in result.claims):
        result = _side_by_side(parts, question, result)
    if kind == "who_said" and result.claims and all(c.how == "quoted" for c in result.claims):
        result = _who_said(parts, question, result)
    if kind == "who_is" and writer is None:
        result = _who_is(parts, question, result, hits)
    if kind == "coverage" and result.claims and all(c.how == "quoted" for c in result.claims):
        result = _by_outlet(parts, question, result)
    return result, hits, filters, window, (writer.result if writer else None)


def _who_is(parts: Parts, question: str, result: Answer, hits) -> Answer:
    """A "who is" question's answer: who the articles say the person is, then what they said; or the
    outlets they describe with the leaning a question about outlets asks for (``qa.analysis.people``);
    the quoted answer when no stored relation describes them."""
    from qa.analysis.people import outlets_with_leaning, who_is_claims
    from qa.answer.reading import profile_leaning

    leaning = profile_leaning(question)  # "Which outlets are described as pro-regime?"
    claims = (outlets_with_leaning(leaning, parts.backend, hits) if leaning
              else who_is_claims(question, parts.backend, hits))
    return _relaid(parts, question, result, claims)


def _who_said(parts: Parts, question: str, result: Answer) -> Answer:
    """A "who said" answer: each sentence led by its speaker, role and outlet
    (``qa.analysis.attribution.who_said_claims``)."""
    from qa.analysis.attribution import who_said_claims

    return _relaid(parts, question, result, who_said_claims(result.claims))


def _by_outlet(parts: Parts, question: str, result: Answer) -> Answer:
    """A coverage question's answer: one line per outlet, how the articles describe it and what it
    reported (``qa.analysis.coverage``)."""
    from qa.analysis.coverage import coverage_claims

    return _relaid(parts, question, result, coverage_claims([e for c in result.claims for e in c.evidence]))


def _as_list(parts: Parts, question: str, claims, searched: str | None, before: Answer | None = None) -> Answer:
    """``claims`` as a list answer, each cited sentence with who says it; citations keep the
    corroboration ``before`` (the answer the list replaces) found for them."""
    from qa.analysis.attribution import attributed
    from qa.answer.assemble import assemble

    new = assemble(question, attributed(claims, parts.backend.attributions), searched, layout="list")
    if before is None:
        return new
    found = {(c.article_id, c.start, c.end): c.corroboration for c in before.citations}
    return replace(new, citations=tuple(replace(c, corroboration=found.get((c.article_id, c.start, c.end)))
                                        for c in new.citations))


def _relaid(parts: Parts, question: str, result: Answer, claims) -> Answer:
    """``result`` as a list of ``claims`` (``_as_list``); ``result`` when there are none."""
    return _as_list(parts, question, claims, result.searched, before=result) if claims else result


def _side_by_side(parts: Parts, question: str, result: Answer) -> Answer:
    """An agreement question's answer: the verdict, then each figure with who gives it (``qa.analysis.agreement``)."""
    from qa.analysis.agreement import agreement_claims

    return _relaid(parts, question, result, agreement_claims(question, [e for c in result.claims for e in c.evidence]))


def _compose(parts: Parts, request: AskRequest, query, hits, qv, writer=None, asked=None, on_topic=True) -> Answer:
    asked = asked or query  # the named sources and days of the question as asked ("according to CNN")
    question, backend, settings = request.question, parts.backend, parts.settings
    s = settings.answer
    if writer is not None:  # the model reads more evidence than a quoted answer shows
        s = s.model_copy(update={"max_sentences": settings.llm.evidence, "score_ratio": min(s.score_ratio, 0.5)})
    speakers, leanings = request.speakers, request.leanings
    doer = prefer_doer(question, s.doer_weight)  # "Who attacked …?": the sentence naming the attacker leads
    return compose(
        question, hits, parts.embedder, s, writer=writer, terms=TermWeights(backend),
        passage_vectors=backend.vectors([h.passage.pid for h in hits]) if hits else None,
        searched=query if query != question else None, query_vector=qv,
        annotators=(AttributionAnnotator(backend.attributions), DatingAnnotator()),
        keep=keep_attributed(speakers, leanings),
        prefer=combine(prefer_named(asked, settings.answer.source_weight, asked_for=bool(speakers or leanings)),
                       prefer_dated(asked, as_of_day(request.as_of), settings.answer.event_weight), doer),
        on_topic=on_topic, lead=(lambda e: doer(e) > 0) if doer else None,
    )


def _corroborate(parts: Parts, question: str, result: Answer, search=None, across: bool | None = None) -> Answer:
    """Each cited claim with its corroboration; a question about which outlets reported something,
    or whether their figures agree, is answered from it and from each other article's best answer
    to the question (``search``: its query, options, filters, window and vector; each report and
    figure cited; ``across``: the question is about coverage or agreement, default: by its words)."""
    from qa.analysis.corroboration import Corroborator, corroboration_claims
    from qa.analysis.report_questions import is_corroboration_question
    from qa.answer.assemble import assemble

    if not result.citations or not parts.settings.answer.corroboration_claims:
        return result
    corr = Corroborator(parts.backend, parts.embedder, parts.settings.answer)
    cites = corr.citations(result.citations)
    result = replace(result, citations=cites)
    across = is_corroboration_question(question) if across is None else across
    if not across or any(c.how == "generated" for c in result.claims):
        return result
    reports = corr.question_reports(question, result.claims, *search) if search else []
    claims = corroboration_claims(question, result.claims, cites, corr.found, reports=reports)
    if len(claims) == len(result.claims):
        return result
    found = {(c.article_id, c.start, c.end): c.corroboration for c in cites}
    new = assemble(question, claims, result.searched)
    return replace(new, citations=tuple(replace(c, corroboration=found.get((c.article_id, c.start, c.end)))
                                        for c in new.citations))
