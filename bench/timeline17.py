"""Timelines against Timeline17 (../shared/eval/t17), the news-tls protocol, scored by ``tilse``.

    make bench-deps   # tilse 0.2.1 and pyrouge, without their unused heavy dependencies, in .bench-deps/
    python bench/timeline17.py --homes /tmp/eval/t17 [--topics bpoil,egypt] [--json bench/results/timeline17.json]

Each topic's articles are indexed once in its own home under ``--homes`` (reused when present).
Then, per gold timeline (news-tls, ACL 2020): only articles published inside its date range; as many
dates as it has; its average number of sentences per date (rounded); the query names the topic
(the words of news-tls' keywords). Scores: Date-F1 (``tilse.evaluation.dates``) and alignment
ROUGE-1/2 F (``evaluate_align_date_content_costs_many_to_one``, as news-tls reports AR-1/AR-2; tilse's
Python ROUGE, stemmed, without stopwords), the mean over timelines. Anchors on all of T17: DATEWISE 0.544 / 0.120 / 0.035; the days with most
articles 0.481 Date-F1. The data is for measuring only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from common import ROOT, SHARED, print_table, write_json

sys.path.insert(0, str(ROOT / ".bench-deps"))

QUERIES = {  # the topic, in the words of news-tls' keywords for T17
    "bpoil": "BP oil spill", "egypt": "Egypt protests", "finan": "financial crisis banks",
    "h1n1": "H1N1 swine flu", "haiti": "Haiti earthquake", "mj": "Michael Jackson",
}


def read(path: Path) -> list[dict]:
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--homes", type=Path, required=True)
    ap.add_argument("--topics", default=",".join(QUERIES))
    ap.add_argument("--passages", type=int, default=1000, help="passages of the query read per timeline")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    try:
        from tilse.data.timelines import GroundTruth, Timeline
        from tilse.evaluation import dates as tilse_dates
        from tilse.evaluation import rouge
    except ImportError:
        sys.exit("tilse is not installed: run `make bench-deps` first")

    from qa import Assistant
    from qa.analysis.timeline import TimelineOptions, build
    from qa.retrieval.hybrid import HybridRetriever

    # tilse's own Python ROUGE: the Perl ROUGE-1.5.5 wrapper it otherwise calls is a fork not on PyPI
    evaluator = rouge.TimelineRougeEvaluator(measures=["rouge_1", "rouge_2"], rouge_computation="reimpl")
    rows, per_topic = [], {}
    for topic in args.topics.split(","):
        d = SHARED / "eval/t17" / topic
        a = Assistant(home=args.homes / topic)
        if not a.paths.exists():
            t = time.perf_counter()
            a.ingest(d / "articles.jsonl.gz")
            print(f"{topic}: indexed in {time.perf_counter() - t:.0f} s", flush=True)
        gold: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for r in read(d / "timeline.jsonl.gz"):
            gold[r["timeline_id"]][r["date"]].extend(r["sentences"])
        scores = []
        for tl_id, days in sorted(gold.items()):
            start, end = min(days), max(days)
            n_dates = len(days)
            per_date = max(1, round(sum(len(v) for v in days.values()) / n_dates))
            t = time.perf_counter()
            out = build(HybridRetriever(a.embedder), a.snapshot(), QUERIES[topic], TimelineOptions(dates=min(n_dates, 366), per_date=per_date, passages=args.passages,
                                                           since=start, until=end, published_until=end),
                        a.settings.retrieval, a.settings.answer)
            seconds = time.perf_counter() - t
            pred = {date.fromisoformat(x["date"]): [" ".join(e["text"].split()) for e in x["events"]] for x in out["dates"]}
            ref = {date.fromisoformat(k): v for k, v in days.items()}
            if not pred:
                scores.append({"timeline": tl_id, "date_f1": 0.0, "ar1_f": 0.0, "ar2_f": 0.0, "dates": n_dates, "seconds": seconds})
                continue
            ptl, gt = Timeline(pred), GroundTruth([Timeline(ref)])
            ar = evaluator.evaluate_align_date_content_costs_many_to_one(ptl, gt)
            df = tilse_dates.evaluate_dates(ptl, gt)
            scores.append({"timeline": tl_id, "dates": n_dates, "per_date": per_date, "predicted_dates": len(pred),
                           "date_f1": round(df["f_score"], 4), "ar1_f": round(ar["rouge_1"]["f_score"], 4),
                           "ar2_f": round(ar["rouge_2"]["f_score"], 4), "seconds": round(seconds, 2)})
        rows += scores
        per_topic[topic] = {k: round(sum(s[k] for s in scores) / len(scores), 4) for k in ("date_f1", "ar1_f", "ar2_f")}
        per_topic[topic]["timelines"] = len(scores)
        print(topic, per_topic[topic], flush=True)
    mean = {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in ("date_f1", "ar1_f", "ar2_f")}
    result = {"timelines": len(rows), "mean": mean, "topics": per_topic, "per_timeline": rows,
              "passages_read": args.passages, "max_seconds": max(r["seconds"] for r in rows),
              "targets": {"date_f1": 0.55, "ar1_f": 0.12},
              "anchors": {"news_tls_datewise": {"date_f1": 0.544, "ar1_f": 0.120, "ar2_f": 0.035}, "most_articles_date_f1": 0.481}}
    print_table(f"Timeline17: {len(rows)} timelines", {**per_topic, "mean": mean})
    write_json(args.json, result)


if __name__ == "__main__":
    main()
