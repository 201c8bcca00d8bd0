"""The Gradio web chat: answers with clickable citations, sources panel, follow-ups, filters,
corpus management (upload with progress, article table, delete), export, the ``/ask`` Gradio API and
``POST /api/ask`` (``app.rest``)."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from app.render import CSS, HEAD_JS, answer_html, draft_html, error_html, sources_html  # noqa: E402
from app.rest import add_routes  # noqa: E402
from app.uploads import accept  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.chat import Conversation, rewrite  # noqa: E402
from qa.errors import USER_ERRORS, BadFilter, IndexNotFound, SettingsError  # noqa: E402
from qa.validate import check_question, make_filters  # noqa: E402

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

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self._ingest_lock = threading.Lock()
        self._exports: str | None = None
        self._exports_lock = threading.Lock()

    # ----- chat -----
    def ask(self, question, conv: Conversation | None, sources=None, since=None, until=None, as_of=None,
            speakers=None, leanings=None, mode=None, on_token=None):
        """One chat turn. Returns ``(conv, answer_html, sources_html, error_message)``.

        ``mode="llm"``: a written answer (``on_token`` sees it as it is written); a follow-up is then
        rewritten by the LLM from the conversation, when one is configured."""
        conv = conv if conv is not None else Conversation()
        try:
            q = check_question(question)
            filters = make_filters(sources or None, since or None, until or None)
            llm_rewrites = mode == "llm" and self.assistant.settings.llm.configured
            searched = None if llm_rewrites else rewrite(q, conv.searched_history())
            answer = self.assistant.ask(
                q, searched=searched if searched and searched != q else None,
                sources=filters.sources if filters else None,
                since=filters.since if filters else None, until=filters.until if filters else None,
                as_of=as_of or None, speakers=_names(speakers), leanings=_names(leanings),
                mode=mode or None, history=[(t.question, t.text) for t in conv.turns], on_token=on_token,
            )
        except USER_ERRORS as exc:
            return conv, None, None, str(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback in the chat
            return conv, None, None, unexpected(exc)
        conv.turns.append(answer)
        turn = len(conv.turns)
        return conv, answer_html(answer, turn), sources_html(answer, turn), None

    def ask_streaming(self, question, conv, *args, mode=None):
        """``ask`` as a generator: ``("draft", text so far)`` while an LLM writes, then ``("done", ask's result)``."""
        if mode != "llm":
            yield "done", self.ask(question, conv, *args, mode=mode)
            return
        pieces: queue.Queue = queue.Queue()
        result: list = []

        def run():
            try:
                result.append(self.ask(question, conv, *args, mode=mode, on_token=pieces.put))
            finally:
                pieces.put(None)

        threading.Thread(target=run, daemon=True, name="qa-chat-llm").start()
        text = ""
        while (piece := pieces.get()) is not None:
            text += piece
            yield "draft", text
        yield "done", result[0]

    def api_ask(self, question, sources=None, since=None, until=None, as_of=None, speakers=None, leanings=None,
                corroborate=None, mode=None) -> dict:
        """The ``/ask`` and ``/api/ask`` APIs: ``Answer.to_dict()``, or ``{"error": message}``."""
        return _or_error(lambda: self.assistant.ask(
            question, sources=sources or None, since=since or None, until=until or None, as_of=as_of or None,
            speakers=speakers or None, leanings=leanings or None, corroborate=corroborate, mode=mode or None).to_dict())

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

    def upload(self, files: list[str] | None, progress=None) -> str:
        """Ingest uploaded files; returns a report (accepted, rejected with reasons)."""
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

    def delete(self, article_id: str | None) -> str:
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
        fd, path = tempfile.mkstemp(prefix="answer-" if last_only else "conversation-", suffix=".md", dir=folder)
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


def build(assistant: Assistant):
    """Build the Gradio Blocks app."""
    import gradio as gr

    backend = ChatBackend(assistant)

    with gr.Blocks(title="analyst-qa") as demo:
        conv_state = gr.State(None)
        gr.Markdown("## analyst-qa — ask your articles\nEvery sentence of an answer cites the passage it comes from. Click a marker to see its source.")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Conversation", height=520, sanitize_html=True, elem_id="qa-chat")
                    with gr.Row():
                        question = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=5, elem_id="qa-question", max_length=2000)
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                    error = gr.HTML("", elem_id="qa-error")
                    llm_s = assistant.settings.llm
                    mode = gr.Radio([("Quoted sentences", "extractive"), ("Written by the LLM (verified)", "llm")],
                                    value=assistant.settings.answer.mode, label="Answer",
                                    info=(f"LLM: {llm_s.model or llm_s.url}" if llm_s.configured
                                          else "No LLM configured (QA_LLM_URL): written answers fall back to quotes"),
                                    elem_id="qa-mode")
                    with gr.Accordion("Filters (apply to the next question)", open=False):
                        source_filter = gr.Dropdown(choices=backend.sources(), multiselect=True, label="Outlets", elem_id="qa-sources-filter")
                        with gr.Row():
                            since = gr.Textbox(label="Published from (YYYY-MM-DD)", elem_id="qa-since")
                            until = gr.Textbox(label="Published until (YYYY-MM-DD)", elem_id="qa-until")
                            as_of = gr.Textbox(label="As of (YYYY-MM-DD): 'this week' means the week before; default today",
                                               elem_id="qa-as-of")
                        with gr.Row():
                            speaker_filter = gr.Textbox(label="Said by (names, comma-separated)", elem_id="qa-speakers")
                            leaning_filter = gr.Textbox(label="Stated leaning (e.g. pro-Kurdish)", elem_id="qa-leanings")
                    with gr.Row():
                        export_conv = gr.DownloadButton("Download conversation (.md)", elem_id="qa-export-conv")
                        export_last = gr.DownloadButton("Download last answer (.md)", elem_id="qa-export-last")
                        clear = gr.Button("New conversation")
                with gr.Column(scale=2):
                    sources_panel = gr.HTML(sources_html(None, 0), elem_id="qa-sources-panel")
        with gr.Tab("Timeline"):
            with gr.Row():
                tl_query = gr.Textbox(placeholder="What the timeline is about, e.g. Al-Hasakah", show_label=False, scale=5,
                                      elem_id="qa-timeline-query", max_length=2000)
                tl_go = gr.Button("Build timeline", variant="primary", scale=1, elem_id="qa-timeline-go")
            tl_out = gr.HTML("", elem_id="qa-timeline")
            tl_go.click(backend.timeline_html, [tl_query], [tl_out], api_visibility="private")
            tl_query.submit(backend.timeline_html, [tl_query], [tl_out], api_visibility="private")
        with gr.Tab("Sources"):
            gr.Markdown("What the articles say about the outlets they cite: a leaning is shown only where an article "
                        "(or `outlets.yaml` in the data home) states it, with the sentence that does.")
            outlets = gr.Dataframe(value=backend.outlets_table(), headers=ChatBackend.OUTLET_COLUMNS, interactive=False,
                                   wrap=True, elem_id="qa-outlets")
            refresh_outlets = gr.Button("Refresh", elem_id="qa-outlets-refresh")
            refresh_outlets.click(lambda: backend.outlets_table(), None, [outlets], api_visibility="private")
        with gr.Tab("Articles"):
            stats = gr.Markdown(backend.stats_text(), elem_id="qa-stats")
            upload = gr.File(label="Upload articles (.txt .md .html .json .jsonl .pdf)", file_count="multiple", type="filepath", elem_id="qa-upload")
            upload_btn = gr.Button("Ingest uploaded files", variant="primary", elem_id="qa-ingest")
            upload_report = gr.Textbox(label="Ingest report", lines=4, interactive=False, elem_id="qa-upload-report")
            table = gr.Dataframe(value=backend.articles_table(), headers=ARTICLE_COLUMNS, interactive=False, wrap=True, elem_id="qa-articles")
            with gr.Row():
                delete_id = gr.Textbox(label="Article id to delete", scale=3, elem_id="qa-delete-id")
                delete_btn = gr.Button("Delete", variant="stop", scale=1, elem_id="qa-delete")

        def on_ask(q, history, conv, srcs, s, u, day, who, lean, how):
            history = list(history or [])
            shown = history + [{"role": "user", "content": _plain(q)}]
            for kind, value in backend.ask_streaming(q, conv, srcs, s, u, day, who, lean, mode=how):
                if kind == "draft":  # the model's words as they come, as text, marked as not yet checked
                    yield (shown + [{"role": "assistant", "content": draft_html(value)}], conv, gr.update(), "",
                           gr.update(), gr.update(), gr.update())
                    continue
                conv, ans_html, src_html, err = value
                if err:
                    yield history, conv, gr.update(), error_html(err), gr.update(), gr.update(), gr.update()
                    return
                history = shown + [{"role": "assistant", "content": ans_html}]
                yield (history, conv, src_html, "", "", backend.export(conv), backend.export(conv, last_only=True))

        ask_inputs = [question, chat, conv_state, source_filter, since, until, as_of, speaker_filter, leaning_filter, mode]
        ask_outputs = [chat, conv_state, sources_panel, error, question, export_conv, export_last]
        send.click(on_ask, ask_inputs, ask_outputs, api_visibility="private")
        question.submit(on_ask, ask_inputs, ask_outputs, api_visibility="private")
        clear.click(lambda: ([], None, sources_html(None, 0), "", None, None), None,
                    [chat, conv_state, sources_panel, error, export_conv, export_last], api_visibility="private")

        def on_upload(files, progress=gr.Progress()):
            report = backend.upload(files, progress=progress)
            return report, backend.articles_table(), backend.stats_text(), gr.update(choices=backend.sources()), None

        upload_btn.click(on_upload, [upload], [upload_report, table, stats, source_filter, upload], api_visibility="private")

        def on_delete(aid):
            msg = backend.delete(aid)
            return msg, backend.articles_table(), backend.stats_text(), gr.update(choices=backend.sources())

        delete_btn.click(on_delete, [delete_id], [upload_report, table, stats, source_filter], api_visibility="private")

        def ask(question: str, sources: list[str] | None = None, since: str | None = None, until: str | None = None,
                    as_of: str | None = None, speakers: list[str] | None = None, leanings: list[str] | None = None,
                    mode: str | None = None) -> dict:
            """Answer a question from the indexed articles, every sentence citing the exact span it comes from.

            Args:
                question: the question, in plain words.
                sources: only these outlets (names as in the index).
                since: only articles published on or after this day (YYYY-MM-DD).
                until: only articles published on or before this day (YYYY-MM-DD).
                as_of: the day the question is asked (YYYY-MM-DD); "this week" and "yesterday" are read against it.
                speakers: only sentences attributed to these sources (a name or part of it).
                leanings: only sources with one of these stated leanings (e.g. pro-Kurdish).
                mode: "extractive" (quoted sentences, the default) or "llm" (written by the configured LLM, each sentence verified).

            Returns:
                Answer.to_dict(): text, citations (article_id, source, date, quote, start, end, attribution,
                corroboration), not_found; or {"error": message}.
            """
            return backend.api_ask(question, sources, since, until, as_of, speakers, leanings, mode=mode)

        gr.api(ask, api_name="ask")

        def search(query: str, k: int = 5, sources: list[str] | None = None, since: str | None = None,
                       until: str | None = None) -> dict:
            """Search the indexed articles for the passages that best match a query (hybrid dense + BM25, reranked).

            Args:
                query: what to look for, in plain words.
                k: how many passages to return (1 to 50).
                sources: only these outlets.
                since: only articles published on or after this day (YYYY-MM-DD).
                until: only articles published on or before this day (YYYY-MM-DD).

            Returns:
                {"passages": [{"article_id", "title", "source", "date", "url", "start", "end", "text", "score"}]}
                (start/end: the passage's character span in the article), or {"error": message}.
            """
            return backend.api_search(query, k, sources, since, until)

        def attributions(article_id: str) -> dict:
            """Who says what in one indexed article: each attribution relation with its character spans.

            Args:
                article_id: the article's id (as in citations).

            Returns:
                {"relations": [{"source", "cue", "content" (each {"text", "start", "end"}), "speaker", "kind",
                "role", "affiliation", "leaning", "carrier"}]}, or {"error": message}.
            """
            return backend.api_attributions(article_id)

        def timeline(query: str, since: str | None = None, until: str | None = None, dates: int = 10) -> dict:
            """The dated events about a query across the indexed articles, each cited exactly.

            Args:
                query: what the timeline is about.
                since: only events on or after this day (YYYY-MM-DD).
                until: only events on or before this day (YYYY-MM-DD).
                dates: how many days to list (1 to 366).

            Returns:
                {"query", "dates": [{"date", "events": [{"text", "article_id", "title", "source", "date", "start",
                "end", "attribution", "dated_by", "mentions"}]}]}, or {"error": message}.
            """
            return backend.api_timeline(query, since, until, dates)

        gr.api(search, api_name="search")
        gr.api(attributions, api_name="attributions")
        gr.api(timeline, api_name="timeline")
        demo.load(lambda: (backend.stats_text(), backend.articles_table(), gr.update(choices=backend.sources())),
                  None, [stats, table, source_filter], api_visibility="private")
    demo.backend = backend  # the same functions behind POST /api/ask
    return demo


def _names(value) -> list[str] | None:
    """Comma-separated names from a text box (or a list from the API)."""
    if not value:
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if isinstance(p, str) and p.strip()] or None


def _plain(q: str) -> str:
    import html

    return html.escape(q)


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise SettingsError("server auth must be 'user:password'")
    return user, password


def launch(assistant: Assistant, *, block: bool = True, quiet: bool = False):
    """Start the server with the assistant's server settings; returns the Blocks app."""
    s = assistant.settings.server
    assistant.warm_up()
    demo = build(assistant)
    demo.queue(default_concurrency_limit=8)
    auth = parse_auth(s.auth)
    demo.launch(
        server_name=s.host, server_port=s.port, share=s.share, auth=auth,
        max_file_size=f"{s.max_upload_mb:g}mb", prevent_thread_lock=True, quiet=quiet,
        css=CSS, head=HEAD_JS, footer_links=["api"], show_error=False, mcp_server=s.mcp,
    )
    add_routes(demo.app, demo.backend, auth)
    if block:
        demo.block_thread()
    return demo


def serve(assistant: Assistant) -> None:
    launch(assistant, block=True)
