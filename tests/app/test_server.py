"""A real server, driven over HTTP with gradio_client and plain JSON requests."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request

import pytest

from tests.server import running_server


@pytest.fixture(scope="module")
def server(sample_home):
    with running_server(sample_home) as (url, port):
        yield url, port


def test_ask_api_returns_answer_dict(server):
    from gradio_client import Client

    url, _ = server
    client = Client(url, verbose=False)
    d = client.predict("How many IS fighters were reportedly killed near Kobani?", api_name="/ask")
    assert d["not_found"] is False
    assert d["citations"][0]["article_id"] == "syria-direct-2015-03-kobani-villages"
    assert any("43" in c["quote"] for c in d["citations"])
    err = client.predict("   ", api_name="/ask")
    assert err == {"error": "the question is empty"}
    filtered = client.predict("Who attacked Tel Khanzir?", ["Reuters"], None, None, api_name="/ask")
    assert filtered["not_found"] is True


def post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url + "/api/ask", data=body, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_rest_api_answers_like_the_gradio_api_and_refuses_bad_requests(server):
    url, _ = server
    status, d = post(url, json.dumps({"question": "How many IS fighters were reportedly killed near Kobani?",
                                      "since": "2015-01-01", "mode": "extractive"}).encode())
    assert status == 200 and d["not_found"] is False
    assert d["citations"][0]["article_id"] == "syria-direct-2015-03-kobani-villages"
    status, d = post(url, json.dumps({"question": "Who attacked Tel Khanzir?", "sources": ["Reuters"]}).encode())
    assert status == 200 and d["not_found"] is True
    for body, says in [(b"not json", "not JSON"), (b"[1]", "JSON object"), (b"{}", "required"),
                       (b'{"question": "x", "q": 1}', "unknown field"), (b'{"question": 5}', "must be str"),
                       (b'{"question": "x", "sources": "CNN"}', "list of strings"),
                       (b'{"question": "x", "mode": "poetry"}', "mode"), (b'{"question": "   "}', "empty"),
                       (b'{"question": "x", "since": "March"}', "since")]:
        status, d = post(url, body)
        assert status == 400 and says in d["error"], (body, d)


def test_rest_api_serves_questions_side_by_side(server):
    url, _ = server
    questions = ["Who attacked Tel Khanzir, and why?", "Which regime unit defected in Idlib?",
                 "How many IS fighters were reportedly killed near Kobani?"] * 2
    results: list = [None] * len(questions)

    def one(i: int) -> None:
        results[i] = post(url, json.dumps({"question": questions[i]}).encode())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(r is not None and r[0] == 200 and r[1]["citations"] for r in results)
    assert results[0][1]["text"] == results[3][1]["text"]  # the same question, the same answer


def listening_addresses(port: int) -> set[str]:
    """Local addresses of sockets listening on ``port`` (from /proc/net/tcp)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                found.add(addr)
    return found


def test_binds_loopback_only(server):
    _, port = server
    addrs = listening_addresses(port)
    assert addrs == {"0100007F"}  # 127.0.0.1 only, not 0.0.0.0 or another interface


def test_login_when_enabled_refuses_wrong_password(sample_home):
    with running_server(sample_home, env={"QA_SERVER_AUTH": "analyst:s3cret"}) as (url, _):
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "/config", timeout=5)
        data = b"username=analyst&password=wrong"
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(urllib.request.Request(url + "/login", data=data), timeout=5)
        assert bad.value.code in (400, 401, 403)
        ok = urllib.request.urlopen(urllib.request.Request(url + "/login", data=b"username=analyst&password=s3cret"), timeout=5)
        assert ok.status == 200
        question = json.dumps({"question": "Who attacked Tel Khanzir?"}).encode()
        status, d = post(url, question)
        assert status == 401 and "login required" in d["error"]
        wrong = {"authorization": "Basic " + base64.b64encode(b"analyst:wrong").decode()}
        assert post(url, question, wrong)[0] == 401
        right = {"authorization": "Basic " + base64.b64encode(b"analyst:s3cret").decode()}
        status, d = post(url, question, right)
        assert status == 200 and d["citations"]


def test_rest_api_reads_a_follow_up_with_its_history(server):
    url, _ = server
    status, d = post(url, json.dumps({"question": "And what did the pro-Kurdish media report?", "as_of": "2015-03-25",
                                      "history": ["What happened near Kobani?"]}).encode())
    assert status == 200 and d["not_found"] is False and d["read_as"]["from_history"] is True
    assert d["kind"] == "source_view" and all(c["attribution"]["leaning"] == "pro-Kurdish" for c in d["citations"])
    status, d = post(url, b'{"question": "x", "history": [3]}')
    assert status == 400 and "history" in d["error"]
