"""Concurrent sessions while an ingest publishes: no errors, no half-written answers."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_concurrent_sessions_during_ingest():
    out = subprocess.run([sys.executable, "bench/concurrency.py", "--clients", "8", "--seconds", "20"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "errors" in out.stdout
