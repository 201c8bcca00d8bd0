"""A real server, driven over HTTP with gradio_client."""

from __future__ import annotations

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
