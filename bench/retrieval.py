"""Retrieval quality on real data: RealTimeQA (news) and SQuADShifts new-wiki, every variant.

    python bench/retrieval.py [--homes /tmp/qa-eval] [--json bench/results/retrieval.json] [--full]

RealTimeQA: articles.sample.jsonl.gz (3,358 articles; --full: all 26,645), document metrics on the
dev questions with gold ids and answer-recall on all dev questions. SQuADShifts: paragraphs as
articles, passage(-paragraph)-level metrics on the dev questions. Indexes are built once per home
and reused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import SHARED, print_table, write_json


def run(name: str, articles: Path, questions: Path, home: Path, gold_only: bool) -> dict:
    from qa import Assistant
    from qa.evaluate import evaluate, format_table, load_questions

    a = Assistant(home=home)
    report = a.ingest(articles)
    print(f"{name}: {report.summary()}")
    qs = load_questions(questions)
    out = {}
    gold = [q for q in qs if q.gold]
    res = evaluate(a, gold if gold_only else qs)
    print(f"\n{name} ({'gold' if gold_only else 'all'} questions)\n{format_table(res)}")
    out["gold"] = res
    if gold_only and len(gold) < len(qs):
        all_res = evaluate(a, qs, ["hybrid", "hybrid+rerank"])
        print(f"\n{name} (all {len(qs)} dev questions, answer-recall)\n{format_table(all_res)}")
        out["all"] = all_res
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--homes", type=Path, default=Path("/tmp/qa-eval"))
    ap.add_argument("--full", action="store_true", help="RealTimeQA on all 26,645 articles")
    ap.add_argument("--only", choices=["realtimeqa", "squadshifts"], default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    results = {}
    if args.only in (None, "squadshifts"):
        d = SHARED / "eval/squadshifts_new_wiki"
        results["squadshifts_new_wiki"] = run("squadshifts", d / "paragraphs.jsonl.gz", d / "questions.dev.jsonl.gz", args.homes / "squad", False)
    if args.only in (None, "realtimeqa"):
        d = SHARED / "eval/realtimeqa"
        arts = d / ("articles.jsonl.gz" if args.full else "articles.sample.jsonl.gz")
        results["realtimeqa"] = run("realtimeqa", arts, d / "questions.dev.jsonl.gz", args.homes / ("rtqa-full" if args.full else "rtqa"), True)
    print_table("done", {k: list(v) for k, v in results.items()})
    write_json(args.json, results)


if __name__ == "__main__":
    main()
