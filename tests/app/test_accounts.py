"""Accounts and roles on a shared server (``app.accounts``): stored hashes only, tokens, roles at
each door, a per-user rate limit, the user in the audit log; against a real ``qa serve``."""

from __future__ import annotations

import base64
import json
import shutil
import stat
import time

import pytest
from typer.testing import CliRunner

from app.accounts import Accounts
from app.chat_backend import ChatBackend
from app.cli import app
from qa.errors import BadQuestion
from tests.app.test_server import post
from tests.server import running_server

QUESTION = json.dumps({"question": "Who attacked Tel Khanzir?"}).encode()


def _basic(user: str, password: str) -> dict:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_the_users_file_keeps_only_hashes_and_is_the_users_own(tmp_path):
    acc = Accounts(tmp_path)
    assert not acc.required
    acc.add("bob", "reader", "correct horse")
    tok = acc.token("bob")
    text = (tmp_path / "users.json").read_text()
    assert "correct horse" not in text and tok not in text and "$argon2id$" in text
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600
    assert acc.required and acc.login("bob", "correct horse").role == "reader"
    assert acc.bearer(tok).name == "bob" and acc.bearer("qa_forged") is None
    assert acc.from_header("Bearer " + tok).name == "bob"
    assert acc.from_header(_basic("bob", "correct horse")["authorization"]).name == "bob"
    for bad in (("bob", "reader", "longenough"), ("x y", "reader", "longenough"), ("eve", "boss", "longenough"),
                ("eve", "reader", "short")):
        with pytest.raises(BadQuestion):
            acc.add(*bad)
    acc.passwd("bob", "battery staple")
    assert acc.login("bob", "correct horse") is None and acc.login("bob", "battery staple") is not None
    acc.remove("bob")
    assert acc.bearer(tok) is None and acc.role_of("bob") is None


def test_failed_logins_slow_down_and_are_logged_without_the_password(tmp_path, caplog):
    acc = Accounts(tmp_path, auth="admin:s3cretpass")
    assert acc.list()[0] == {"name": "admin", "role": "admin", "tokens": 0, "created": None, "from": "server.auth"}
    for _ in range(3):
        assert acc.login("admin", "guess-one") is None
    t = time.monotonic()
    assert acc.login("admin", "guess-two") is None
    assert time.monotonic() - t >= 0.9  # the fourth try in a row waits (0.25 s, doubled each time)
    assert "failed login for 'admin'" in caplog.text and "guess" not in caplog.text
    assert acc.login("admin", "s3cretpass").role == "admin"  # and the right one still works


def test_qa_users_on_the_command_line(tmp_path):
    home, runner = str(tmp_path / "h"), CliRunner()
    out = runner.invoke(app, ["users", "add", "eve", "--role", "editor", "--password-stdin", "--home", home],
                        input="long password\n")
    assert out.exit_code == 0 and "added eve (editor)" in out.output
    tok = runner.invoke(app, ["users", "token", "eve", "--home", home]).output.strip()
    assert tok.startswith("qa_")
    listed = json.loads(runner.invoke(app, ["users", "list", "--json", "--home", home]).output)
    assert listed[0]["name"] == "eve" and listed[0]["tokens"] == 1
    bad = runner.invoke(app, ["users", "remove", "nobody", "--home", home])
    assert bad.exit_code == 1 and bad.output.startswith("error: no user 'nobody'")


def test_only_an_editor_uploads_or_deletes(sample_copy, fresh, tmp_path):
    a = fresh()
    acc = Accounts(a.paths.home)
    acc.add("bob", "reader", "reader pass")
    acc.add("eve", "editor", "editor pass")
    backend = ChatBackend(a, accounts=acc)
    f = sample_copy / "syria-direct-2015-03-tel-khanzir.txt"
    assert "needs an editor" in backend.upload([str(f)], user="bob")
    assert "needs an editor" in backend.upload([str(f)], user=None)
    assert "Ingested" in backend.upload([str(f)], user="eve")
    assert "needs an editor" in backend.delete("syria-direct-2015-03-tel-khanzir", user="bob")
    assert backend.delete("syria-direct-2015-03-tel-khanzir", user="eve").startswith("Deleted")


