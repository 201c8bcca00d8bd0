"""The Gradio web chat: answers with clickable citations, sources panel, follow-ups, filters,
corpus management (upload with progress, article table, delete), export, the ``/ask`` Gradio API and
``POST /api/ask`` (``app.rest``)."""

from __future__ import annotations

import os

from app.accounts import Accounts
from app.chat_backend import ARTICLE_COLUMNS, ChatBackend, plain
from app.html import CSS, HEAD_JS, draft_html, error_html, sources_html
from app.rest import add_routes
from app.tools import mount_mcp, tool_functions
from index.embed.base import offline_defaults
from qa.assistant import Assistant

NEWS_SECONDS = 5  # how often the chat looks for a change of the index


def gradio_defaults() -> None:
    """Gradio's usage analytics off (a request to the internet at start), unless the user set it.
    Called before Gradio is imported, not at import of this module."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def build(assistant: Assistant, keeper=None, accounts=None):
    """Build the Gradio Blocks app; ``keeper`` (``qa.sync.keeper.Keeper``) is what keeps the index up to
    date, if anything; ``accounts`` (``app.accounts.Accounts``) who may do what."""
    gradio_defaults()
    import gradio as gr

    backend = ChatBackend(assistant, keeper=keeper, accounts=accounts)

    def who(request) -> str | None:
        return getattr(request, "username", None) if request is not None else None

    def with_request(fn):
        fn.__annotations__["request"] = gr.Request  # a real class, not a postponed string: Gradio injects it
        return fn

    with gr.Blocks(title="analyst-qa") as demo:
        conv_state = gr.State(None)
        gr.Markdown("## analyst-qa — ask your articles\nEvery sentence of an answer cites the passage it comes from. Click a marker to see its source.")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Conversation", height=520, sanitize_html=True, elem_id="qa-chat",
                                      examples=[{"text": q} for q in backend.example_questions()] or None)
                    with gr.Row():
                        question = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=5, elem_id="qa-question")  # no cut: a question over the limit is refused with a message
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                    error = gr.HTML("", elem_id="qa-error")
                    unread_box = gr.Textbox("", elem_id="qa-unread", show_label=False, container=False)  # set by a chip's ✕ (hidden)
                    unread_go = gr.Button("again", elem_id="qa-unread-go")
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
                    index_news = gr.HTML(backend.index_news_html(), elem_id="qa-index-news")
                    sources_panel = gr.HTML(sources_html(None, 0), elem_id="qa-sources-panel")
                    gr.Timer(NEWS_SECONDS).tick(backend.index_news_html, None, [index_news], api_visibility="private",
                                                show_progress="hidden")
        with gr.Tab("Timeline"):
            with gr.Row():
                tl_query = gr.Textbox(placeholder="What the timeline is about, e.g. Al-Hasakah", show_label=False, scale=5,
                                      elem_id="qa-timeline-query")
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
            upload = gr.File(label=("Upload articles: .txt or .md (optional YAML front matter: id, title, source, date, url), "
                                   ".html, .pdf, .json or .jsonl, optionally .gz (fields id, title, text, source, date, url)"), file_count="multiple", type="filepath", elem_id="qa-upload")
            upload_btn = gr.Button("Ingest uploaded files", variant="primary", elem_id="qa-ingest")
            upload_report = gr.Textbox(label="Ingest report", lines=4, interactive=False, elem_id="qa-upload-report")
            table = gr.Dataframe(value=backend.articles_table(), headers=ARTICLE_COLUMNS, interactive=False, wrap=True, elem_id="qa-articles")
            with gr.Row():
                delete_id = gr.Textbox(label="Article id to delete", scale=3, elem_id="qa-delete-id")
                delete_btn = gr.Button("Delete", variant="stop", scale=1, elem_id="qa-delete")

        @with_request
        def on_ask(q, history, conv, srcs, s, u, day, speakers, lean, how, request=None):
            history = list(history or [])
            shown = history + [{"role": "user", "content": plain(q)}]
            for kind, value in backend.ask_streaming(q, conv, srcs, s, u, day, speakers, lean, mode=how, user=who(request)):
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

        @with_request
        def on_unread(chip, history, conv, srcs, s, u, day, speakers, lean, how, request=None):
            again = backend.unread_request(chip, conv)
            if again is None:
                return history, conv, gr.update(), "", gr.update(), gr.update()
            q, unread, turn = again
            dropped = ", ".join(unread)
            conv, ans_html, src_html, err = backend.ask(q, conv, srcs, s, u, day, speakers, lean, mode=how,
                                                        unread=unread, before=turn, user=who(request))
            if err:
                return history, conv, gr.update(), error_html(err), gr.update(), gr.update()
            history = list(history or []) + [{"role": "user", "content": plain(f"{q} (asked again, not reading: {dropped})")},
                                             {"role": "assistant", "content": ans_html}]
            return history, conv, src_html, "", backend.export(conv), backend.export(conv, last_only=True)

        ask_inputs = [question, chat, conv_state, source_filter, since, until, as_of, speaker_filter, leaning_filter, mode]
        ask_outputs = [chat, conv_state, sources_panel, error, question, export_conv, export_last]
        def on_example(evt):
            return evt.value["text"] if isinstance(evt.value, dict) else str(evt.value)

        on_example.__annotations__ = {"evt": gr.SelectData}  # a real class, not a postponed string: Gradio injects it

        chat.example_select(on_example, None, question, api_visibility="private")
        unread_go.click(on_unread, [unread_box, chat, conv_state, source_filter, since, until, as_of, speaker_filter,
                                    leaning_filter, mode], [chat, conv_state, sources_panel, error, export_conv, export_last],
                        api_visibility="private")
        send.click(on_ask, ask_inputs, ask_outputs, api_visibility="private")
        question.submit(on_ask, ask_inputs, ask_outputs, api_visibility="private")
        clear.click(lambda: ([], None, sources_html(None, 0), "", None, None), None,
                    [chat, conv_state, sources_panel, error, export_conv, export_last], api_visibility="private")

        @with_request
        def on_upload(files, progress=gr.Progress(), request=None):
            report = backend.upload(files, progress=progress, user=who(request))
            return report, backend.articles_table(), backend.stats_text(), gr.update(choices=backend.sources()), None

        upload_btn.click(on_upload, [upload], [upload_report, table, stats, source_filter, upload], api_visibility="private")

        @with_request
        def on_delete(aid, request=None):
            msg = backend.delete(aid, user=who(request))
            return msg, backend.articles_table(), backend.stats_text(), gr.update(choices=backend.sources())

        delete_btn.click(on_delete, [delete_id], [upload_report, table, stats, source_filter], api_visibility="private")

        for name, fn in tool_functions(backend).items():  # the Gradio API: /ask, /search, /attributions, /timeline
            gr.api(fn, api_name=name)
        @with_request
        def role_view(request=None):
            """Only what the login's role may do: a reader sees no upload and no delete."""
            edit = backend.may(who(request), "editor")
            return [gr.update(visible=edit)] * 4

        demo.load(role_view, None, [upload, upload_btn, delete_id, delete_btn], api_visibility="private")
        demo.load(lambda: (backend.stats_text(), backend.articles_table(), gr.update(choices=backend.sources())),
                  None, [stats, table, source_filter], api_visibility="private")
    demo.backend = backend  # the same functions behind POST /api/ask
    return demo


