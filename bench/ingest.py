"""Ingest and query benchmark (issue: the ingest/ask spine).

Ingests ../shared/eval/news_dai2017 (3,824 real articles) into a fresh home and compares the
ingest's passages/s with raw ``SentenceTransformer.encode`` of the same passages in the same run
(target: ingest >= 0.9 x raw), then reports peak memory, index size on disk, and query latency
p50/p95 over 200 RealTimeQA dev questions (full ``ask``: retrieval, rerank, answer).

    python bench/ingest.py [--quick] [--json bench/results/ingest.json] [--home DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from common import SHARED, Timer, dir_bytes, peak_rss_mb, percentile, print_table, write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="300 articles, 50 questions")
    ap.add_argument("--articles", type=Path, default=SHARED / "eval/news_dai2017/articles.jsonl.gz")
    ap.add_argument("--questions", type=Path, default=SHARED / "eval/realtimeqa/questions.dev.jsonl.gz")
    ap.add_argument("--home", type=Path, default=None, help="index home (default: a new temporary folder)")
    ap.add_argument("--json", default=None, help="write results here")
    args = ap.parse_args()

    from corpus import iter_articles
    from qa import Assistant

    n_articles = 300 if args.quick else None
    n_questions = 50 if args.quick else 200
    home = args.home or Path(tempfile.mkdtemp(prefix="qa-bench-ingest-"))
    a = Assistant(home=home)
    a.embedder.warm_up()

    arts = []
    for item in iter_articles(args.articles):
        if hasattr(item, "text"):
            arts.append(item)
        if n_articles and len(arts) >= n_articles:
            break
    with Timer() as t_ingest:
        report = a.ingest(arts)
    rss_ingest = peak_rss_mb()
    con = sqlite3.connect(a.paths.db)
    rows = con.execute("SELECT a.title, p.text FROM passages p JOIN articles a ON a.aid = p.aid WHERE p.removed IS NULL").fetchall()
    texts = list(dict.fromkeys(f"{t}\n{p}" for t, p in rows))
    a.embedder.warm_up()
    with Timer() as t_raw:
        a.embedder.embed(texts, batch_size=a.settings.embed.batch_size)
    ingest_per_s = report.passages_embedded / t_ingest.s
    raw_per_s = len(texts) / t_raw.s

    questions = []
    with gzip.open(args.questions, "rt") as fh:
        for line in fh:
            questions.append(json.loads(line)["question"])
            if len(questions) >= n_questions:
                break
    a.ask(questions[0])
    lat, lat_norerank = [], []
    for q in questions:
        t = time.perf_counter()
        a.ask(q)
        lat.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        a.ask(q, rerank=False)
        lat_norerank.append((time.perf_counter() - t) * 1000)

    result = {
        "articles": report.added, "passages": report.passages_embedded, "ingest_s": round(t_ingest.s, 1),
        "ingest_per_s": round(ingest_per_s, 2), "raw_encode_per_s": round(raw_per_s, 2),
        "ingest_vs_raw": round(ingest_per_s / raw_per_s, 3), "peak_rss_mb": round(rss_ingest, 1),
        "index_bytes": dir_bytes(home), "questions": len(questions),
        "ask_p50_ms": percentile(lat, 50), "ask_p95_ms": percentile(lat, 95),
        "ask_p50_ms_no_rerank": percentile(lat_norerank, 50), "ask_p95_ms_no_rerank": percentile(lat_norerank, 95),
        "backend": a.embedder.backend, "chunking": a.settings.chunk.model_dump(), "quick": args.quick,
    }
    print_table("ingest benchmark", result)
    write_json(args.json, result)


if __name__ == "__main__":
    main()
