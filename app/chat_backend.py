"""The functions behind the web chat and its APIs, independent of Gradio so they can be tested
in-process: one chat turn, the ``/ask`` ``/search`` ``/attributions`` ``/timeline`` APIs, the corpus
table, uploads, deletes and exports."""

from __future__ import annotations

import logging
import os
import queue
import secrets
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

from app.accounts import RateLimit
from app.html import answer_html, conversation_sources_html, error_html
from app.uploads import accept
from qa.answer.request import UNREAD, AskRequest
from qa.assistant import Assistant
from qa.conversation import Conversation
from qa.errors import USER_ERRORS, BadFilter, BadQuestion, IndexNotFound

log = logging.getLogger("analyst-qa.web")


def unexpected(exc: BaseException) -> str:
    """A readable message for an error that is not a domain error (the traceback goes to the server log)."""
    log.error("unexpected error", exc_info=exc)
    return f"Something went wrong on the server ({type(exc).__name__}: {str(exc)[:200]}). Details are in the server log."

def _or_error(call) -> dict:
    """What an API function returns, or ``{"error": message}`` (never a traceback)."""
    try:
        return call()
    except USER_ERRORS as exc:
        return {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001
        return {"error": unexpected(exc)}


ARTICLE_COLUMNS = ["title", "outlet", "date", "passages", "id"]


class ChatBackend:
    """The functions behind the UI, independent of Gradio so they can be tested in-process."""

    def __init__(self, assistant: Assistant, keeper=None, accounts=None):
        self.assistant = assistant
        self.keeper = keeper  # what keeps the index up to date (``qa.sync.keeper.Keeper``), if anything
        self.accounts = accounts  # who may do what (``app.accounts.Accounts``); None: everyone everything
        self.limits = RateLimit(assistant.settings.server.questions_per_minute)
        self._ingest_lock = threading.Lock()
        self._exports: str | None = None
        self._exports_lock = threading.Lock()

    # ----- who asks -----
    def may(self, user: str | None, role: str) -> bool:
        """Whether ``user`` (a login name, or None) may do what ``role`` may; without logins, anyone may."""
        if self.accounts is None or not self.accounts.required:
            return True
        u = self.accounts.role_of(user)
        return u is not None and u.may(role)

    def over_limit(self, user: str | None) -> str | None:
        """Why ``user`` must wait before the next question, or None (only servers with logins count)."""
        if self.accounts is None or not self.accounts.required or not user:
            return None
        wait = self.limits.take(user)
        return None if wait is None else (f"too many questions: {self.limits.per_minute} a minute per user; "
                                          f"try again in {wait:.0f} s")

    # ----- chat -----
    def ask(self, question, conv: Conversation | None, sources=None, since=None, until=None, as_of=None,
            speakers=None, leanings=None, mode=None, on_token=None, unread=(), before=None, user=None):
        """One chat turn. Returns ``(conv, answer_html, sources_html, error_message)``.

        ``mode="llm"``: a written answer (``on_token`` sees it as it is written); a follow-up is then
        rewritten by the LLM from the conversation, when one is configured. ``unread``: what not to
        read from the words (``AskRequest.unread``); ``before``: the history is the turns before this
        one (1-based; default: all of them)."""
        conv = conv if conv is not None else Conversation()
        earlier = conv.turns if before is None else conv.turns[: before - 1]
        if (why := self.over_limit(user)) is not None:
            return conv, None, None, why
        try:
            request = AskRequest.build(
                question, sources=sources or None, since=since or None, until=until or None, as_of=as_of or None,
                speakers=_names(speakers), leanings=_names(leanings), mode=mode or None,
                history=[(t.question, t.text) for t in earlier], unread=unread, user=user)
            answer = self.assistant.answer(request, on_token=on_token)  # a follow-up is read with the history there
        except USER_ERRORS as exc:
            return conv, None, None, str(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback in the chat
            return conv, None, None, unexpected(exc)
        conv.turns.append(answer)
        turn = len(conv.turns)
        if unread:
            conv.unread[turn] = tuple(unread)
        return conv, answer_html(answer, turn), conversation_sources_html(conv.turns), None

    def unread_request(self, chip: str, conv: Conversation | None) -> tuple[str, tuple[str, ...], int] | None:
        """A removed "Read as" chip (``"3:leanings"``: turn 3's stated leaning) as ``(question, unread,
        turn)``, to ask that turn's question again without it; None for a chip that names no turn."""
        turn, _, what = str(chip or "").partition(":")
        if conv is None or not turn.isdigit() or not 1 <= int(turn) <= len(conv.turns) or what not in UNREAD:
            return None
        t = int(turn)
        return conv.turns[t - 1].question, tuple(dict.fromkeys((*conv.unread.get(t, ()), what))), t

    def ask_streaming(self, question, conv, *args, mode=None, user=None):
        """``ask`` as a generator: ``("draft", text so far)`` while an LLM writes, then ``("done", ask's result)``."""
        if mode != "llm":
            yield "done", self.ask(question, conv, *args, mode=mode, user=user)
            return
        pieces: queue.Queue = queue.Queue()
        result: list = []

        def run():
            try:
                result.append(self.ask(question, conv, *args, mode=mode, on_token=pieces.put, user=user))
            finally:
                pieces.put(None)

        threading.Thread(target=run, daemon=True, name="qa-chat-llm").start()
        text = ""
        while (piece := pieces.get()) is not None:
            text += piece
            yield "draft", text
        yield "done", result[0]

    def api_ask(self, question, sources=None, since=None, until=None, as_of=None, speakers=None, leanings=None,
                corroborate=None, mode=None, history=None, user=None) -> dict:
        """The ``/ask`` and ``/api/ask`` APIs: ``Answer.to_dict()``, or ``{"error": message}``.

        ``history``: earlier turns, oldest first: questions, ``[question, answer]`` pairs or
        ``{"question", "answer"}`` objects (a follow-up is read with them)."""
        return _or_error(lambda: self.assistant.answer(AskRequest.build(
            question, sources=sources or None, since=since or None, until=until or None, as_of=as_of or None,
            speakers=speakers or None, leanings=leanings or None, corroborate=corroborate,
            mode=mode or None, history=turns_of(history), user=user)).to_dict())

    def api_search(self, query, k=5, sources=None, since=None, until=None) -> dict:
        """The ``/search`` tool: ranked passages with their spans, or ``{"error": message}``."""
        def run():
            if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50:
                raise BadFilter(f"k must be an integer from 1 to 50, got {k!r}")
            hits = self.assistant.retrieve(query, k=k, sources=sources or None, since=since or None, until=until or None)
            return {"passages": [{"article_id": h.passage.article_id, "title": h.passage.title,
                                  "source": h.passage.source, "date": h.passage.date, "url": h.passage.url,
                                  "start": h.passage.start, "end": h.passage.end, "text": h.passage.text,
                                  "score": round(float(h.score), 4)} for h in hits]}

        return _or_error(run)

    def api_attributions(self, article_id) -> dict:
        return _or_error(lambda: {"relations": self.assistant.attributions(str(article_id or ""))})

    def api_timeline(self, query, since=None, until=None, dates=10) -> dict:
        return _or_error(lambda: self.assistant.timeline(query, since=since or None, until=until or None, dates=dates))

    def example_questions(self, most: int = 4) -> list[str]:
        """A few questions the indexed articles can answer, drawn from them: a leaning and a described
        source their attributions state, and the newest article's title ([] with no index)."""
        try:
            snap = self.assistant.snapshot()
            arts = snap.articles(limit=20)
            rels = snap.attributions([a["id"] for a in arts])
        except USER_ERRORS:
            return []
        leanings = [r["leaning"] for a in arts for r in rels.get(a["id"], []) if r.get("leaning")]
        people = [r["speaker"] for a in arts for r in rels.get(a["id"], [])
                  if r.get("role") and r.get("speaker") and len(r["speaker"].split()) >= 2]
        out = []
        if leanings:
            out.append(f"What did {max(sorted(set(leanings)), key=leanings.count)} outlets report?")
        if people:
            out.append(f"Who is {people[0]}?")
        if arts and arts[0].get("title"):
            title = " ".join(arts[0]["title"].split())[:120]
            out += [f"What happened, by date: {title}?", f"Which outlets reported: {title}?"]
        return out[:most]

    # ----- corpus -----
    def articles_table(self) -> list[list]:
        try:
            rows = self.assistant.snapshot().articles()
        except USER_ERRORS:
            return []
        return [[r["title"], r["source"], r["date"] or "", r["passages"], r["id"]] for r in rows]

    def timeline_html(self, query: str | None) -> str:
        """The Timeline tab: days in calendar order, each event quoted as text with its source and span."""
        import html

        if not query or not query.strip():
            return "<p class='qa-note'>Type what the timeline is about.</p>"
        try:
            t = self.assistant.timeline(query)
        except USER_ERRORS as exc:
            return error_html(str(exc))
        except Exception as exc:  # noqa: BLE001
            return error_html(unexpected(exc))
        if not t["dates"]:
            return f"<p class='qa-note'>{html.escape(t['message'])}</p>"
        parts = []
        for d in t["dates"]:
            items = []
            for e in d["events"]:
                who = (e.get("attribution") or {}).get("speaker")
                also = "".join(f"<li class='qa-meta'>also: {html.escape(m['source'] or m['article_id'])} "
                               f"(<code>{html.escape(m['article_id'])}</code> {m['start']}–{m['end']})</li>" for m in e["mentions"])
                how = html.escape(e["date_phrase"] or e["dated_by"])
                items.append(f"<li>{html.escape(' '.join(e['text'].split()))}<div class='qa-meta'>{html.escape(e['source'] or '')}"
                             f"{' · ' + html.escape(who) if who else ''} · dated by “{how}” · <code>{html.escape(e['article_id'])}</code> "
                             f"{e['start']}–{e['end']}</div><ul>{also}</ul></li>")
            parts.append(f"<h4>{d['date']} <span class='qa-meta'>({d['articles']} article{'s' if d['articles'] != 1 else ''})</span></h4>"
                         f"<ul>{''.join(items)}</ul>")
        return f"<div class='qa-timeline'>{''.join(parts)}</div>"

    OUTLET_COLUMNS = ["outlet", "kind", "country", "stated leaning", "where the articles say so"]

    def outlets_table(self) -> list[list]:
        """The Sources tab: each outlet profile with the sentence that states its leaning (or kind)."""
        try:
            profiles = self.assistant.outlets()
        except USER_ERRORS:
            return []
        except Exception as exc:  # noqa: BLE001
            unexpected(exc)
            return []
        rows = []
        for p in profiles:
            cites = [c for v in p["leaning"] + p["kind"] + p["country"] for c in v["citations"]]
            where = (f"“{cites[0]['quote']}” ({cites[0]['article_id']}, characters {cites[0]['start']}–{cites[0]['end']})"
                     if cites and cites[0]["article_id"] else ("outlets.yaml" if cites else ""))
            rows.append([p["name"], ", ".join(v["value"] for v in p["kind"]), ", ".join(v["value"] for v in p["country"]),
                         ", ".join(v["value"] for v in p["leaning"]), where])
        return rows

    def sources(self) -> list[str]:
        try:
            return self.assistant.snapshot().sources()
        except USER_ERRORS:
            return []

    def stats_text(self) -> str:
        try:
            s = self.assistant.stats()
        except IndexNotFound:
            return "No index yet: upload articles to start."
        except USER_ERRORS as exc:
            return f"Index problem: {exc}"
        except Exception as exc:  # noqa: BLE001
            return unexpected(exc)
        mb = s["bytes_on_disk"] / 2**20
        return (
            f"{s['articles']} articles · {s['passages']} passages · {len(s['sources'])} outlets · "
            f"model {s['model']} ({s['index_type']}) · {mb:.1f} MB · updated {s['updated']}"
        )

    def index_news(self) -> dict:
        """When the index last changed, what came in lately (``qa.sync.activity``), and an update in progress."""
        from qa.sync import activity

        try:
            updated = self.assistant.stats()["updated"]
        except USER_ERRORS:
            updated = None
        except Exception as exc:  # noqa: BLE001
            unexpected(exc)
            updated = None
        k = self.keeper
        return {"updated": updated, "recent": [activity.describe(r) for r in activity.recent(self.assistant.paths.home, 3)],
                "busy": k.busy if k is not None else None,
                "watching": [str(f) for f in k.folders.folders] if k is not None and k.folders else [],
                "feeds_every": k.feeds_every if k is not None else None}

    def index_news_html(self) -> str:
        from app.html import index_news_html

        return index_news_html(self.index_news())

    def upload(self, files: list[str] | None, progress=None, user: str | None = None) -> str:
        """Ingest uploaded files; returns a report (accepted, rejected with reasons)."""
        if not self.may(user, "editor"):
            return "Uploading articles needs an editor's login."
        files = files or []
        if not files:
            return "No files selected."
        server = self.assistant.settings.server
        dest = Path(self.assistant.settings.home) / "uploads"
        accepted, rejected = accept(files, dest, max_files=server.max_upload_files, max_mb=server.max_upload_mb)
        lines = [f"Rejected {r.name}: {r.reason}" for r in rejected]
        if accepted:
            def report_progress(stage, done, total, extra):
                if progress is not None:
                    progress((done, total or len(accepted)), desc=f"ingesting: {extra.get('embedded', 0)} passages embedded")

            with self._ingest_lock:
                try:
                    rep = self.assistant.ingest(accepted, progress=report_progress, total=len(accepted))
                except USER_ERRORS as exc:
                    return "\n".join([f"Ingest failed: {exc}", *lines])
                except Exception as exc:  # noqa: BLE001
                    return "\n".join([f"Ingest failed: {unexpected(exc)}", *lines])
            lines.insert(0, f"Ingested: {rep.summary()}")
            lines += [f"Skipped {Path(s.path).name}: {s.reason}" for s in rep.skipped]
        return "\n".join(lines)

    def delete(self, article_id: str | None, user: str | None = None) -> str:
        if not self.may(user, "editor"):
            return "Deleting articles needs an editor's login."
        if not article_id or not article_id.strip():
            return "Choose an article id to delete."
        try:
            removed = self.assistant.remove([article_id.strip()])
        except USER_ERRORS as exc:
            return f"Delete failed: {exc}"
        except Exception as exc:  # noqa: BLE001
            return f"Delete failed: {unexpected(exc)}"
        return f"Deleted {article_id}." if removed else f"No article with id {article_id!r}."

    EXPORTS_KEPT = 256

    def export(self, conv: Conversation | None, last_only: bool = False) -> str | None:
        """Write the conversation (or its last answer) as Markdown; returns the file path.

        Files go to one private folder per server, removed when it exits; only the newest
        ``EXPORTS_KEPT`` are kept while it runs (Gradio serves its own copy of each).
        """
        if conv is None or not conv.turns:
            return None
        folder = self._exports_dir()
        text = conv.turns[-1].to_markdown() if last_only else conv.to_markdown()
        # a name nobody guesses: another user of the server, logged in too, cannot fetch it by its address
        fd, path = tempfile.mkstemp(prefix=("answer-" if last_only else "conversation-") + secrets.token_urlsafe(16) + "-",
                                    suffix=".md", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        files = sorted(Path(folder).iterdir(), key=lambda p: p.stat().st_mtime_ns)
        for old in files[: max(0, len(files) - self.EXPORTS_KEPT)]:
            old.unlink(missing_ok=True)
        return path

    def _exports_dir(self) -> str:
        with self._exports_lock:
            if self._exports is None:
                self._exports = tempfile.mkdtemp(prefix="qa-exports-")
                weakref.finalize(self, shutil.rmtree, self._exports, True)
        return self._exports


def _names(value) -> list[str] | None:
    """Comma-separated names from a text box (or a list from the API)."""
    if not value:
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if isinstance(p, str) and p.strip()] or None


def turns_of(history) -> list[tuple[str, str]]:
    """Earlier turns as ``(question, answer)`` pairs, from questions, pairs or ``{"question", "answer"}`` objects."""
    out = []
    for t in history or []:
        if isinstance(t, str):
            out.append((t, ""))
        elif isinstance(t, dict) and isinstance(t.get("question"), str):
            out.append((t["question"], str(t.get("answer") or "")))
        elif isinstance(t, list | tuple) and len(t) == 2 and all(isinstance(x, str) for x in t):
            out.append((t[0], t[1]))
        else:
            raise BadQuestion("history must be a list of earlier questions, [question, answer] pairs or "
                              '{"question", "answer"} objects, oldest first')
    return out


def plain(q: str) -> str:
    """The question as HTML text (shown in the chat as typed, never as markup)."""
    import html

    return html.escape(q)