def launch(assistant: Assistant, *, block: bool = True, quiet: bool = False, keeper=None):
    """Start the server with the assistant's server settings; returns the Blocks app."""
    s = assistant.settings.server
    offline_defaults()
    assistant.warm_up()
    accounts = Accounts(assistant.paths.home, s.auth)
    demo = build(assistant, keeper, accounts)
    demo.queue(default_concurrency_limit=8)
    # a login when server.auth is set or any user exists (users added later need a restart to turn it on)
    auth = (lambda user, password: accounts.login(user, password, "web") is not None) if accounts.required else None
    demo.launch(
        server_name=s.host, server_port=s.port, share=s.share, auth=auth,
        max_file_size=f"{s.max_upload_mb:g}mb", prevent_thread_lock=True, quiet=quiet,
        css=CSS, head=HEAD_JS, footer_links=["api"], show_error=False, mcp_server=False,
    )
    if s.mcp:  # the tools over MCP, calling the backend directly, behind the same login
        mount_mcp(demo.app, demo.backend, accounts, s.host, s.port)
    if accounts.required:  # the schema of every route is not for a login page to show
        demo.app.router.routes[:] = [r for r in demo.app.router.routes
                                     if getattr(r, "path", None) not in ("/openapi.json", "/docs", "/docs/oauth2-redirect",
                                                                         "/redoc")]
    add_routes(demo.app, demo.backend, accounts)
    if block:
        demo.block_thread()
    return demo


def serve(assistant: Assistant, keeper=None) -> None:
    launch(assistant, block=True, keeper=keeper)
