"""Crash safety: SIGKILL an ingest at random moments; after each kill the index must open, pass
the integrity check, and answer a fixed question set exactly as before the ingest or exactly as
after a completed one -- never a mix. Then the same ingest is re-run and must finish.

    python bench/crash.py [--trials 20] [--seed 1] [--json OUT]

Prints ``survived K/N`` last; exits 1 unless K == N.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, write_json

QUESTIONS = [
    "How many IS fighters were reportedly killed near Kobani?",
    "Who attacked Tel Khanzir, and why?",
    "Which regime unit defected in Idlib and where was it based?",
    "When did the harbour of Qarmeed reopen?",
]

CHILD = r"""
import sys, json
from pathlib import Path
from qa import Assistant
from corpus import Article, load_articles
home, mode = sys.argv[1], sys.argv[2]
a = Assistant(home=home, retrieval={"rerank": False})
a.embedder.warm_up()
if mode == "ingest":
    arts = [Article(f"h{i}", f"Harbour report {i}", " ".join(
        f"The harbour of Qarmeed reopened on day {i} after repairs to crane {j}, officials said." for j in range(25)),
        source="Harbour Wire", date="2016-01-01") for i in range(24)]
    old = {x.id: x for x in load_articles(sys.argv[3]).articles}
    k = old["syria-direct-2015-03-kobani-villages"]
    from dataclasses import replace
    arts.append(replace(k, text=k.text.replace("43 IS fighters", "47 IS fighters")))
    print("start", flush=True)
    a.ingest(arts)
    print("done", flush=True)
else:
    problems = a.check()
    out = {"problems": problems, "answers": [a.ask(q).to_dict() for q in json.loads(sys.argv[3])]}
    print(json.dumps(out), flush=True)
"""


def child(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True, **kw)


def observe(home: Path) -> dict:
    p = child([str(home), "observe", json.dumps(QUESTIONS)])
    out, _ = p.communicate(timeout=300)
    if p.returncode:
        return {"error": f"exit {p.returncode}"}
    return json.loads(out.strip().splitlines()[-1])


def run_ingest(home: Path, kill_after: float | None) -> tuple[bool, float]:
    """Run the ingest; kill it ``kill_after`` seconds after it starts working (None: let it finish)."""
    p = child([str(home), "ingest", str(ROOT / "corpus" / "articles")])
    assert p.stdout.readline().strip() == "start"
    t0 = time.time()
    if kill_after is None:
        p.communicate(timeout=900)
        return p.returncode == 0, time.time() - t0
    try:
        p.wait(timeout=kill_after)
        return True, time.time() - t0  # finished before the kill
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        return False, kill_after


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="qa-crash-"))
    base = work / "base"
    subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(ROOT / "corpus" / "articles"), "--home", str(base), "-q"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    before = observe(base)
    done_home = work / "done"
    shutil.copytree(base, done_home)
    ok, full_s = run_ingest(done_home, None)
    assert ok, "the uninterrupted ingest failed"
    after = observe(done_home)
    assert before["answers"] != after["answers"], "the ingest must change the answers for this test to mean anything"
    print(f"uninterrupted ingest: {full_s:.1f}s")

    survived, rows = 0, []
    for trial in range(args.trials):
        home = work / f"t{trial}"
        shutil.copytree(base, home)
        kill_at = rng.uniform(0.0, full_s * 1.1)
        finished, _ = run_ingest(home, kill_at)
        seen = observe(home)
        state = "before" if seen.get("answers") == before["answers"] else "after" if seen.get("answers") == after["answers"] else "MIXED"
        healthy = seen.get("problems") == [] and state != "MIXED"
        resumed_ok, _ = run_ingest(home, None)
        final = observe(home)
        resumed = resumed_ok and final.get("problems") == [] and final.get("answers") == after["answers"]
        good = healthy and resumed
        survived += good
        rows.append({"trial": trial, "kill_at_s": round(kill_at, 2), "finished_first": finished, "state": state,
                     "problems": seen.get("problems", seen.get("error")), "resumed_to_completed_state": resumed, "ok": good})
        print(f"trial {trial:2d}: kill at {kill_at:5.1f}s -> {state:6s} check={'ok' if seen.get('problems') == [] else seen.get('problems')} "
              f"resume={'ok' if resumed else 'FAILED'}", flush=True)
        shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    write_json(args.json, {"trials": args.trials, "survived": survived, "uninterrupted_s": round(full_s, 1), "rows": rows})
    print(f"survived {survived}/{args.trials}")
    sys.exit(0 if survived == args.trials else 1)


if __name__ == "__main__":
    main()
