"""Crash safety end to end: a few SIGKILLed ingests (bench/crash.py runs 20)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_killed_ingests_leave_a_consistent_index_and_resume():
    out = subprocess.run([sys.executable, "bench/crash.py", "--trials", "2", "--seed", "7"], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    last = out.stdout.strip().splitlines()[-1]
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert last == "survived 2/2"