def test_a_server_with_users_asks_for_a_login_at_its_api_and_limits_each_user(sample_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    (home / "audit.jsonl").unlink(missing_ok=True)
    acc = Accounts(home)
    acc.add("bob", "reader", "reader pass")
    tok = acc.token("bob")
    with running_server(home, env={"QA_SERVER_QUESTIONS_PER_MINUTE": "3"}) as (url, _):
        status, d = post(url, QUESTION)
        assert status == 401 and "qa users token" in d["error"]
        assert post(url, QUESTION, {"authorization": "Bearer qa_forged"})[0] == 401
        assert post(url, QUESTION, _basic("bob", "wrong pass"))[0] == 401
        status, d = post(url, QUESTION, {"authorization": f"Bearer {tok}"})
        assert status == 200 and d["citations"]
        assert post(url, QUESTION, _basic("bob", "reader pass"))[0] == 200
        assert post(url, QUESTION, {"authorization": f"Bearer {tok}"})[0] == 200
        status, d = post(url, QUESTION, {"authorization": f"Bearer {tok}"})
        assert status == 429 and "3 a minute per user" in d["error"]
    audit = (home / "audit.jsonl").read_text()
    assert [json.loads(line)["user"] for line in audit.splitlines()] == ["bob", "bob", "bob"]
    assert "reader pass" not in audit and tok not in audit


LOGIN_PAGE = {"", "/", "/logout", "/favicon.ico", "/theme.css", "/gradio_api/theme.css", "/robots.txt", "/manifest.json",
              "/gradio_api/user", "/gradio_api/user/", "/gradio_api/token", "/gradio_api/token/", "/gradio_api/app_id",
              "/gradio_api/app_id/", "/gradio_api/startup-events", "/gradio_api/runs", "/gradio_api/runs/"}


def _routes(routes, prefix=""):
    """Every route the app registers, with the routers it includes and the apps it mounts."""
    for r in routes:
        inc = getattr(r, "include_context", None)
        if inc is not None:
            yield from _routes(r.original_router.routes, prefix + inc.prefix)
        elif getattr(r, "routes", None) and not hasattr(r, "endpoint"):
            yield from _routes(r.routes, prefix + r.path)
        else:
            yield prefix + getattr(r, "path", ""), sorted(set(getattr(r, "methods", None) or ["GET"]) - {"HEAD", "OPTIONS"})


@pytest.fixture()
def team_server(sample_home, tmp_path, embedder):
    """A real server in this process (its routes can be listed), with a reader and an editor, MCP on."""
    from qa import Assistant
    from tests.server import free_port

    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    (home / "audit.jsonl").unlink(missing_ok=True)
    acc = Accounts(home)
    acc.add("bob", "reader", "reader pass")
    acc.add("eve", "editor", "editor pass")
    tokens = {"bob": acc.token("bob")}
    port = free_port()
    from app.web import launch

    demo = launch(Assistant(home=home, embedder=embedder, server={"port": port, "mcp": True}), block=False, quiet=True)
    yield demo, f"http://127.0.0.1:{port}", tokens, home
    demo.close()


def test_no_route_returns_data_without_a_valid_login(team_server):
    import re
    import urllib.error
    import urllib.request

    demo, url, tokens, _ = team_server
    routes = list(_routes(demo.app.routes))
    assert len(routes) > 50 and any(p == "/gradio_api/mcp" for p, _ in routes)
    leaks = []
    for headers in ({}, _basic("bob", "wrong pass"), {"authorization": "Bearer qa_forged"}):
        for path, methods in routes:
            for m in methods:
                req = urllib.request.Request(url + (re.sub(r"\{[^}]+\}", "x", path) or "/"), method=m,
                                             data=b"{}" if m in ("POST", "PUT", "PATCH") else None,
                                             headers={"content-type": "application/json", **headers})
                try:
                    with urllib.request.urlopen(req, timeout=3) as resp:
                        body = resp.read(200_000)
                except urllib.error.HTTPError as exc:
                    assert exc.code in (401, 403, 404, 405, 422), (m, path, exc.code)
                    continue
                except TimeoutError:  # a stream that sends nothing (the heartbeat of an unknown session)
                    assert "heartbeat" in path, (m, path)
                    continue
                if path not in LOGIN_PAGE or b"Khanzir" in body or b"syria-direct" in body:
                    leaks.append((m, path, body[:80]))
    assert leaks == []
    conv, *_ = demo.backend.ask("Who attacked Tel Khanzir?", None, user="eve")
    exported = demo.backend.export(conv)  # a real download's address, asked for without a login
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/gradio_api/file={exported}", timeout=5)
    assert refused.value.code == 401
    status, d = post(url, QUESTION, _basic("eve", "editor pass"))
    assert status == 200 and d["citations"]


def test_mcp_tools_work_with_a_token_and_not_without(team_server):
    import asyncio

    import httpx
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    _, url, tokens, home = team_server

    async def call(headers):
        async with httpx.AsyncClient(headers=headers, timeout=120) as http, \
                streamable_http_client(url + "/gradio_api/mcp/", http_client=http) as (read, write, _), \
                ClientSession(read, write) as session:
            await session.initialize()
            listed = {t.name for t in (await session.list_tools()).tools}
            found = await session.call_tool("search", {"query": "Kobani villages", "k": 2})
            asked = await session.call_tool("ask", {"question": "Who attacked Tel Khanzir?"})
            return listed, json.loads(found.content[0].text), json.loads(asked.content[0].text)

    listed, found, asked = asyncio.run(call({"Authorization": f"Bearer {tokens['bob']}"}))
    assert {"ask", "search", "attributions", "timeline"} <= listed
    assert len(found["passages"]) == 2 and asked["citations"]
    assert json.loads((home / "audit.jsonl").read_text().splitlines()[-1])["user"] == "bob"
    r = httpx.post(url + "/gradio_api/mcp/", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
                   headers={"accept": "application/json, text/event-stream"})
    assert r.status_code == 401 and "login required" in r.json()["error"]  # not even the schema
