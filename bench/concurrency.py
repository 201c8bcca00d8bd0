"""Concurrent use: N chat sessions asking for S seconds against a real server, while an ingest
publishes a new index version in the middle. Every answer must be exactly the answer of the old
index or of the new one (never a half-written index), with no errors.

    python bench/concurrency.py [--clients 50] [--seconds 60] [--json OUT]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, percentile, print_table, write_json

sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "How many IS fighters were reportedly killed near Kobani?",
    "Who attacked Tel Khanzir, and why?",
    "Which regime unit defected in Idlib and where was it based?",
]
UPDATE = """---
id: syria-direct-2015-03-kobani-villages
title: "YPG clashes with IS in four villages southeast of Kobani"
source: Syria Direct
date: 2015-03-25
---
{body}
"""


def expected(home: Path) -> dict[str, dict]:
    from qa import Assistant

    a = Assistant(home=home)
    return {q: a.ask(q).to_dict() for q in QUESTIONS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from gradio_client import Client

    from corpus import load_articles
    from tests.server import running_server

    work = Path(tempfile.mkdtemp(prefix="qa-conc-"))
    home, after_home = work / "home", work / "after"
    subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(ROOT / "corpus/articles"), "--home", str(home), "-q"], cwd=ROOT, check=True)
    kobani = {a.id: a for a in load_articles(ROOT / "corpus/articles").articles}["syria-direct-2015-03-kobani-villages"]
    update = work / "update" / "kobani.txt"
    update.parent.mkdir()
    update.write_text(UPDATE.format(body=kobani.text.replace("43 IS fighters", "47 IS fighters")))
    shutil.copytree(home, after_home)
    subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(update), "--home", str(after_home), "-q"], cwd=ROOT, check=True)
    valid = {q: [a, b] for q, (a, b) in zip(QUESTIONS, zip(expected(home).values(), expected(after_home).values(), strict=True), strict=True)}
    assert any(v[0] != v[1] for v in valid.values())

    latencies: list[float] = []
    errors: list[str] = []
    states = {"old": 0, "new": 0}
    lock = threading.Lock()
    with running_server(home) as (url, _):
        start = time.time()
        deadline = {"stop": float("inf")}  # set once the ingest has finished

        def session(i: int) -> None:
            rng = random.Random(i)
            try:
                client = Client(url, verbose=False)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(f"connect: {exc}")
                return
            while time.time() < deadline["stop"]:
                q = rng.choice(QUESTIONS)
                t = time.perf_counter()
                try:
                    d = client.predict(q, api_name="/ask")
                except Exception as exc:  # noqa: BLE001
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                dt = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(dt)
                    if d == valid[q][0]:
                        states["old"] += 1
                    elif d == valid[q][1]:
                        states["new"] += 1
                    else:
                        errors.append(f"inconsistent answer to {q!r}: {str(d)[:200]}")

        threads = [threading.Thread(target=session, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 4)
        ing = subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(update), "--home", str(home), "-q"], cwd=ROOT,
                             capture_output=True, text=True)
        ingest_ok = ing.returncode == 0
        deadline["stop"] = max(start + args.seconds, time.time() + max(15.0, args.seconds / 4))  # keep asking the new version
        for t in threads:
            t.join()
    shutil.rmtree(work, ignore_errors=True)
    result = {
        "clients": args.clients, "seconds": args.seconds, "requests": len(latencies), "errors": len(errors),
        "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "answers_from_old_index": states["old"], "answers_from_new_index": states["new"],
        "ingest_during_run_ok": ingest_ok, "first_errors": errors[:5],
    }
    print_table("concurrency benchmark", result)
    write_json(args.json, result)
    sys.exit(0 if not errors and ingest_ok and states["new"] > 0 else 1)


if __name__ == "__main__":
    main()
