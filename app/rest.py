"""``POST /api/ask``: a plain JSON endpoint on the web server, for ``curl`` users and scripts.

    curl -s http://127.0.0.1:7860/api/ask -H 'content-type: application/json' \\
         -d '{"question": "Who attacked Tel Khanzir?", "sources": ["Syria Direct"], "since": "2015-01-01"}'

Takes ``{"question", "sources", "since", "until", "as_of", "mode", "speakers", "leanings", "corroborate"}``
(only ``question`` is required) and returns ``Answer.to_dict()``; a bad request gets status 400 and
``{"error": message}``. When the server has logins (``server.auth`` or ``qa users``), the endpoint takes
a user's name and password as HTTP Basic credentials (``curl -u user:password``) or an API token
(``Authorization: Bearer TOKEN``); 401 without them, 429 past the user's questions per minute. It runs on the server's
thread pool, beside the chat and the ``/ask`` Gradio API, through the same ``ChatBackend.api_ask``.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse

from app.chat_backend import turns_of
from qa.answer.validate import MODES
from qa.errors import BadQuestion

FIELDS = {"question": str, "sources": list, "since": str, "until": str, "as_of": str, "mode": str,
          "speakers": list, "leanings": list, "corroborate": bool, "history": list}
MAX_BODY = 64 * 1024


def parse(body: bytes) -> dict[str, Any]:
    """The request's fields, checked.

    Raises:
        ValueError: the message says what is wrong (not JSON, an unknown field, a wrong type).
    """
    if len(body) > MAX_BODY:
        raise ValueError(f"request body is larger than {MAX_BODY // 1024} KB")
    try:
        data = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError('request body must be a JSON object such as {"question": "..."}')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    if "question" not in data:
        raise ValueError('"question" is required')
    for key, value in data.items():
        if value is None:
            continue
        kind = FIELDS[key]
        if key == "history":
            try:  # the chat's own reading of a history: the same shapes, the same checks
                if not isinstance(value, list):
                    raise BadQuestion("not a list")
                turns_of(value)
            except BadQuestion:
                raise ValueError('"history" must be a list of earlier turns: questions, [question, answer] pairs '
                                 'or {"question", "answer"} objects, oldest first') from None
            continue
        if not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
            raise ValueError(f'"{key}" must be {"a list of strings" if kind is list else kind.__name__}, got {value!r:.80}')
    if data.get("mode") not in (None, *MODES):
        raise ValueError(f'"mode" must be one of {", ".join(MODES)}, got {data["mode"]!r:.40}')
    return {k: v for k, v in data.items() if v is not None}


def add_routes(app, backend, accounts=None) -> None:
    """Add ``POST /api/ask`` to the server's FastAPI ``app``. With logins (``accounts.required``), a
    request carries HTTP Basic or ``Authorization: Bearer TOKEN``; each user's questions per minute
    are limited (``server.questions_per_minute``: 429 beyond it)."""

    def answer(body: bytes, authorization: str | None, where: str) -> JSONResponse:
        user = None
        if accounts is not None and accounts.required:
            found = accounts.from_header(authorization, where)
            if found is None:
                return JSONResponse({"error": "login required: send a user's name and password (curl -u user:password) "
                                              "or an API token (Authorization: Bearer TOKEN, from `qa users token NAME`)"},
                                    status_code=401, headers={"WWW-Authenticate": 'Basic realm="analyst-qa"'})
            user = found.name
            why = backend.over_limit(user)
            if why is not None:
                return JSONResponse({"error": why}, status_code=429, headers={"Retry-After": "60"})
        try:
            req = parse(body)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        out = backend.api_ask(**req, user=user)
        return JSONResponse(out, status_code=400 if set(out) == {"error"} else 200)

    async def api_ask(request: Request) -> JSONResponse:
        body = await request.body()
        where = request.client.host if request.client else ""
        # the answer is CPU work: off the event loop, on the worker threads, so questions run side by side
        return await anyio.to_thread.run_sync(answer, body, request.headers.get("authorization"), where)

    app.add_api_route("/api/ask", api_ask, methods=["POST"], include_in_schema=False)
    # first, ahead of Gradio's catch-all routes (the MCP server adds some)
    app.router.routes.insert(0, app.router.routes.pop())


__all__ = ["FIELDS", "add_routes", "parse"]
