"""Latency of the full default answer, stage by stage, so the budget is visible.

    python bench/latency.py --home /tmp/eval/rtqa [--questions N] [--set retrieval.rerank_depth=8 ...]
                            [--cold] [--json bench/results/latency.json]

The home is the RealTimeQA sample index (``qa ingest --home H ../shared/eval/realtimeqa/articles.sample.jsonl.gz``).
One warm process asks the first N (200) dev questions, each as of the day it was asked, with the
default pipeline (hybrid retrieval, reranking, answer composition, attribution labels,
corroboration). Per stage (exclusive wall time from ``Answer.timings``): p50 / p95 / mean over all
questions, a stage that did not run counting 0. ``--cold``: also a new ``qa ask`` process to its
first answer, three times. ``--set GROUP.FIELD=VALUE`` changes a setting for the run (compare variants).
``machine``: a fixed workload timed first (this machine's speed varies from day to day by up to 2x);
compare variants in one run, or paired as ``bench/paired.py`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, SHARED, percentile, write_json

ORDER = ["encode", "dense", "bm25", "fusion", "rerank", "sentence_encode", "attribution", "dating", "compose",
         "corroboration/encode", "corroboration/dense", "corroboration/bm25", "corroboration/fusion",
         "corroboration/sentence_encode", "corroboration/attribution", "corroboration"]


def overrides(pairs: list[str]) -> dict:
    out: dict = {}
    for p in pairs:
        key, _, value = p.partition("=")
        group, _, field = key.partition(".")
        if not field:
            raise SystemExit(f"--set wants GROUP.FIELD=VALUE, got {p!r}")
        out.setdefault(group, {})[field] = json.loads(value) if value[:1] in "0123456789-[{tfn\"" else value
    return out


def cold_start(home: Path, question: str, runs: int = 3) -> list[float]:
    env = {**os.environ, "QA_HOME": str(home)}
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "app.cli", "ask", question, "--json"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
        out.append(round(time.perf_counter() - t, 2))
        if r.returncode != 0:
            raise SystemExit(f"qa ask failed: {r.stderr[-500:]}")
    return out


def machine_reference() -> dict:
    """A fixed workload timed before the run, so runs on days of different machine speed compare:
    a pure-Python loop and a float32 matrix product (median of 7, ms)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((256, 384), dtype=np.float32), rng.standard_normal((384, 1536), dtype=np.float32)

    def python_loop():
        return sum(i * i for i in range(300_000))

    out = {}
    for name, f in (("python_loop_ms", python_loop), ("matmul_ms", lambda: a @ b)):
        ts = []
        for _ in range(7):
            t = time.perf_counter()
            f()
            ts.append((time.perf_counter() - t) * 1000)
        out[name] = round(sorted(ts)[3], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--file", type=Path, default=SHARED / "eval/realtimeqa/questions.dev.jsonl.gz")
    ap.add_argument("--set", action="append", default=[], metavar="GROUP.FIELD=VALUE")
    ap.add_argument("--cold", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from qa import Assistant
    from qa.evaluate import load_questions

    qs = load_questions(args.file, args.questions)
    machine = machine_reference()
    a = Assistant(home=args.home, **overrides(args.set))
    a.warm_up()
    a.ask(qs[0].question, as_of=qs[0].date)  # first-use costs (caches, lazy imports) are the cold start's
    walls, stages, found = [], [], 0
    for q in qs:
        t = time.perf_counter()
        ans = a.ask(q.question, as_of=q.date)
        walls.append((time.perf_counter() - t) * 1000)
        stages.append(ans.timings.get("stages", {}))
        found += bool(ans.citations)
    names = [n for n in ORDER if any(n in s for s in stages)] + sorted({n for s in stages for n in s} - set(ORDER))
    rows = {}
    for n in names:
        xs = [s.get(n, 0.0) for s in stages]
        rows[n] = {"p50_ms": percentile(xs, 50), "p95_ms": percentile(xs, 95), "mean_ms": round(sum(xs) / len(xs), 1)}
    corr = [sum(v for k, v in s.items() if k.startswith("corroboration")) for s in stages]
    rows["(corroboration, all)"] = {"p50_ms": percentile(corr, 50), "p95_ms": percentile(corr, 95),
                                    "mean_ms": round(sum(corr) / len(corr), 1)}
    rows["whole ask (wall)"] = {"p50_ms": percentile(walls, 50), "p95_ms": percentile(walls, 95),
                                "mean_ms": round(sum(walls) / len(walls), 1)}
    snap = a.snapshot().manifest
    print(f"\n{len(qs)} questions, {snap.articles} articles, {snap.passages} passages; answered {found}; "
          f"machine reference {machine}")
    print(f"{'stage':<32}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for n, r in rows.items():
        print(f"{n:<32}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['mean_ms']:>9}")
    result = {"home": str(args.home), "articles": snap.articles, "passages": snap.passages, "questions": len(qs),
              "answered": found, "settings": overrides(args.set), "machine": machine, "stages": rows,
              "p50_ms": rows["whole ask (wall)"]["p50_ms"], "p95_ms": rows["whole ask (wall)"]["p95_ms"]}
    if args.cold:
        result["cold_start_s"] = cold_start(args.home, qs[0].question)
        print(f"cold start (new `qa ask` process to its first answer): {result['cold_start_s']} s")
    write_json(args.json, result)


if __name__ == "__main__":
    main()
