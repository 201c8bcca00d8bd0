"""When may the reranker be skipped? Document metrics for each ``retrieval.rerank_margin``.

    python bench/rerank_margin.py --home /tmp/eval/squad --questions ../shared/eval/squadshifts_new_wiki/questions.dev.jsonl.gz \\
        [--skip N] [--limit N] [--set GROUP.FIELD=VALUE ...] [--json OUT]

The home must hold the question set's articles (``qa eval`` builds it). Each question with gold ids
is retrieved twice with the current settings: fusion alone and always reranked (margin 0). A margin
m skips the reranker when fusion's first candidate leads the second by at least m, so each margin's
ranking is one of the two already computed: every margin is measured from the same two passes.
``--skip``/``--limit`` take a slice of the questions (choose on one part, confirm on another).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import percentile, write_json
from latency import overrides

MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="GROUP.FIELD=VALUE")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from qa import Assistant
    from qa.evaluate import DEPTH, distinct_articles, doc_metrics, load_questions
    from qa.retrieval.hybrid import confident

    qs = load_questions(args.questions)[args.skip :]
    qs = [q for q in qs[: args.limit] if q.gold]
    a = Assistant(home=args.home, **overrides(args.set))
    a.warm_up()
    rows, rerank_ms = [], []
    for q in qs:
        plain = a.retrieve(q.question, k=DEPTH, as_of=q.date, rerank=False)
        t = time.perf_counter()
        reranked = a.retrieve(q.question, k=DEPTH, as_of=q.date, rerank=True, rerank_margin=0)
        rerank_ms.append((time.perf_counter() - t) * 1000)
        rows.append((plain[:2], *(doc_metrics(distinct_articles([h.passage.article_id for h in hits]), q.gold)
                             for hits in (plain, reranked))))
    table = {}
    for m in MARGINS:
        skip = [confident(top, m) for top, _, _ in rows]  # the retriever's own test
        pick = [p if s else r for s, (_, p, r) in zip(skip, rows, strict=True)]
        table[str(m)] = {"skipped": round(float(np.mean(skip)), 4),
                         **{k: round(float(np.mean([x[k] for x in pick])), 4) for k in METRICS}}
    table["fusion only"] = {"skipped": 1.0, **{k: round(float(np.mean([p[k] for _, p, _ in rows])), 4) for k in METRICS}}
    print(f"\n{len(rows)} questions with gold ids (from #{args.skip}); retrieval with reranking p50 "
          f"{percentile(rerank_ms, 50)} ms")
    print(f"{'margin':<13}{'skipped':>9}" + "".join(f"{k:>11}" for k in METRICS))
    for m, r in table.items():
        print(f"{m:<13}{r['skipped']:>9}" + "".join(f"{r[k]:>11}" for k in METRICS))
    write_json(args.json, {"home": str(args.home), "questions_file": args.questions.name, "skip": args.skip,
                           "limit": args.limit, "questions": len(rows), "settings": overrides(args.set),
                           "retrieve_rerank_p50_ms": percentile(rerank_ms, 50), "margins": table})


if __name__ == "__main__":
    main()
