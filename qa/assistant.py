"""The Assistant: open an index once, ask many times. ``ask()`` uses a shared default one."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Mapping
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
from qa.answer import pipeline
from qa.answer.audit import append as audit_append
from qa.answer.audit import record as audit_record
from qa.answer.pipeline import Parts
from qa.answer.request import AskRequest
from qa.answer.validate import (
    MAX_QUESTION_CHARS,
    check_k,
    check_mode,
    check_question,
    check_text,
    make_filters,
)
from qa.errors import BadFilter
from qa.retrieval.hybrid import HybridRetriever
from qa.retrieval.rerank import CrossEncoderReranker, Reranker, default_reranker
from qa.settings import RetrievalSettings, Settings, describe
from qa.timing import measure
from qa.types import Answer


class Assistant:
    """Question answering over one data home.

    Cheap to construct: the model loads on first use (or ``warm_up()``), the index on first query,
    and it is re-opened automatically when another process publishes a new version.
    """

    def __init__(self, settings: Settings | None = None, *, home: str | Path | None = None,
                 embedder: Embedder | None = None, reranker: Reranker | None = None, llm=None, **overrides: Any):
        """``embedder``, ``reranker``, ``llm``: parts to use instead of building them from the settings
        (an embedder of the same model as the index; a ``Reranker``; a ``qa.llm.client.LLM``). A
        mapping given as ``llm`` is the ``llm`` settings group, as every other group's keyword is."""
        if isinstance(llm, Mapping):
            overrides["llm"], llm = llm, None
        if settings is None:
            settings = Settings.load(**({"home": home} if home else {}), **overrides)
        elif home or overrides:
            settings = settings.with_(**({"home": str(home)} if home else {}), **overrides)
        self.settings = settings
        self.paths = Paths(settings.home)
        self._embedder: Embedder | None = embedder
        self._reranker: Reranker | None = reranker
        self._snap: IndexSnapshot | None = None
        self._snap_key: tuple | None = None
        self._lock = threading.RLock()
        self._llm = llm

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

    @reranker.setter
    def reranker(self, reranker: Reranker | None) -> None:
        """Use another reranker from the next question on (a paired benchmark switches them)."""
        self._reranker = reranker

    @property
    def llm(self):
        """The configured language model (``qa.llm.client.LLM``), or None when none is configured.

        Raises:
            LLMUnavailable: its client library is missing or the settings cannot work.
        """
        if self._llm is None and self.settings.llm.configured:
            from qa.llm.client import LLM

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
        unread: Iterable[str] | None = None,
        on_token: Callable[[str], None] | None = None,
        **retrieval: Any,
    ) -> Answer:
        """Answer ``question`` from the indexed articles, citing the passages used.

        The keywords are those of ``AskRequest`` (``qa.answer.request``), which checks them;
        ``retrieval`` holds per-call overrides of ``RetrievalSettings`` (e.g. ``rerank=False``).
        ``on_token``: llm mode: called with each piece of text as the model writes it (streaming).

        Raises:
            BadQuestion, BadFilter, IndexNotFound, IndexCorrupt, ModelMismatch.
        """
        request = AskRequest.build(question, k=k, sources=sources, since=since, until=until, as_of=as_of,
                                   speakers=speakers, leanings=leanings, corroborate=corroborate, mode=mode,
                                   history=history, searched=searched, retrieval=retrieval, unread=unread)
        return self.answer(request, on_token=on_token)

    def answer(self, request: AskRequest, on_token: Callable[[str], None] | None = None) -> Answer:
        """The answer to a checked request (see ``ask``).

        In llm mode the answer is written by the configured LLM, each sentence verified against the
        evidence it cites (quoted, with a notice, when no LLM is configured or it fails); the prompt
        repeats the last ``llm.history_turns`` turns, and a follow-up is rewritten by the LLM into the
        searched query.
        """
        mode = request.mode or check_mode(self.settings.answer.mode)
        turns = self.settings.llm.history_turns
        history = list(request.history[-turns:]) if turns else []
        opts = self._options(request.k, dict(request.retrieval))
        t0 = time.perf_counter()
        llm, notice = (self._llm_or_notice() if mode == "llm" else (None, None))
        reader = None  # the LLM that reads the kind of a question the rules read as a plain fact
        if self.settings.llm.read_questions and self.settings.llm.configured:
            reader = llm if llm is not None else self._llm_or_notice()[0]
        with measure() as stages:
            snap = self.snapshot()
            turn, request, read_as = pipeline.read(request, history, snap.sources(), reader)
            query = pipeline.query_for(request, turn, read_as, llm if self.settings.llm.rewrite_followups else None,
                                       history)
            parts = Parts(self.settings, self.embedder, self.reranker, snap)
            answer, hits, filters, window, written = pipeline.answer(parts, request, query, opts, llm, history,
                                                                     on_token, turn=turn, read_as=read_as)
        if mode == "llm":
            answer = replace(answer, model=llm.name if llm else None,
                             notice=(written.notice if written else notice), mode="llm" if any(
                                 c.how == "generated" for c in answer.claims) else "extractive",
                             unsupported=tuple(written.unsupported) if written else ())
        answer = replace(
            answer,
            index_version=snap.manifest.digest,
            timings=pipeline.timings(stages, (time.perf_counter() - t0) * 1000),
            # reported when it changed something: some retrieved passage is from that window
            time_window=(window[0].isoformat(), window[1].isoformat())
            if window and any(h.scores.get("in_window") for h in hits) else None,
        )
        audit_append(self.paths.audit, audit_record(answer, hits, filters, written, request.user))
        return answer

    def _llm_or_notice(self):
        """The LLM, or (None, why the answer is quoted)."""
        from qa.llm.client import LLMUnavailable

        try:
            llm = self.llm
        except LLMUnavailable as exc:
            return None, f"{exc}. Showing quoted sentences instead."
        if llm is None:
            return None, "No language model is configured (settings llm.url / QA_LLM_URL); showing quoted sentences."
        return llm, None

    def stance(self, claim: str, text: str) -> dict:
        """The stance of ``text`` toward ``claim``: ``{"stance": supports | disputes | discusses |
        unrelated, "score", "related", "sentence": [start, end] of the text's nearest sentence,
        "reasons", "conflicts"}`` (see ``qa.analysis.stance``)."""
        from qa.analysis.stance import StanceScorer

        claim, text = check_question(claim), check_text(text)
        return StanceScorer(self.embedder, self.settings.answer.stance_model).stance(claim, text).to_dict()

    def timeline(self, query: str, *, since: str | None = None, until: str | None = None, dates: int = 10,
                 per_date: int = 3, sources: Iterable[str] | None = None, passages: int | None = None) -> dict:
        """The dated events about ``query`` across the indexed articles (see ``qa.analysis.timeline``).

        since/until bound the events' days (ISO, inclusive); dates: how many days; per_date: events a
        day; passages: how many of the query's passages are read (None: as many as the span and
        the number of dates need, ``qa.analysis.timeline.reading_depth``).
        """
        from qa.analysis.timeline import TimelineOptions, build

        query = check_question(query)
        f = make_filters(sources, since, until)
        for name, n, top in (("dates", dates, 366), ("per_date", per_date, 100), ("passages", passages, 5000)):
            if n is None and name == "passages":
                continue
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= top:
                raise BadFilter(f"{name} must be an integer from 1 to {top}, got {n!r}")
        opts = TimelineOptions(dates=dates, per_date=per_date, passages=passages,
                               since=f.since if f else None, until=f.until if f else None)
        return build(HybridRetriever(self.embedder), self.snapshot(), query, opts, self.settings.retrieval,
                     self.settings.answer, sources=f.sources if f else None)

    def retrieve(
        self, query: str, *, k: int | None = None, sources=None, since=None, until=None, as_of=None, **retrieval: Any
    ) -> list[Hit]:
        """The ranked passages for ``query`` (no answer composition)."""
        query = check_question(query)
        opts = self._options(k, retrieval)
        filters = make_filters(sources, since, until)
        return HybridRetriever(self.embedder, self.reranker).retrieve(
            self.snapshot(), query, opts, filters, pipeline.window_for(query, as_of, opts))

    def _options(self, k: int | None, overrides: dict) -> RetrievalSettings:
        data = self.settings.retrieval.model_dump()
        unknown = set(overrides) - set(data)
        if unknown:
            raise BadFilter(f"unknown retrieval option(s): {', '.join(sorted(unknown))}")
        data.update(overrides)
        if check_k(k) is not None:
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
               embedder: Embedder | None = None, reuse_vectors_from: str | Path | None = None,
               remove: Iterable[str] = ()) -> IngestReport:
        """Add or replace articles from files/folders or ``Article`` objects.

        ``remove``: ids of articles to delete in the same new version (readers see both changes or neither).
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
            return w.ingest(items, progress=progress, total=total, remove=remove)

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
        from qa.analysis.outlets import collect

        return [p.to_dict() for p in collect(self.snapshot(), self.paths.home / "outlets.yaml")]

    def stats(self) -> dict:
        snap = self.snapshot()
        m = snap.manifest
        size = sum(f.stat().st_size for f in self.paths.home.rglob("*") if f.is_file())
        return {
            "home": str(self.paths.home), "articles": m.articles, "passages": m.passages, "sources": snap.sources(),
            "model": m.model, "backend": m.backend, "dim": m.dim, "index_type": m.index_type, "chunking": m.chunking,
            "version": m.version, "index_version": m.digest, "updated": m.created, "bytes_on_disk": size,
            "copy_groups": snap.copy_stats(),
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
        """A llama-index ``BaseRetriever`` over this index (see ``qa.retrieval.llama_index``)."""
        from qa.retrieval.llama_index import QARetriever

        return QARetriever(self, **kwargs)


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
    unread: Iterable[str] | None = None,
) -> Answer:
    """Answer ``question`` from the index in the default data home (``QA_HOME``)."""
    return default_assistant().answer(AskRequest.build(
        question, k=k, sources=sources, since=since, until=until, as_of=as_of, speakers=speakers, leanings=leanings,
        corroborate=corroborate, mode=mode, history=history, unread=unread))


__all__ = ["MAX_QUESTION_CHARS", "AskRequest", "Assistant", "Filters", "ask", "check_question", "make_filters"]
