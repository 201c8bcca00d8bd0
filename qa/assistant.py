"""The Assistant: open an index once, ask many times. ``ask()`` uses a shared default one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from corpus import Article, Skipped, iter_articles
from index.embed import Embedder, make_embedder
from index.ingest import IndexWriter, IngestReport, WriterSettings
from index.manifest import Paths
from index.store import IndexSnapshot
from index.types import Filters, Hit
from qa.compose import compose, idf_from
from qa.errors import BadFilter, BadQuestion
from qa.rerank import CrossEncoderReranker, Reranker
from qa.retrieve import HybridRetriever
from qa.settings import RetrievalSettings, Settings
from qa.types import Answer
from qa.when import as_of_date, time_window

MAX_QUESTION_CHARS = 2000


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

    # ----- components -----
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            e = self.settings.embed
            self._embedder = make_embedder(e.model, e.backend, e.device, e.query_threads)
        return self._embedder

    @property
    def reranker(self) -> Reranker | None:
        model = self.settings.retrieval.rerank_model
        if self._reranker is None and model:
            self._reranker = CrossEncoderReranker(model, device=self.settings.embed.device)
        elif self._reranker is None:
            from qa.rerank import default_reranker

            self._reranker = default_reranker(self.settings.retrieval.rerank_weight)
        return self._reranker

    def warm_up(self) -> Assistant:
        """Load the model and the index now (the server does this before its first request)."""
        self.embedder.embed_query("warm up")
        if self.reranker is not None and hasattr(self.reranker, "warm_up"):
            self.reranker.warm_up()
        if self.paths.exists():
            self.snapshot()
        return self

    def snapshot(self) -> IndexSnapshot:
        """The current index version (re-opened when the manifest changed)."""
        with self._lock:
            try:
                st = self.paths.manifest.stat()
                key = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                key = None
            if self._snap is None or key != self._snap_key:
                snap = IndexSnapshot.open(self.paths.home, expected_model=self.embedder.name)
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
        **retrieval: Any,
    ) -> Answer:
        """Answer ``question`` from the indexed articles, citing the passages used.

        Args:
            k: passages to consider (default: settings.retrieval.k).
            sources: only these outlets; since/until: ISO dates, inclusive.
            searched: the query actually searched (a follow-up rewritten from the chat history).
            as_of: the day the question is asked (default today): "this week", "yesterday",
                "recently" in the question are read relative to it (see ``qa.when``).
            retrieval: per-call overrides of ``RetrievalSettings`` (e.g. ``rerank=False``).

        Raises:
            BadQuestion, BadFilter, IndexNotFound, IndexCorrupt, ModelMismatch.
        """
        question = check_question(question)
        query = check_question(searched) if searched else question
        t0 = time.perf_counter()
        snap = self.snapshot()
        opts = self._options(k, retrieval)
        filters = make_filters(sources, since, until)
        window = _window(query, as_of, opts)
        qv = self.embedder.embed_query(query)  # once: retrieval and answer composition both use it
        hits = HybridRetriever(self.embedder, self.reranker).retrieve(snap, query, opts, filters, window, qv)
        t1 = time.perf_counter()
        vecs = snap.vectors([h.passage.pid for h in hits]) if hits else None
        answer = compose(
            question, hits, self.embedder, self.settings.answer,
            passage_vectors=vecs, idf=idf_from(snap), searched=query if query != question else None, query_vector=qv,
        )
        t2 = time.perf_counter()
        from dataclasses import replace

        answer = replace(
            answer,
            index_version=snap.manifest.digest,
            timings={"retrieve_ms": round((t1 - t0) * 1000, 1), "compose_ms": round((t2 - t1) * 1000, 1)},
            # reported when it changed something: some retrieved passage is from that window
            time_window=(window[0].isoformat(), window[1].isoformat())
            if window and any(h.scores.get("in_window") for h in hits) else None,
        )
        self._audit(answer, hits, filters)
        return answer

    def retrieve(
        self, query: str, *, k: int | None = None, sources=None, since=None, until=None, as_of=None, **retrieval: Any
    ) -> list[Hit]:
        """The ranked passages for ``query`` (no answer composition)."""
        query = check_question(query)
        opts = self._options(k, retrieval)
        return HybridRetriever(self.embedder, self.reranker).retrieve(
            self.snapshot(), query, opts, make_filters(sources, since, until), _window(query, as_of, opts))

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
            raise BadFilter(f"bad retrieval option: {exc.errors()[0]['msg']}") from None  # type: ignore[attr-defined]

    # ----- writing -----
    def writer(self, log=None, embedder: Embedder | None = None, reuse_vectors_from: str | Path | None = None) -> IndexWriter:
        s = self.settings
        ws = WriterSettings(
            max_tokens=s.chunk.max_tokens, overlap_tokens=s.chunk.overlap_tokens, index_type=s.index.index_type,
            hnsw_threshold=s.index.hnsw_threshold, hnsw_m=s.index.hnsw_m, embed_batch=s.embed.batch_size,
            lock_timeout=s.index.lock_timeout, batch_articles=s.index.batch_articles,
            reuse_vectors_from=Path(reuse_vectors_from) if reuse_vectors_from else None,
        )
        return IndexWriter(self.paths.home, embedder or self.embedder, ws, log=log)

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

    # ----- information -----
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
        """Integrity problems of the current version (empty when healthy)."""
        return IndexSnapshot.open(self.paths.home).check()

    def as_retriever(self, **kwargs: Any):
        """A llama-index ``BaseRetriever`` over this index (see ``qa.llama``)."""
        from qa.llama import QARetriever

        return QARetriever(self, **kwargs)

    def _audit(self, answer: Answer, hits: list[Hit], filters: Filters | None) -> None:
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "question": answer.question,
            "searched": answer.searched or answer.question,
            "filters": None if filters is None else {"sources": filters.sources, "since": filters.since, "until": filters.until},
            "index_version": answer.index_version,
            "time_window": list(answer.time_window) if answer.time_window else None,
            "retrieved": [h.passage.id for h in hits],
            "cited": [c.passage_id for c in answer.citations],
            "not_found": answer.not_found,
        }
        try:
            with open(self.paths.audit, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError:
            pass


def _window(query: str, as_of: Any, opts: RetrievalSettings):
    if opts.time_boost <= 0:
        return None
    try:
        day = as_of_date(as_of)
    except (TypeError, ValueError) as exc:
        raise BadFilter(str(exc)) from None
    return time_window(query, day, opts.recent_days)


def check_question(question: Any) -> str:
    """Validate a question: a non-empty string of at most ``MAX_QUESTION_CHARS`` characters.

    Raises:
        BadQuestion: with the reason.
    """
    if not isinstance(question, str):
        raise BadQuestion(f"the question must be text, got {type(question).__name__}")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question).strip()
    if not cleaned:
        raise BadQuestion("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(cleaned):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
    return cleaned


def make_filters(sources: Any = None, since: Any = None, until: Any = None) -> Filters | None:
    """Validate filter values into ``Filters`` (None when no filter is set).

    Raises:
        BadFilter: a value of the wrong type or format.
    """
    from corpus import parse_date

    if sources is not None:
        if isinstance(sources, str):
            sources = [sources]
        try:
            sources = tuple(sources)
        except TypeError:
            raise BadFilter(f"sources must be a list of outlet names, got {type(sources).__name__}") from None
        if not all(isinstance(s, str) for s in sources):
            raise BadFilter("sources must be a list of outlet names (strings)")
        sources = tuple(s.strip() for s in sources if s.strip()) or None
    dates = []
    for name, value in (("since", since), ("until", until)):
        if value is not None and not isinstance(value, str):
            from datetime import date as _date

            if not isinstance(value, _date):
                raise BadFilter(f"{name} must be a date (YYYY-MM-DD), got {type(value).__name__}")
        try:
            dates.append(parse_date(value) if value not in (None, "") else None)
        except ValueError as exc:
            raise BadFilter(f"{name}: {exc}") from None
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise BadFilter(f"since ({dates[0]}) is after until ({dates[1]})")
    f = Filters(sources, dates[0], dates[1])
    return f if f.active else None


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
) -> Answer:
    """Answer ``question`` from the index in the default data home (``QA_HOME``)."""
    return default_assistant().ask(question, k=k, sources=sources, since=since, until=until, as_of=as_of)


__all__ = ["Assistant", "ask", "check_question", "make_filters"]
