"""Start a real `qa serve` process on a free port for tests, and stop it by its own PID."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rest_ready(url: str) -> None:
    """``POST /api/ask`` is added just after the chat starts: wait until it answers (400 to an empty body)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url + "/api/ask", data=b"", method="POST"), timeout=5)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise OSError("POST /api/ask not ready") from None


@contextmanager
def running_server(home: Path, *, env: dict | None = None, timeout: float = 120, args: tuple[str, ...] = ()):
    port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="qa-server-log-"))  # not in the home: homes may be shared by tests
    log = open(logs / f"server-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--home", str(home), "--port", str(port), "--no-sample", *args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {(logs / f'server-{port}.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/config", timeout=2)
                _rest_ready(url)
                break
            except OSError as exc:
                if "401" in str(exc) or "403" in str(exc):
                    break
                if time.time() > deadline:
                    raise RuntimeError("server did not start in time") from None
                time.sleep(0.5)
        yield url, port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
