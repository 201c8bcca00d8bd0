"""The Assistant: open an index once, ask many times. ``ask()`` uses a shared default one."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from corpus import Article, Skipped, iter_articles
from index.embed import Embedder, from_settings
from index.errors import IndexCorrupt
from index.files import check_files, table_problem
from index.ingest import IndexWriter, IngestReport
from index.manifest import Paths
from index.store import IndexSnapshot
from index.types import Filters, Hit
from qa.attribution import AttributionAnnotator, keep_attributed, prefer_named
from qa.audit import append as audit_append
from qa.audit import record as audit_record
from qa.compose import compose
from qa.dating import DatingAnnotator, combine, prefer_dated
from qa.errors import BadFilter
from qa.evidence import TermWeights
from qa.rerank import CrossEncoderReranker, Reranker, default_reranker
from qa.retrieve import HybridRetriever
from qa.settings import RetrievalSettings, Settings, describe
from qa.timing import measure, stage
from qa.types import Answer
from qa.validate import (
    MAX_QUESTION_CHARS,
    check_mode,
    check_names,
    check_question,
    check_text,
    make_filters,
)
from qa.when import as_of_date, time_window


class Assistant:
    """Question answering over one data home.

    Cheap to construct: the model loads on first use (or ``warm_up()``), the index on first query,
    and it is re-opened automatically when another process publishes a new version.
    """

    def __init__(self, settings: Settings | None = None, *, home: str | Path | None = None, **overrides: Any):
        if settings is None:
            settings = Settings.load(**({"home": home} if home else {}), **overrides)
        elif home or overrides:
            settings = settings.with_(**({"home": str(home)} if home else {}), **overrides)
        self.settings = settings
        self.paths = Paths(settings.home)
        self._embedder: Embedder | None = None
        self._reranker: Reranker | None = None
        self._snap: IndexSnapshot | None = None
        self._snap_key: tuple | None = None
        self._lock = threading.RLock()
        self._llm = None

    # ----- components -----
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = from_settings(self.settings.embed)
        return self._embedder

    @property
    def reranker(self) -> Reranker | None:
        if self._reranker is None:
            r = self.settings.retrieval
            if r.rerank_model:
                self._reranker = CrossEncoderReranker(r.rerank_model, device=self.settings.embed.device,
                                                      max_length=r.rerank_tokens)
            else:
                self._reranker = default_reranker(r.rerank_weight, r.rerank_tokens)
        return self._reranker

    @property
    def llm(self):
        """The configured language model (``qa.llm.LLM``), or None when none is configured.

        Raises:
            LLMUnavailable: its client library is missing or the settings cannot work.
        """
        if self._llm is None and self.settings.llm.configured:
            from qa.llm import LLM

            with self._lock:
                if self._llm is None:
                    self._llm = LLM(self.settings.llm)
        return self._llm

    def warm_up(self) -> Assistant:
        """Load the model and the index now (the server does this before its first request)."""
        self.embedder.embed_query("warm up")
        if self.reranker is not None:
            self.reranker.warm_up()
        if self.paths.exists():
            self.snapshot()
        return self

    def snapshot(self) -> IndexSnapshot:
        """The current index version (re-opened when the manifest changed).

        Raises:
            IndexNotFound, IndexCorrupt (naming the damaged file), ModelMismatch.
        """
        with self._lock:
            try:
                st = self.paths.manifest.stat()
                key = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                key = None
            if self._snap is None or key != self._snap_key:
                snap = IndexSnapshot.open(self.paths.home, expected_model=self.embedder.name,
                                          ef_search=self.settings.index.ef_search)
                # the old snapshot is not closed here: requests in flight may still read it; it is
                # released (and its SQLite connection closed) when the last of them drops it
                self._snap, self._snap_key = snap, key
            return self._snap

    # ----- asking -----
    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        sources: Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        searched: str | None = None,
        as_of: str | date | None = None,
        speakers: Iterable[str] | None = None,
        leanings: Iterable[str] | None = None,
        corroborate: bool | None = None,
        mode: str | None = None,
        history: Iterable[tuple[str, str]] | None = None,
        on_token: Callable[[str], None] | None = None,
        **retrieval: Any,
    ) -> Answer:
        """Answer ``question`` from the indexed articles, citing the passages used.

        Args:
            k: passages to consider (default: settings.retrieval.k).
            sources: only these outlets; since/until: ISO dates, inclusive.
            searched: the query actually searched (a follow-up rewritten from the chat history).
            as_of: the day the question is asked (default today): "this week", "yesterday",
                "recently" in the question are read relative to it (see ``qa.when``).
            speakers: quote only sentences attributed to one of these sources (a name or part of it:
                "al-Abdi", "ANHA"); leanings: only sources with one of these stated leanings ("pro-Kurdish").
            corroborate: find other articles' reports of each cited claim (default:
                settings.answer.corroboration); see ``qa.corroborate``.
            mode: ``extractive`` (quoted sentences) or ``llm`` (written by the configured LLM, each
                sentence verified against the evidence it cites; quoted, with a notice, when no LLM
                is configured or it fails). Default: settings.answer.mode.
            history: earlier ``(question, answer text)`` turns, oldest first: in llm mode the prompt
                repeats the last few, and a follow-up is rewritten by the LLM into the searched query.
            on_token: llm mode: called with each piece of text as the model writes it (streaming).
            retrieval: per-call overrides of ``RetrievalSettings`` (e.g. ``rerank=False``).

        Raises:
            BadQuestion, BadFilter, IndexNotFound, IndexCorrupt, ModelMismatch.
        """
        question = check_question(question)
        speakers, leanings = check_names("speakers", speakers), check_names("leanings", leanings)
        mode = check_mode(mode or self.settings.answer.mode)
        turns = self.settings.llm.history_turns
        history = [(str(q), str(a)) for q, a in (history or [])]
        history = history[-turns:] if turns else []
        t0 = time.perf_counter()
        llm, notice = (self._llm_or_notice() if mode == "llm" else (None, None))
        with measure() as stages:
            if llm is not None and not searched and history and self.settings.llm.rewrite_followups:
                searched = self._rewrite(llm, question, history)
            query = check_question(searched) if searched else question
            answer, hits, filters, window, snap, written = self._answer(
                question, query, k, sources, since, until, as_of, speakers, leanings, corroborate, retrieval,
                llm, history, on_token)
        if mode == "llm":
            answer = replace(answer, model=llm.name if llm else None,
                             notice=(written.notice if written else notice), mode="llm" if any(
                                 c.how == "generated" for c in answer.claims) else "extractive",
                             unsupported=tuple(written.unsupported) if written else ())
        answer = replace(
            answer,
            index_version=snap.manifest.digest,
            timings=_timings(stages, (time.perf_counter() - t0) * 1000),
            # reported when it changed something: some retrieved passage is from that window
            time_window=(window[0].isoformat(), window[1].isoformat())
            if window and any(h.scores.get("in_window") for h in hits) else None,
        )
        audit_append(self.paths.audit, audit_record(answer, hits, filters, written))
        return answer

    def _llm_or_notice(self):
        """The LLM, or (None, why the answer is quoted)."""
        from qa.llm import LLMUnavailable

        try:
            llm = self.llm
        except LLMUnavailable as exc:
            return None, f"{exc}. Showing quoted sentences instead."
        if llm is None:
            return None, "No language model is configured (settings llm.url / QA_LLM_URL); showing quoted sentences."
        return llm, None

    def _rewrite(self, llm, question: str, history: list[tuple[str, str]]) -> str | None:
        """A follow-up rewritten by the LLM from the history; the word-based rewrite if it fails."""
        from qa.chat import needs_context, rewrite
        from qa.llm import LLMUnavailable
        from qa.written import clean_rewrite, rewrite_messages

        if not needs_context(question):
            return None
        try:
            with stage("llm_rewrite"):
                new = clean_rewrite(llm.complete(rewrite_messages(question, history)), question)
        except LLMUnavailable:
            new = rewrite(question, [q for q, _ in history])
        return new if new != question else None

    def _answer(self, question, query, k, sources, since, until, as_of, speakers, leanings, corroborate, retrieval,
                llm=None, history=(), on_token=None):
        from qa.corroborate import is_corroboration_question, topic

        asked = query
        if is_corroboration_question(question):  # search for what the reports are about, not for talk of outlets
            query = topic(query)
        opts = self._options(k, retrieval)
        if (speakers or leanings) and k is None:  # only some sentences may be quoted: look at more passages
            opts = opts.model_copy(update={"k": max(opts.k, 20)})
        filters = make_filters(sources, since, until)
        snap = self.snapshot()
        window = _window(asked, as_of, opts)
        with stage("encode"):
            qv = self.embedder.embed_query(query)  # once: retrieval and answer composition both use it
        hits = HybridRetriever(self.embedder, self.reranker).retrieve(snap, query, opts, filters, window, qv)
        writer = None
        if llm is not None:
            from qa.written import LLMWriter

            writer = LLMWriter(llm, self.embedder, self.settings.llm, self.settings.answer.max_sentences,
                               history, on_token)
        with stage("compose" if writer is None else "llm", group=writer is not None):
            answer = self._compose(question, query, hits, snap, qv, as_of, speakers, leanings, writer, asked)
        if self.settings.answer.corroboration if corroborate is None else corroborate:
            with stage("corroboration", group=True):
                answer = self._corroborate(question, answer, snap, (query, opts, filters, window, qv))
        return answer, hits, filters, window, snap, (writer.result if writer else None)

    def _compose(self, question, query, hits, snap, qv, as_of, speakers, leanings, writer=None, asked=None) -> Answer:
        asked = asked or query  # the named sources and days of the question as asked ("according to CNN")
        s = self.settings.answer
        if writer is not None:  # the model reads more evidence than a quoted answer shows
            s = s.model_copy(update={"max_sentences": self.settings.llm.evidence, "score_ratio": min(s.score_ratio, 0.5)})
        return compose(
            question, hits, self.embedder, s, writer=writer, terms=TermWeights(snap),
            passage_vectors=snap.vectors([h.passage.pid for h in hits]) if hits else None,
            searched=query if query != question else None, query_vector=qv,
            annotators=(AttributionAnnotator(snap.attributions), DatingAnnotator()),
            keep=keep_attributed(speakers, leanings),
            prefer=combine(prefer_named(asked, self.settings.answer.source_weight, asked_for=bool(speakers or leanings)),
                           prefer_dated(asked, _as_of(as_of), self.settings.answer.event_weight)),
        )

    def _corroborate(self, question: str, answer: Answer, snap: IndexSnapshot, search=None) -> Answer:
        """Each cited claim with its corroboration; a question about which outlets reported something,
        or whether their figures agree, is answered from it and from each other article's best answer
        to the question (``search``: its query, options, filters, window and vector; each report and
        figure cited)."""
        from qa.corroborate import Corroborator, corroboration_claims, is_corroboration_question
        from qa.render import render

        if not answer.citations or not self.settings.answer.corroboration_claims:
            return answer
        corr = Corroborator(snap, self.embedder, self.settings.answer)
        cites = corr.citations(answer.citations)
        answer = replace(answer, citations=cites)
        if not is_corroboration_question(question) or any(c.how == "generated" for c in answer.claims):
            return answer
        reports = corr.question_reports(question, answer.claims, *search) if search else []
        claims = corroboration_claims(question, answer.claims, cites, corr.found, reports=reports)
        if len(claims) == len(answer.claims):
            return answer
        found = {(c.article_id, c.start, c.end): c.corroboration for c in cites}
        new = render(question, claims, answer.searched)
        return replace(new, citations=tuple(replace(c, corroboration=found.get((c.article_id, c.start, c.end)))
                                            for c in new.citations))

    def stance(self, claim: str, text: str) -> dict:
        """The stance of ``text`` toward ``claim``: ``{"stance": supports | disputes | discusses |
        unrelated, "score", "related", "sentence": [start, end] of the text's nearest sentence,
        "reasons", "conflicts"}`` (see ``qa.stance``)."""
        from qa.stance import StanceScorer

        claim, text = check_question(claim), check_text(text)
        return StanceScorer(self.embedder, self.settings.answer.stance_model).stance(claim, text).to_dict()

    def timeline(self, query: str, *, since: str | None = None, until: str | None = None, dates: int = 10,
                 per_date: int = 3, sources: Iterable[str] | None = None, passages: int = 60) -> dict:
        """The dated events about ``query`` across the indexed articles (see ``qa.timeline``).

        since/until bound the events' days (ISO, inclusive); dates: how many days; per_date: events a
        day; passages: how many of the query's passages are read (more for a long timeline).
        """
        from qa.timeline import TimelineOptions, build

        query = check_question(query)
        f = make_filters(sources, since, until)
        for name, n, top in (("dates", dates, 366), ("per_date", per_date, 100), ("passages", passages, 5000)):
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= top:
                raise BadFilter(f"{name} must be an integer from 1 to {top}, got {n!r}")
        opts = TimelineOptions(dates=dates, per_date=per_date, passages=passages,
                               since=f.since if f else None, until=f.until if f else None)
        return build(self, query, opts, sources=f.sources if f else None)

    def retrieve(
        self, query: str, *, k: int | None = None, sources=None, since=None, until=None, as_of=None, **retrieval: Any
    ) -> list[Hit]:
        """The ranked passages for ``query`` (no answer composition)."""
        query = check_question(query)
        opts = self._options(k, retrieval)
        filters = make_filters(sources, since, until)
        return HybridRetriever(self.embedder, self.reranker).retrieve(
            self.snapshot(), query, opts, filters, _window(query, as_of, opts))

    def _options(self, k: int | None, overrides: dict) -> RetrievalSettings:
        data = self.settings.retrieval.model_dump()
        unknown = set(overrides) - set(data)
        if unknown:
            raise BadFilter(f"unknown retrieval option(s): {', '.join(sorted(unknown))}")
        data.update(overrides)
        if k is not None:
            if isinstance(k, bool) or not isinstance(k, int) or k <= 0 or k > 100:
                raise BadFilter(f"k must be an integer from 1 to 100, got {k!r}")
            data["k"] = k
        try:
            return RetrievalSettings.model_validate(data)
        except ValueError as exc:
            raise BadFilter(f"bad retrieval option: {describe(exc)}") from None  # type: ignore[arg-type]

    # ----- writing -----
    def writer(self, log=None, embedder: Embedder | None = None, reuse_vectors_from: str | Path | None = None) -> IndexWriter:
        s = self.settings
        return IndexWriter(self.paths.home, embedder or self.embedder, s.chunk, s.index, embed_batch=s.embed.batch_size,
                           reuse_vectors_from=Path(reuse_vectors_from) if reuse_vectors_from else None, log=log)

    def ingest(self, paths_or_articles, progress=None, total: int | None = None, log=None,
               embedder: Embedder | None = None, reuse_vectors_from: str | Path | None = None) -> IngestReport:
        """Add or replace articles from files/folders or ``Article`` objects.

        ``embedder``: compute vectors with another embedder of the same model (e.g. ``RayEmbedder``).
        ``reuse_vectors_from``: another home built with the same model; passages whose text it has
        already embedded take its vectors instead of being embedded again (checked on one vector).
        """
        items: Iterable[Article | Skipped]
        if isinstance(paths_or_articles, str | Path):
            items = iter_articles(paths_or_articles)
        else:
            seq = list(paths_or_articles)
            items = seq if all(isinstance(x, Article | Skipped) for x in seq) else iter_articles(seq)
        with self.writer(log, embedder, reuse_vectors_from) as w:
            return w.ingest(items, progress=progress, total=total)

    def remove(self, article_ids: Iterable[str]) -> list[str]:
        """Delete articles by id; returns those that existed."""
        with self.writer() as w:
            return w.remove(article_ids)

    def repair(self, log=None) -> dict:
        """Rebuild the derived files (FAISS, BM25, filter arrays) and the manifest from the passage table.

        Returns the new manifest's summary. Raises ``IndexCorrupt`` when the passage table itself is
        missing or unreadable: that cannot be rebuilt.
        """
        problem = table_problem(self.paths)
        if problem:
            raise IndexCorrupt(problem)
        with self.writer(log) as w:
            m = w.repair()
        return {"version": m.version, "articles": m.articles, "passages": m.passages, "index_version": m.digest}

    # ----- information -----
    def attributions(self, article_id: str) -> list[dict]:
        """The attribution relations stored for one article (empty when it has none or is unknown)."""
        return copy.deepcopy(self.snapshot().attributions([article_id]).get(article_id, []))  # the caller's own

    def outlets(self) -> list[dict]:
        """Outlet profiles: what the articles (and ``outlets.yaml`` in the data home) say about outlets."""
        from qa.outlets import collect

        return [p.to_dict() for p in collect(self.snapshot(), self.paths.home / "outlets.yaml")]

    def stats(self) -> dict:
        snap = self.snapshot()
        m = snap.manifest
        size = sum(f.stat().st_size for f in self.paths.home.rglob("*") if f.is_file())
        return {
            "home": str(self.paths.home), "articles": m.articles, "passages": m.passages, "sources": snap.sources(),
            "model": m.model, "backend": m.backend, "dim": m.dim, "index_type": m.index_type, "chunking": m.chunking,
            "version": m.version, "index_version": m.digest, "updated": m.created, "bytes_on_disk": size,
        }

    def check(self) -> list[str]:
        """Problems of the data home, each naming its file (empty when healthy).

        Every file is checked (present, its recorded size and checksum), then the current version
        is opened and compared with the passage table.
        """
        problems = check_files(self.paths.home)
        if problems:
            return problems
        snap = IndexSnapshot.open(self.paths.home)
        try:
            return snap.check()
        finally:
            snap.close()

    def as_retriever(self, **kwargs: Any):
        """A llama-index ``BaseRetriever`` over this index (see ``qa.llama``)."""
        from qa.llama import QARetriever

        return QARetriever(self, **kwargs)


RETRIEVE_STAGES = ("encode", "dense", "bm25", "fusion", "rerank")


def _timings(stages: dict[str, float], wall_ms: float) -> dict:
    """The per-stage times (ms, exclusive) and the three totals earlier releases reported."""
    def total(names) -> float:
        return round(sum(v for k, v in stages.items() if k in names), 1)

    corr = [k for k in stages if k == "corroboration" or k.startswith("corroboration/")]
    return {"retrieve_ms": total(RETRIEVE_STAGES), "compose_ms": total(set(stages) - set(RETRIEVE_STAGES) - set(corr)),
            "corroborate_ms": total(corr), "total_ms": round(wall_ms, 1),
            "stages": {k: round(v, 2) for k, v in stages.items()}}


def _as_of(as_of: Any) -> date:
    try:
        return as_of_date(as_of)
    except (TypeError, ValueError) as exc:
        raise BadFilter(str(exc)) from None


def _window(query: str, as_of: Any, opts: RetrievalSettings):
    day = _as_of(as_of)  # checked even when the time stage is off
    if opts.time_boost <= 0:
        return None
    return time_window(query, day, opts.recent_days)


_default: Assistant | None = None
_default_lock = threading.Lock()


def default_assistant() -> Assistant:
    global _default
    with _default_lock:
        if _default is None:
            _default = Assistant()
        return _default


def ask(
    question: str,
    *,
    k: int | None = None,
    sources: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | date | None = None,
    speakers: Iterable[str] | None = None,
    leanings: Iterable[str] | None = None,
    corroborate: bool | None = None,
    mode: str | None = None,
    history: Iterable[tuple[str, str]] | None = None,
) -> Answer:
    """Answer ``question`` from the index in the default data home (``QA_HOME``)."""
    return default_assistant().ask(question, k=k, sources=sources, since=since, until=until, as_of=as_of,
                                   speakers=speakers, leanings=leanings, corroborate=corroborate, mode=mode,
                                   history=history)


__all__ = ["MAX_QUESTION_CHARS", "Assistant", "Filters", "ask", "check_question", "make_filters"]
