"""Concurrent sessions while an ingest publishes: no errors, no half-written answers."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_concurrent_sessions_during_ingest(tmp_path):
    out_file = tmp_path / "concurrency.json"
    out = subprocess.run([sys.executable, "bench/concurrency.py", "--clients", "8", "--seconds", "20", "--json", str(out_file)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    r = json.loads(out_file.read_text())
    assert r["errors"] == 0, r["first_errors"]
    assert r["requests"] >= 8 and r["ingest_during_run_ok"]
    assert r["answers_from_new_index"] > 0  # clients saw the published version, and only whole versions
    assert r["answers_from_old_index"] + r["answers_from_new_index"] == r["requests"]
