"""Timelines: the dated events about a query across the indexed articles.

The query's passages are retrieved (hybrid search, no reranking), and each of their sentences that
either states a day ("on Tuesday", "22 April") or shares the query's words becomes a candidate
event, dated by ``qa.analysis.event_dates`` (the publication date as a fallback, marked ``published``). The same
event reported by several articles (the same day, mostly the same words) is one entry listing every
source in ``mentions``. Days are ranked by how many articles refer to them; the best ``dates`` days
are returned in calendar order, each with its ``per_date`` most central, distinct events (see
``_day_events``). Every event is an exact span with its attribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

from corpus.text.sentences import passage_spans
from index.backend import SearchBackend
from index.types import Hit
from qa.analysis.attribution import covering, unattributed
from qa.analysis.event_dates import date_sentence
from qa.answer.evidence import passage_strength
from qa.answer.validate import make_filters
from qa.retrieval.hybrid import HybridRetriever
from qa.retrieval.term_weights import TermWeights
from qa.settings import AnswerSettings, RetrievalSettings
from qa.types import Claim, Evidence

SAME_EVENT = 0.5  # share of shared terms (Jaccard) above which two sentences of one day are one event
# a day's events (``_day_events``), weights measured on Timeline17 (bench/timeline17.py)
CENTRAL, QUERY, DATED, LONG = 1.5, 0.5, 0.3, 1.0
LONG_WORDS = 40
DISTINCT = 0.2  # two events of one day share less than this (Jaccard of terms)
NO_EVENTS = "No dated events about this in the indexed articles."


@dataclass(frozen=True)
class TimelineOptions:
    dates: int = 10
    per_date: int = 3
    passages: int | None = None  # passages read (the query's best, by hybrid search); None: ``reading_depth``
    since: str | None = None
    until: str | None = None
    published_until: str | None = None  # read only articles published by this day (None: any)

    @property
    def read_passages(self) -> int:
        return self.passages if self.passages is not None else reading_depth(self.dates, self.since, self.until)


# a timeline's reading depth (``reading_depth``), chosen on three Timeline17 topics (bpoil, egypt,
# finan) and confirmed on the other three (bench/timeline17.py)
PER_DATE_READ, PER_SPAN_DAY_READ, LEAST_READ, MOST_READ = 20, 2, 250, 1000


def reading_depth(dates: int, since: str | None = None, until: str | None = None) -> int:
    """Passages a timeline reads when the caller does not say: more for more dates asked and for a
    longer span (a span of years holds its few dates among many more reported days), between
    ``LEAST_READ`` and ``MOST_READ``."""
    span = 0
    if since and until:
        span = max((date.fromisoformat(until) - date.fromisoformat(since)).days + 1, 0)
    return min(MOST_READ, max(LEAST_READ, PER_DATE_READ * dates + PER_SPAN_DAY_READ * span))


def build(retriever: HybridRetriever, backend: SearchBackend, query: str, opts: TimelineOptions,
          retrieval: RetrievalSettings, answer: AnswerSettings, sources=None, keep_evidence: bool = False):
    """The timeline JSON: ``{"query", "dates": [{"date", "events": [...]}], "message"?}``.

    ``retriever`` finds the query's passages in ``backend`` (its embedder also encodes the query);
    ``retrieval`` and ``answer`` are the settings its search and its evidence test start from.
    ``keep_evidence``: return the chosen days as ``(day, articles, events)`` with each event's
    ``Evidence`` (for ``dated_claims``) instead of the JSON.
    """
    # an article published before ``since`` can still describe a later plan, but not a later event
    f = make_filters(sources, opts.since, opts.published_until)
    depth = opts.read_passages
    ropts = retrieval.model_copy(update={"candidates": max(50, depth), "rerank": False,
                                         "time_boost": 0.0, "dedupe": False})
    cands = retriever.candidates(backend, query, ropts, f)
    top = cands.pids[:depth]
    by_pid = {p.pid: p for p in backend.passages(top)}
    hits = [Hit(by_pid[int(pid)], float(score), {"fused": float(score)})
            for pid, score in zip(top, cands.fused[:depth], strict=True) if int(pid) in by_pid]
    terms = TermWeights(backend)
    q_terms = set(terms.analyze([query])[0])
    if hits:  # only passages that are about the query (the answer's evidence test, see qa.answer.evidence)
        qv = retriever.embedder.embed_query(query)
        strength = passage_strength(query, hits, qv, backend.vectors([h.passage.pid for h in hits]), terms, answer)
        hits = [h for h, r in zip(hits, strength, strict=True) if r >= answer.min_relevance]
    sentences: list[tuple[int, Evidence]] = []
    seen: set[tuple[str, int, int]] = set()
    for rank, h in enumerate(hits):
        p = h.passage
        for a, b in passage_spans(p):
            e = Evidence.from_hit(h, p.start + a, p.start + b, 0.0)
            if e.key not in seen and len(e.text.split()) >= 4:
                seen.add(e.key)
                sentences.append((rank, e))
    events: list[tuple[Evidence, dict, set[str], float]] = []
    analyzed = terms.analyze([e.text for _, e in sentences]) if sentences else []  # one tokenizer pass
    for (rank, e), tokens in zip(sentences, analyzed, strict=True):
        dated = date_sentence(e.text, e.date).to_dict()
        words = set(tokens)
        overlap = len(words & q_terms) / max(len(q_terms), 1)
        if dated["dated_by"] == "none" or (dated["dated_by"] == "published" and not overlap):
            continue
        if opts.since and dated["event_date"] < opts.since or opts.until and dated["event_date"] > opts.until:
            continue
        events.append((e, dated, words, overlap + 1.0 / (1 + rank)))
    rels = backend.attributions(list({e.article_id for e, *_ in events}))
    by_day: dict[str, list[dict]] = {}
    for e, dated, words, score in sorted(events, key=lambda x: -x[3]):
        day = by_day.setdefault(dated["event_date"], [])
        same = next((x for x in day if _jaccard(x["_words"], words) >= SAME_EVENT), None)
        record = _event(e, dated, rels)
        if same is not None:
            if all(m["article_id"] != e.article_id for m in [same, *same["mentions"]]):
                same["mentions"].append({k: record[k] for k in ("article_id", "title", "source", "date", "start", "end", "text")})
            continue
        day.append({**record, "mentions": [], "_words": words, "_score": score, "_evidence": e, "_dated": dated})
    ranked = sorted(by_day.items(), key=lambda kv: (-_articles(kv[1]), -max(x["_score"] for x in kv[1]), kv[0]))
    chosen = sorted(ranked[: opts.dates])
    days = [(day, _articles(evs), _day_events(evs, terms, opts.per_date)) for day, evs in chosen]
    if keep_evidence:
        return days
    out = {"query": query, "dates": [
        {"date": day, "articles": n, "events": [{k: v for k, v in x.items() if not k.startswith("_")} for x in evs]}
        for day, n, evs in days]}
    if not out["dates"]:
        out["message"] = NO_EVENTS
    return out


def dated_claims(days) -> list[Claim]:
    """A timeline's events as the claims of an answer, in calendar order: "2015-03-24 (Tuesday) — …",
    each citing its sentence, dated (``days``: ``build(..., keep_evidence=True)``)."""
    out = []
    for day, _, evs in days:
        for x in evs:
            e = replace(x["_evidence"], event=x["_dated"])
            until = (e.event or {}).get("event_until")  # a span ("last month") has no weekday of its own
            label = f"{day} to {until}" if until else f"{day} ({date.fromisoformat(day).strftime('%A')})"
            out.append(Claim(f"{label} — {' '.join(e.text.split())}", (e,)))
    return out


def _event(e: Evidence, dated: dict, rels: dict) -> dict:
    r = covering(rels.get(e.article_id, []), e.start, e.end) if e.article_id in rels else None
    attribution = None
    if e.article_id in rels:
        attribution = r if r is not None else unattributed(e)
    return {"text": e.text, "article_id": e.article_id, "title": e.title, "source": e.source, "date": e.date,
            "start": e.start, "end": e.end, "attribution": attribution, "dated_by": dated["dated_by"],
            "date_phrase": dated["date_phrase"], "event_until": dated["event_until"]}


def _day_events(events: list[dict], terms: TermWeights, n: int) -> list[dict]:
    """A day's ``n`` best events, distinct ones first.

    Best: most central to what the day's reports say (news-tls' centroid summary: the cosine of the
    sentence's IDF-weighted terms to the day's centroid, each sentence weighted by its mentions),
    then about the query, dated by a phrase of its own rather than by its publication day, and at
    most ``LONG_WORDS`` words (a run of headlines is not an event). A sentence sharing ``DISTINCT``
    or more of its terms with one already chosen mostly says the same again: it comes after the
    distinct ones."""
    cen: dict[str, float] = {}
    for x in events:
        for t in x["_words"]:
            cen[t] = cen.get(t, 0.0) + terms.idf(t) * (1 + len(x["mentions"]))
    norm = math.sqrt(sum(v * v for v in cen.values())) or 1.0

    def central(x: dict) -> float:
        w = {t: terms.idf(t) for t in x["_words"]}
        return sum(v * cen[t] for t, v in w.items()) / ((math.sqrt(sum(v * v for v in w.values())) or 1.0) * norm)

    def score(x: dict) -> float:
        return (CENTRAL * central(x) + QUERY * x["_score"] + DATED * (x["dated_by"] != "published")
                - LONG * (len(x["text"].split()) > LONG_WORDS))

    out: list[dict] = []
    rest: list[dict] = []
    for x in sorted(events, key=score, reverse=True):
        if len(out) >= n:
            break
        (out if all(_jaccard(x["_words"], y["_words"]) < DISTINCT for y in out) else rest).append(x)
    return out + rest[: n - len(out)]


def _articles(events: list[dict]) -> int:
    return len({x["article_id"] for x in events} | {m["article_id"] for x in events for m in x["mentions"]})


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(len(a | b), 1)
