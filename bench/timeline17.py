"""Timelines against Timeline17 (../shared/eval/t17), the news-tls protocol, scored by ``tilse``.

    make bench-deps   # tilse 0.2.1 and pyrouge, without their unused heavy dependencies, in .bench-deps/
    python bench/timeline17.py --homes /tmp/eval/t17 [--topics bpoil,egypt] [--passages default,1000] [--json bench/results/timeline17.json]

Each topic's articles are indexed once in its own home under ``--homes`` (reused when present).
Then, per gold timeline (news-tls, ACL 2020): only articles published inside its date range; as many
dates as it has; its average number of sentences per date (rounded); the query names the topic
(the words of news-tls' keywords). Scores: Date-F1 (``tilse.evaluation.dates``) and alignment
ROUGE-1/2 F (``evaluate_align_date_content_costs_many_to_one``, as news-tls reports AR-1/AR-2; tilse's
Python ROUGE, stemmed, without stopwords), the mean over timelines. Anchors on all of T17: DATEWISE 0.544 / 0.120 / 0.035; the days with most
articles 0.481 Date-F1. The data is for measuring only.

``--passages``: the reading depths compared, each a number of passages or ``default`` (what ``qa
timeline`` reads for that span and number of dates: ``qa.analysis.timeline.reading_depth``). Beside
them, on the same timelines, PUBCOUNT: the days (in the timeline's range) on which most of the
topic's articles were published, as many as the timeline has, by tilse's Date-F1.
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
    ap.add_argument("--passages", default="default", help="reading depths compared: passages read per timeline, "
                    "or 'default' (the CLI's, from the span and the number of dates), comma-separated")
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
    depths = [x.strip() for x in args.passages.split(",") if x.strip()]
    rows, per_topic = [], {}
    for topic in args.topics.split(","):
        d = SHARED / "eval/t17" / topic
        a = Assistant(home=args.homes / topic)
        if not a.paths.exists():
            t = time.perf_counter()
            a.ingest(d / "articles.jsonl.gz")
            print(f"{topic}: indexed in {time.perf_counter() - t:.0f} s", flush=True)
        published = defaultdict(int)  # articles per publication day: PUBCOUNT's counts
        for art in read(d / "articles.jsonl.gz"):
            published[art["date"]] += 1
        gold: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for r in read(d / "timeline.jsonl.gz"):
            gold[r["timeline_id"]][r["date"]].extend(r["sentences"])
        scores = []
        for tl_id, days in sorted(gold.items()):
            start, end = min(days), max(days)
            n_dates = len(days)
            per_date = max(1, round(sum(len(v) for v in days.values()) / n_dates))
            ref = {date.fromisoformat(k): v for k, v in days.items()}
            gt = GroundTruth([Timeline(ref)])
            busiest = sorted((day for day in published if start <= day <= end), key=lambda x: (-published[x], x))[:n_dates]
            row = {"timeline": tl_id, "dates": n_dates, "per_date": per_date, "span_days": (date.fromisoformat(end) - date.fromisoformat(start)).days + 1,
                   "pubcount_date_f1": round(tilse_dates.evaluate_dates(Timeline({date.fromisoformat(x): ["."] for x in busiest}), gt)["f_score"], 4)
                   if busiest else 0.0}
            for depth in depths:
                opts = TimelineOptions(dates=min(n_dates, 366), per_date=per_date, passages=None if depth == "default" else int(depth),
                                       since=start, until=end, published_until=end)
                t = time.perf_counter()
                out = build(HybridRetriever(a.embedder), a.snapshot(), QUERIES[topic], opts, a.settings.retrieval, a.settings.answer)
                seconds = time.perf_counter() - t
                pred = {date.fromisoformat(x["date"]): [" ".join(e["text"].split()) for e in x["events"]] for x in out["dates"]}
                got = {"date_f1": 0.0, "ar1_f": 0.0, "ar2_f": 0.0, "predicted_dates": len(pred), "seconds": round(seconds, 2),
                       "passages": opts.read_passages}
                if pred:
                    ptl = Timeline(pred)
                    ar = evaluator.evaluate_align_date_content_costs_many_to_one(ptl, gt)
                    got |= {"date_f1": round(tilse_dates.evaluate_dates(ptl, gt)["f_score"], 4),
                            "ar1_f": round(ar["rouge_1"]["f_score"], 4), "ar2_f": round(ar["rouge_2"]["f_score"], 4)}
                row[depth] = got
            scores.append(row)
        rows += scores
        per_topic[topic] = _summary(scores, depths)
        print(topic, per_topic[topic], flush=True)
    mean = _summary(rows, depths)
    result = {"timelines": len(rows), "mean": mean, "topics": per_topic, "per_timeline": rows, "depths": depths,
              "targets": {"date_f1_vs_pubcount": 1.25},
              "anchors": {"news_tls_datewise": {"date_f1": 0.544, "ar1_f": 0.120, "ar2_f": 0.035}, "most_articles_date_f1": 0.481}}
    table = {}
    for name, m in {**per_topic, "mean": mean}.items():
        table[name] = {"pubcount": m["pubcount_date_f1"], **{f"{dp} F1 / AR1": f"{m[dp]['date_f1']:.3f} / {m[dp]['ar1_f']:.3f}"
                                                          for dp in depths}, **{f"{dp} ×pub": m[dp]["vs_pubcount"] for dp in depths}}
    print_table(f"Timeline17: {len(rows)} timelines, Date-F1 (tilse) beside PUBCOUNT", table)
    write_json(args.json, result)


def _summary(rows: list[dict], depths: list[str]) -> dict:
    """Means over ``rows``: PUBCOUNT's Date-F1 and, per reading depth, Date-F1, AR-1/2 F, their ratio to PUBCOUNT."""
    pub = round(sum(r["pubcount_date_f1"] for r in rows) / len(rows), 4)
    out: dict = {"timelines": len(rows), "pubcount_date_f1": pub}
    for dp in depths:
        m = {k: round(sum(r[dp][k] for r in rows) / len(rows), 4) for k in ("date_f1", "ar1_f", "ar2_f", "passages")}
        m["vs_pubcount"] = round(m["date_f1"] / pub, 3) if pub else None
        m["max_seconds"] = max(r[dp]["seconds"] for r in rows)
        out[dp] = m
    return out


if __name__ == "__main__":
    main()
