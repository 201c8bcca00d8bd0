"""How many candidates the built-in reranker reads, how much of each, and how much its score weighs.

    python bench/rerank_depth.py --home /tmp/eval/squad --questions ../shared/eval/squadshifts_new_wiki/questions.dev.jsonl.gz \\
        [--tokens 96,112,128] [--depths 10,12,14] [--weights 0.5,0.6,0.7] [--limit N] [--json OUT]

The home must hold the question set's articles (``qa eval`` builds it). Each question with gold ids
is retrieved once by fusion alone, as of its day. For each token budget the reranker scores the
windows (``rerank_windows``) of the first max(depths) candidates once, reading at most that many
wordpieces. Every (tokens, depth, weight) is then ranked from those scores as the retriever ranks:
skipped when fusion is confident (``retrieval.rerank_margin``), else ``blend`` of the first
``depth``, the time preference added after. So the whole grid costs one scoring pass a budget.
``rerank_ms``: the reranker's time for ``depth`` windows of that budget, p50 over the first 100
questions, every variant timed on each question in turn.

A window's score depends a little on the windows it is batched with (int8 activations are scaled
per batch), so ``qa eval`` of one setting differs from its row here by about ±0.001.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import percentile, write_json

METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10")


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--tokens", type=_ints, default=[96, 112, 128])
    ap.add_argument("--depths", type=_ints, default=[10, 12, 14])
    ap.add_argument("--weights", type=lambda t: [float(x) for x in t.split(",")], default=[0.5, 0.6, 0.7])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from qa import Assistant
    from qa.evaluate import DEPTH, distinct_articles, doc_metrics, load_questions
    from qa.retrieval.hybrid import confident
    from qa.retrieval.rerank import OnnxCrossEncoderReranker, blend, rerank_windows
    from qa.retrieval.scores import with_rerank_scores, with_time_preference
    from qa.retrieval.term_weights import TermWeights

    qs = [q for q in load_questions(args.questions, args.limit) if q.gold]
    a = Assistant(home=args.home)
    a.warm_up()
    opts = a.settings.retrieval
    terms = TermWeights(a.snapshot())
    readers = {t: OnnxCrossEncoderReranker(max_length=t) for t in args.tokens}
    deepest = max(args.depths)
    rows = []  # (gold, fused hits, {tokens: scores of the first `deepest` windows})
    ms: dict[tuple[int, int], list[float]] = {(t, d): [] for t in args.tokens for d in args.depths}
    for i, q in enumerate(qs):
        hits = a.retrieve(q.question, k=max(DEPTH, deepest), as_of=q.date, rerank=False)
        scores = {}
        for t, reader in readers.items():
            windows = rerank_windows(q.question, hits[:deepest], terms, t)
            scores[t] = reader.score(q.question, windows)
            if i < 100:
                for d in args.depths:
                    start = time.perf_counter()
                    reader.score(q.question, windows[:d])
                    ms[(t, d)].append((time.perf_counter() - start) * 1000)
        rows.append((q.gold, hits, scores))

    def ranked(hits, ce, depth: int, weight: float):
        if confident(hits, opts.rerank_margin):
            return hits
        head = hits[:depth]
        fused = np.array([h.scores["fused"] for h in head], dtype=np.float32)
        return with_time_preference(with_rerank_scores(head, blend(ce[: len(head)], fused, weight)), opts.time_boost) + hits[depth:]

    def measure(pick) -> dict:
        per = [doc_metrics(distinct_articles([h.passage.article_id for h in pick(hits, ce)][:DEPTH]), gold)
               for gold, hits, ce in rows]
        return {k: round(float(np.mean([p[k] for p in per])), 4) for k in METRICS}

    table = {"fusion only": measure(lambda hits, ce: hits)}
    for t in args.tokens:
        for d in args.depths:
            for w in args.weights:
                table[f"tokens {t} depth {d} weight {w}"] = {
                    **measure(lambda hits, ce, t=t, d=d, w=w: ranked(hits, ce[t], d, w)), "rerank_ms": percentile(ms[(t, d)], 50)}
    skipped = float(np.mean([confident(hits, opts.rerank_margin) for _, hits, _ in rows]))
    print(f"\n{len(rows)} questions with gold ids; reranker skipped for {skipped:.3f} (margin {opts.rerank_margin})")
    width = max(len(k) for k in table)
    print(f"{'':<{width}}" + "".join(f"{k:>11}" for k in (*METRICS, "rerank_ms")))
    for name, r in table.items():
        print(f"{name:<{width}}" + "".join(f"{r.get(k, ''):>11}" for k in (*METRICS, "rerank_ms")))
    write_json(args.json, {"home": str(args.home), "questions_file": args.questions.name, "questions": len(rows),
                           "rerank_margin": opts.rerank_margin, "skipped": round(skipped, 4), "variants": table})


if __name__ == "__main__":
    main()
