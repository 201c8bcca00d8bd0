"""The tools other programs call: ``ask``, ``search``, ``attributions``, ``timeline``.

The same four functions are the Gradio API (``/ask`` …, ``app.web``) and, with ``server.mcp``, MCP
tools over streamable HTTP at ``/gradio_api/mcp/`` (``mount_mcp``). The MCP server is the ``mcp``
package's ``FastMCP``, mounted in the web server and calling the backend directly (not back
through the Gradio page), behind the same login as every other door: with logins, a request
without a user's HTTP Basic credentials or ``Authorization: Bearer TOKEN`` gets 401 before any
MCP message is read, schemas included.
"""

import asyncio
import contextvars
import json
from collections.abc import Callable

import anyio


def tool_functions(backend, user: Callable[[], str | None] = lambda: None) -> dict[str, Callable]:
    """The four tools over ``backend`` (``ChatBackend``); ``user()`` names who calls (audit, rate limit)."""
    def ask(question: str, sources: list[str] | None = None, since: str | None = None, until: str | None = None,
                as_of: str | None = None, speakers: list[str] | None = None, leanings: list[str] | None = None,
                mode: str | None = None, history: list[str] | None = None) -> dict:
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
            history: the conversation's earlier questions, oldest first: a follow-up ("And what did the pro-Kurdish media report?") keeps their topic and filters.

        Returns:
            Answer.to_dict(): text, citations (article_id, source, date, quote, start, end, attribution,
            corroboration), not_found; or {"error": message}.
        """
        if (why := backend.over_limit(user())) is not None:
            return {"error": why}
        return backend.api_ask(question, sources, since, until, as_of, speakers, leanings, mode=mode, history=history,
                               user=user())


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

    return {"ask": ask, "search": search, "attributions": attributions, "timeline": timeline}


def mount_mcp(app, backend, accounts, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the tools over MCP at ``/gradio_api/mcp/`` of the FastAPI ``app``."""
    from mcp.server.fastmcp import FastMCP

    server = FastMCP("analyst-qa", host=host, port=port, streamable_http_path="/", stateless_http=True,
                     json_response=True)
    for name, fn in tool_functions(backend, _caller).items():
        server.add_tool(fn, name=name, description=fn.__doc__)
    guarded = _Guarded(server.streamable_http_app(), server.session_manager, accounts)
    app.mount("/gradio_api/mcp", guarded)
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of Gradio's catch-all routes


_USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("qa_mcp_user", default=None)  # who the call is for


def _caller() -> str | None:
    return _USER.get()


class _Guarded:
    """The MCP app behind the login; starts the MCP session manager on the first request (a mounted
    app gets no lifespan of its own)."""

    def __init__(self, inner, manager, accounts):
        self.inner, self.manager, self.accounts = inner, manager, accounts
        self._started = False
        self._lock = asyncio.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        user = None
        if self.accounts is not None and self.accounts.required:
            header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            where = (scope.get("client") or ("",))[0]
            found = await anyio.to_thread.run_sync(self.accounts.from_header, header, where)
            if found is None:
                body = json.dumps({"error": "login required: send a user's HTTP Basic credentials or "
                                            "Authorization: Bearer TOKEN (`qa users token NAME`)"}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"www-authenticate", b'Basic realm="analyst-qa"')]})
                await send({"type": "http.response.body", "body": body})
                return
            user = found.name
        await self._start()
        token = _USER.set(user)
        try:
            await self.inner(scope, receive, send)
        finally:
            _USER.reset(token)

    async def _start(self) -> None:
        if self._started:
            return
        async with self._lock:
            if self._started:
                return
            ready = asyncio.Event()

            async def keep():
                async with self.manager.run():
                    ready.set()
                    await asyncio.Event().wait()  # as long as the server runs

            self._task = asyncio.get_running_loop().create_task(keep())
            await ready.wait()
            self._started = True
