"""Watched folders: how soon a dropped file is answerable and a deleted one gone, and SIGKILL
during a watched update.

    python bench/watch.py [--trials 10] [--kills 10] [--seed 1] [--json OUT]

Latency: a Keeper (``qa.sync.keeper``, as in ``qa serve --watch``) watches a folder holding the
bundled sample; a file with a fact no other article has is dropped in, and the same assistant asks
about it until the answer cites it; then the file is deleted and it asks until no citation is from
it. Target: both within 10 s.

``--base-home H`` measures the same on a copy of the home ``H`` (a bigger index) instead.

Kills: ``qa watch`` runs on a copy of that home; one update (24 new articles in a JSONL file, one
article changed, one file deleted) is made at once, and the process is SIGKILLed at a random moment
of its update. The index must then pass its check and answer the questions of ``bench/crash.py``
exactly as before the update or exactly as after a completed one, and a restarted sync must bring
it to the completed state.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, print_table, write_json
from crash import QUESTIONS, observe

FACT = ("Zarqa bridge {i} reopens\n\nThe Zarqa bridge number {i} over the Khabur river reopened on Tuesday after "
        "{w} weeks of repairs, the local council of Tal Tamr said. Traffic resumed at noon.")
SYNC = ("import sys; from qa import Assistant; from qa.sync.folders import WatchedFolders; "
        "print(WatchedFolders(Assistant(home=sys.argv[1]), [sys.argv[2]]).sync().line())")


def latency(work: Path, trials: int, base: Path | None = None) -> dict:
    from qa import Assistant
    from qa.sync.keeper import Keeper

    folder, home = work / "lat-folder", work / "lat-home"
    shutil.copytree(ROOT / "corpus" / "articles", folder)
    if base is not None:  # a bigger index: a copy of it, with the sample folder watched on top
        shutil.copytree(base, home)
        (home / "audit.jsonl").unlink(missing_ok=True)
    a = Assistant(home=home)
    keeper = Keeper(a, [folder]).start()
    while keeper.syncs < 1:
        time.sleep(0.1)
    a.warm_up()
    cites = lambda q, aid: any(c.article_id == aid for c in a.ask(q).citations)  # noqa: E731
    cites("warm up the answer path", "none")
    drops, gones = [], []
    for i in range(trials):
        q, aid = f"When did the Zarqa bridge number {i} reopen?", f"bridge-{i}"
        f = folder / f"{aid}.txt"
        f.write_text(FACT.format(i=i, w=i + 2), encoding="utf-8")
        t0 = time.time()
        while not cites(q, aid):
            time.sleep(0.05)
        drops.append(time.time() - t0)
        f.unlink()
        t0 = time.time()
        while cites(q, aid):
            time.sleep(0.05)
        gones.append(time.time() - t0)
        print(f"trial {i}: answerable after {drops[-1]:.2f}s, gone after {gones[-1]:.2f}s", flush=True)
    keeper.stop()
    return {"trials": trials, "dropped_to_answerable_s": [round(x, 2) for x in drops],
            "deleted_to_gone_s": [round(x, 2) for x in gones],
            "answerable_p50_s": round(statistics.median(drops), 2), "answerable_max_s": round(max(drops), 2),
            "gone_p50_s": round(statistics.median(gones), 2), "gone_max_s": round(max(gones), 2),
            "articles": a.stats()["articles"]}


def _update(folder: Path) -> None:
    """One watched update, made at once: 24 new articles, one changed, one deleted."""
    rows = [{"id": f"h{i}", "title": f"Harbour report {i}", "source": "Harbour Wire", "date": "2016-01-01",
             "text": " ".join(f"The harbour of Qarmeed reopened on day {i} after repairs to crane {j}, officials said."
                              for j in range(25))} for i in range(24)]
    tmp = folder.parent / f".{folder.name}-harbour.jsonl"
    tmp.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    kobani = folder / "syria-direct-2015-03-kobani-villages.txt"
    changed = folder.parent / f".{folder.name}-kobani.txt"
    changed.write_text(kobani.read_text(encoding="utf-8").replace("43 IS fighters", "47 IS fighters"), encoding="utf-8")
    os.replace(tmp, folder / "harbour.jsonl")
    os.replace(changed, kobani)
    (folder / "syria-direct-2015-03-idlib-defection.txt").unlink()


def _copy(base_home: Path, base_folder: Path, home: Path, folder: Path) -> None:
    shutil.copytree(base_home, home)
    shutil.copytree(base_folder, folder)
    rec = home / "watched.json"
    rec.write_text(rec.read_text(encoding="utf-8").replace(str(base_folder.resolve()), str(folder.resolve())), encoding="utf-8")


def _watch(home: Path, folder: Path) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-m", "app.cli", "watch", str(folder), "--home", str(home), "-q"], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert p.stderr.readline().startswith("watching")
    time.sleep(2.0)  # the first sync (nothing changed) is done
    return p


def _updates(home: Path) -> int:
    f = home / "activity.jsonl"
    return len(f.read_text(encoding="utf-8").splitlines()) if f.exists() else 0


def kills(work: Path, trials: int, rng: random.Random) -> dict:
    base_home, base_folder = work / "base-home", work / "base-folder"
    shutil.copytree(ROOT / "corpus" / "articles", base_folder)
    subprocess.run([sys.executable, "-c", SYNC, str(base_home), str(base_folder)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    before = observe(base_home)
    home, folder = work / "done-home", work / "done-folder"
    _copy(base_home, base_folder, home, folder)
    p = _watch(home, folder)
    n = _updates(home)
    _update(folder)
    t0 = time.time()
    while _updates(home) == n:
        time.sleep(0.05)
    full = time.time() - t0
    p.terminate()  # SIGTERM: qa watch stops as on Ctrl-C (which a background process may not receive)
    p.wait(60)
    after = observe(home)
    assert before["answers"] != after["answers"], "the update must change the answers for this test to mean anything"
    print(f"uninterrupted watched update: {full:.1f}s")
    rows, survived = [], 0
    for t in range(trials):
        home, folder = work / f"k{t}-home", work / f"k{t}-folder"
        _copy(base_home, base_folder, home, folder)
        p = _watch(home, folder)
        kill_at = rng.uniform(0.0, full * 1.1)
        _update(folder)
        time.sleep(kill_at)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        seen = observe(home)
        state = ("before" if seen.get("answers") == before["answers"] else
                 "after" if seen.get("answers") == after["answers"] else "MIXED")
        healthy = seen.get("problems") == [] and state != "MIXED"
        subprocess.run([sys.executable, "-c", SYNC, str(home), str(folder)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        final = observe(home)
        resumed = final.get("problems") == [] and final.get("answers") == after["answers"]
        survived += healthy and resumed
        rows.append({"trial": t, "kill_at_s": round(kill_at, 2), "state": state, "problems": seen.get("problems", seen.get("error")),
                     "resumed_to_completed_state": resumed, "ok": healthy and resumed})
        print(f"kill {t:2d} at {kill_at:5.1f}s -> {state:6s} check={'ok' if seen.get('problems') == [] else seen.get('problems')} "
              f"resume={'ok' if resumed else 'FAILED'}", flush=True)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
    return {"trials": trials, "survived": survived, "uninterrupted_update_s": round(full, 1), "rows": rows,
            "questions": QUESTIONS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None)
    ap.add_argument("--base-home", type=Path, default=None, help="measure the latency on a copy of this home")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qa-watch-"))
    try:
        lat = latency(work, args.trials, args.base_home)
        k = kills(work, args.kills, random.Random(args.seed)) if args.kills else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(f"watched folder ({lat['articles']} articles)", {
        "dropped file answerable p50 / max": f"{lat['answerable_p50_s']} / {lat['answerable_max_s']} s (target <= 10)",
        "deleted file gone p50 / max": f"{lat['gone_p50_s']} / {lat['gone_max_s']} s (target <= 10)",
        **({"SIGKILL during a watched update": f"survived {k['survived']}/{k['trials']} "
            f"(uninterrupted update {k['uninterrupted_update_s']} s)"} if k else {}),
    })
    write_json(args.json, {"latency": lat, "kills": k})
    sys.exit(0 if (k is None or k["survived"] == k["trials"]) and lat["answerable_max_s"] <= 10 and lat["gone_max_s"] <= 10 else 1)


if __name__ == "__main__":
    main()
