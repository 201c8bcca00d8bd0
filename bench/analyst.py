"""Analyst questions (../shared/eval/analyst): is the analysis in the answer's structure, not just its words?

    python bench/analyst.py --home /tmp/eval/analyst [--json bench/results/analyst_dev.json]

The home is built (or reused) from the 3,358-article RealTimeQA sample plus the analyst gold
articles. Each question is asked as ``qa ask --json --as-of`` does. Two scores per type:

- loose: answered, and a gold string is in the answer text or a cited quote;
- strict (what counts): ``attribution``: a citation's ``attribution`` names the gold speaker;
  ``role``: a citation's attribution role or affiliation holds the gold role; ``source_view``: the
  citation quoting the answer is attributed to the named source; ``time``: the resolved date is in
  the answer; ``corroboration``: two gold reporting articles cited and, where figures differ, every
  figure shown.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import defaultdict
from pathlib import Path

from common import SHARED, percentile, print_table, write_json


def norm(s: str | None) -> str:
    s = (s or "").replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').casefold()
    s = re.sub(r"\s+", " ", s).strip(" .,")
    return re.sub(r"^(the|a|an) ", "", s)


def holds(container: str | None, needle: str | None) -> bool:
    a, b = norm(container), norm(needle)
    return bool(a and b) and (b in a or a in b and len(a) >= 4)


def names(attr: dict | None) -> list[str]:
    if not attr:
        return []
    return [x for x in (attr.get("speaker"), (attr.get("source") or {}).get("text")) if x]


def strict(q: dict, d: dict) -> bool:
    cites = d.get("citations", [])
    t = q["type"]
    if t == "attribution":
        return any(holds(n, q["speaker"]) for c in cites for n in names(c.get("attribution")))
    if t == "role":
        golds = [q.get("role"), *q["answers"]]
        return any(holds(c.get("attribution", {}) and c["attribution"].get(f), g)
                   for c in cites for f in ("role", "affiliation") for g in golds if g and c.get("attribution"))
    if t == "source_view":
        quoting = [c for c in cites if any(norm(a) in norm(c["quote"]) for a in q["answers"])]
        return any(holds(n, q["source"]) for c in quoting for n in names(c.get("attribution")))
    if t == "time":
        return bool(q.get("resolved_date")) and q["resolved_date"] in d.get("text", "")
    if t == "corroboration":
        gold = {r["article_id"] for r in q.get("reports", [])}
        cited = {c["article_id"] for c in cites}
        if len(gold & cited) < 2:
            return False
        if q.get("figures_agree") is False:
            figs = [r.get("figure") for r in q["reports"] if r.get("figure")]
            return all(norm(f) in norm(d.get("text", "")) for f in figs)
        return True
    return False


def loose(q: dict, d: dict) -> bool:
    if d.get("not_found"):
        return False
    hay = norm(d.get("text", "")) + " " + " ".join(norm(c["quote"]) for c in d.get("citations", []))
    return any(norm(a) in hay for a in q["answers"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--questions", type=Path, default=SHARED / "eval/analyst/questions.dev.jsonl.gz")
    ap.add_argument("--no-ingest", action="store_true", help="use the home as it is")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from qa import Assistant

    a = Assistant(home=args.home)
    if not args.no_ingest:
        report = a.ingest([SHARED / "eval/analyst/articles.gold.jsonl.gz", SHARED / "eval/realtimeqa/articles.sample.jsonl.gz"])
        print(report.summary())
    a.warm_up()
    with gzip.open(args.questions, "rt") as fh:
        qs = [json.loads(line) for line in fh]
    per = defaultdict(lambda: {"n": 0, "loose": 0, "strict": 0})
    ms, corr_ms, misses = [], [], []
    for q in qs:
        t = time.perf_counter()
        ans = a.ask(q["question"], as_of=q.get("as_of"))
        ms.append((time.perf_counter() - t) * 1000)
        corr_ms.append(ans.timings.get("corroborate_ms", 0.0))
        d = ans.to_dict()
        row = per[q["type"]]
        row["n"] += 1
        row["loose"] += loose(q, d)
        ok = strict(q, d)
        row["strict"] += ok
        if not ok:
            misses.append({"id": q["id"], "type": q["type"], "question": q["question"],
                           "cited": [[c["quote"][:120], {k: (c.get("attribution") or {}).get(k) for k in ("speaker", "role", "kind")}]
                                     for c in d.get("citations", [])][:3]})
    result = {"questions": len(qs), "home": str(args.home), "p50_ms": percentile(ms, 50),
              "corroborate_p50_ms": percentile(corr_ms, 50), "corroborate_p95_ms": percentile(corr_ms, 95),
              "types": {k: {**v, "loose_share": round(v["loose"] / v["n"], 3), "strict_share": round(v["strict"] / v["n"], 3)}
                        for k, v in sorted(per.items())},
              "misses": misses}
    print_table("analyst questions (strict / loose / n)", {k: (v["strict"], v["loose"], v["n"]) for k, v in sorted(per.items())})
    write_json(args.json, result)


if __name__ == "__main__":
    main()
