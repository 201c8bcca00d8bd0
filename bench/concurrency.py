"""Concurrent use of a real server (clients in this process, the server in its own).

Consistency (default): N chat sessions asking for S seconds on the bundled sample while an ingest
publishes a new index version in the middle. Every answer must be exactly the answer of the old
index or of the new one (never a half-written index), with no errors.

    python bench/concurrency.py [--clients 50] [--seconds 60] [--json OUT]

Load (``--home H``, e.g. the RealTimeQA sample index): RealTimeQA dev questions, each as of its day,
sent to ``POST /api/ask`` (``--via gradio``: the Gradio ``/ask`` API), in three phases of one run:

- throughput: ``--throughput-clients`` (8) closed-loop clients for ``--seconds``: answers/s;
- open loop: requests arriving at ``--rate`` (5) per second, Poisson, for ``--seconds``: latency is
  from each request's arrival, so queueing in the server counts; p50/p95 and errors;
- ``--clients`` (50) closed-loop clients for ``--seconds``: errors and p95.

    python bench/concurrency.py --home /tmp/eval/rtqa [--seconds 60] [--questions 200] [--json bench/results/serving.json]

Team (``--home H --users 5``): five accounts share ``--clients`` (50) closed-loop clients over
``POST /api/ask``, each with its user's token, under ``--per-minute`` questions per user: 0 errors
(a 429 is the limit at work, not an error), and no user answered more than the limit in any 60 s;
also the cost of a token check and of a remembered password check (ms each, over 1,000).

    python bench/concurrency.py --home /tmp/eval/rtqa --users 5 --clients 50 --seconds 60 --json bench/results/team.json

Each phase goes on from the questions the phases before asked; questions repeat only when the run
asks more than ``--questions`` (200) of them, and a repeated question finds its sentences' vectors in
the server's cache. ``--questions 3168`` (all dev questions) leaves none.
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


class Asker:
    """Sends one question to the server and records what came back."""

    def __init__(self, url: str, via: str):
        self.url, self.via = url, via
        self.lock = threading.Lock()
        self._local = threading.local()

    def __call__(self, q: dict) -> tuple[bool, str]:
        import json
        import urllib.request

        try:
            if self.via == "gradio":
                if not hasattr(self._local, "client"):
                    from gradio_client import Client

                    self._local.client = Client(self.url, verbose=False)
                d = self._local.client.predict(q["question"], None, None, None, q.get("date"), api_name="/ask")
            else:
                body = json.dumps({"question": q["question"], "as_of": q.get("date")}).encode()
                req = urllib.request.Request(self.url + "/api/ask", data=body, headers={"content-type": "application/json"})
                with urllib.request.urlopen(req, timeout=120) as r:
                    d = json.loads(r.read())
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            return False, f"{type(exc).__name__}: {str(exc)[:200]}"
        if "error" in d:
            return False, f"error answer: {d['error'][:200]}"
        return True, ""


def closed_loop(ask: Asker, questions: list[dict], clients: int, seconds: float, start: int = 0) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        j = start + i
        while time.perf_counter() < stop:
            q = questions[j % len(questions)]
            j += clients
            t = time.perf_counter()
            ok, err = ask(q)
            with lock:
                (lat if ok else errors).append((time.perf_counter() - t) * 1000 if ok else err)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "seconds": round(wall, 1), "answers": len(lat), "errors": len(errors), "first_question": start,
            "answers_per_s": round(len(lat) / wall, 2), "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
            "first_errors": errors[:3]}


def open_loop(ask: Asker, questions: list[dict], rate: float, seconds: float, seed: int = 0, start: int = 0) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(seed)
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(q: dict, due: float) -> None:
        ok, err = ask(q)
        with lock:
            (lat if ok else errors).append((time.perf_counter() - due) * 1000 if ok else err)

    t0 = time.perf_counter()
    due, i = t0, start
    with ThreadPoolExecutor(max_workers=256) as pool:
        while True:
            due += rng.expovariate(rate)
            if due > t0 + seconds:
                break
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(one, questions[i % len(questions)], due)
            i += 1
    return {"rate_per_s": rate, "seconds": seconds, "requests": i - start, "answers": len(lat), "errors": len(errors),
            "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "max_ms": percentile(lat, 100),
            "first_errors": errors[:3]}


def load(args) -> None:
    import gzip
    import json

    from common import SHARED

    from tests.server import running_server

    with gzip.open(SHARED / "eval/realtimeqa/questions.dev.jsonl.gz", "rt") as fh:
        questions = [json.loads(line) for line in fh][: args.questions]
    result: dict = {"home": str(args.home), "via": args.via, "questions": len(questions)}
    with running_server(args.home, timeout=300) as (url, _):
        ask = Asker(url, args.via)
        for q in questions[:5]:  # warm: first-use costs are the cold start's
            ask(q)
        # each phase asks questions the ones before did not (as far as --questions allows): a repeated
        # question would find its sentences' vectors in the server's cache
        result["throughput"] = closed_loop(ask, questions, args.throughput_clients, args.seconds, start=5)
        print_table("throughput (closed loop)", result["throughput"])
        asked = 5 + result["throughput"]["answers"] + result["throughput"]["errors"] + args.throughput_clients
        result["open_loop"] = open_loop(ask, questions, args.rate, args.seconds, start=asked)
        print_table("open loop (Poisson arrivals)", result["open_loop"])
        asked += result["open_loop"]["requests"]
        result["closed_loop"] = closed_loop(ask, questions, args.clients, args.seconds, start=asked)
        print_table(f"{args.clients} closed-loop clients", result["closed_loop"])
    write_json(args.json, result)
    bad = sum(result[k]["errors"] for k in ("throughput", "open_loop", "closed_loop"))
    sys.exit(1 if bad else 0)


def team(args) -> None:
    """``--users N``: N accounts share ``--clients`` closed-loop clients over ``POST /api/ask``, each
    client with its user's API token, under a limit of ``--per-minute`` questions per user."""
    import gzip
    import json
    import urllib.error
    import urllib.request

    from common import SHARED

    from app.accounts import Accounts
    from tests.server import running_server

    work = Path(tempfile.mkdtemp(prefix="qa-team-"))
    home = work / "home"
    shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("audit.jsonl", "users.json"))
    acc = Accounts(home)
    names = [f"analyst{i}" for i in range(args.users)]
    tokens = {}
    for n in names:
        acc.add(n, "reader", f"password of {n}")
        tokens[n] = acc.token(n)
    t = time.perf_counter()
    for _ in range(1000):
        acc.from_header(f"Bearer {tokens[names[0]]}")
    bearer_ms = (time.perf_counter() - t)
    acc.login(names[0], f"password of {names[0]}")  # the hash once; then remembered
    t = time.perf_counter()
    for _ in range(1000):
        acc.login(names[0], f"password of {names[0]}")
    basic_ms = (time.perf_counter() - t)
    with gzip.open(SHARED / "eval/realtimeqa/questions.dev.jsonl.gz", "rt") as fh:
        questions = [json.loads(line) for line in fh][: args.questions]
    seen: dict[str, list[tuple[float, int]]] = {n: [] for n in names}
    errors: list[str] = []
    lock = threading.Lock()
    env = {"QA_SERVER_QUESTIONS_PER_MINUTE": str(args.per_minute)}
    with running_server(home, env=env, timeout=300) as (url, _):
        stop = time.perf_counter() + args.seconds

        def client(i: int) -> None:
            name, j = names[i % len(names)], i
            while time.perf_counter() < stop:
                q = questions[j % len(questions)]
                j += args.clients
                body = json.dumps({"question": q["question"], "as_of": q.get("date")}).encode()
                req = urllib.request.Request(url + "/api/ask", data=body, headers={
                    "content-type": "application/json", "authorization": f"Bearer {tokens[name]}"})
                try:
                    with urllib.request.urlopen(req, timeout=120) as r:
                        status, d = r.status, json.loads(r.read())
                except urllib.error.HTTPError as exc:
                    status, d = exc.code, json.loads(exc.read() or b"{}")
                except Exception as exc:  # noqa: BLE001 - every failure is counted
                    status, d = 0, {"error": f"{type(exc).__name__}: {exc}"}
                with lock:
                    seen[name].append((time.perf_counter(), status))
                    if status not in (200, 429):
                        errors.append(f"{status}: {str(d.get('error'))[:200]}")
                if status == 429:
                    time.sleep(1.0)  # a polite client waits before asking again

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    audit = [json.loads(line) for line in (home / "audit.jsonl").read_text().splitlines()]
    shutil.rmtree(work, ignore_errors=True)

    def most_in_a_minute(times: list[float]) -> int:
        return max((sum(1 for u in times if t0 <= u < t0 + 60) for t0 in times), default=0)

    per_user = {n: {"answers": sum(s == 200 for _, s in v), "limited_429": sum(s == 429 for _, s in v),
                    "most_answers_in_60s": most_in_a_minute([t for t, s in v if s == 200])} for n, v in seen.items()}
    result = {"users": args.users, "clients": args.clients, "seconds": args.seconds, "per_minute": args.per_minute,
              "errors": len(errors), "first_errors": errors[:3], "per_user": per_user,
              "limit_honoured": all(u["most_answers_in_60s"] <= args.per_minute for u in per_user.values()),
              "audit_users": sorted({e.get("user") for e in audit}),
              "check_ms": {"bearer_token": round(bearer_ms, 4), "basic_remembered": round(basic_ms, 4)}}
    print_table(f"{args.users} users, {args.clients} closed-loop clients", {k: v for k, v in result.items() if k != "per_user"})
    for n, u in per_user.items():
        print(f"  {n}: {u}")
    write_json(args.json, result)
    sys.exit(0 if not errors and result["limit_honoured"] else 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", default=None)
    ap.add_argument("--home", type=Path, default=None, help="load mode: serve this home and measure throughput and latency")
    ap.add_argument("--via", choices=["rest", "gradio"], default="rest")
    ap.add_argument("--rate", type=float, default=5.0)
    ap.add_argument("--throughput-clients", type=int, default=8)
    ap.add_argument("--questions", type=int, default=200,
                    help="load mode: the first N dev questions are asked (more: fewer repeats, whose sentence vectors are cached)")
    ap.add_argument("--users", type=int, default=0, help="with --home: this many accounts share the clients (tokens, rate limit)")
    ap.add_argument("--per-minute", type=int, default=60, help="with --users: questions each user may ask a minute")
    args = ap.parse_args()
    if args.home and args.users:
        team(args)
        return
    if args.home:
        load(args)
        return

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
