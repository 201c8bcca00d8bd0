"""The second core for one answer: each question answered with and without the helper thread, paired.

    python bench/helper_thread.py --home /tmp/eval/rtqa [--questions 200] [--json bench/results/helper_thread.json]

``index.parallel.share_work`` lets a helper thread take half of an answer's transformer passes:
the reranker's batches (one intra-op thread each) and the answer and corroboration sentences (one
a pass through the int8 copy). "without" runs the same passes one after another in the asking
thread, the reranker's batches on two intra-op threads (how they ran before). One warm process
answers each of the first N RealTimeQA dev questions both ways, the order alternating, with the
sentence-vector cache emptied before every answer so neither way inherits the other's vectors:
machine drift cancels in the paired difference, which a run per variant on a noisy machine does not.
The answers must be the same both ways (the vectors do not depend on the thread that made them).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import SHARED, percentile, write_json


def one_thread(run, items) -> None:
    for item in items:
        run(item)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--file", type=Path, default=SHARED / "eval/realtimeqa/questions.dev.jsonl.gz")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import index.embed.onnx as onnx_encoders
    import qa.rerank as rerank
    from index.parallel import share_work
    from qa import Assistant
    from qa.evaluate import load_questions

    qs = load_questions(args.file, args.questions)
    a = Assistant(home=args.home)
    a.warm_up()
    a.ask(qs[0].question, as_of=qs[0].date)
    builtin = a._reranker
    if not isinstance(builtin, rerank.OnnxCrossEncoderReranker):
        raise SystemExit("the built-in reranker is not in use here")
    kw = {"weight": builtin.weight, "max_length": builtin._max_length}
    ways = {"without": (one_thread, rerank.OnnxCrossEncoderReranker(threads=None, **kw)),
            "with": (share_work, rerank.OnnxCrossEncoderReranker(threads=1, **kw))}
    caches = [o for o in vars(a).values() if hasattr(o, "__dict__") and "_sentence_cache" in vars(o)]
    walls: dict[str, list[float]] = {w: [] for w in ways}
    stages: dict[str, dict[str, list[float]]] = {w: {} for w in ways}
    differ = 0
    for i, q in enumerate(qs):
        texts = {}
        for way in ("without", "with") if i % 2 else ("with", "without"):
            sharing, reranker = ways[way]
            onnx_encoders.share_work = rerank.share_work = sharing
            a._reranker = reranker
            for o in caches:
                vars(o).pop("_sentence_cache", None)
            t = time.perf_counter()
            ans = a.ask(q.question, as_of=q.date)
            walls[way].append((time.perf_counter() - t) * 1000)
            texts[way] = ans.text
            for k, v in ans.timings.get("stages", {}).items():
                stages[way].setdefault(k, []).append(v)
        differ += texts["with"] != texts["without"]
    onnx_encoders.share_work = rerank.share_work = share_work
    a._reranker = builtin

    d = np.array(walls["without"]) - np.array(walls["with"])
    rows = {}
    for way in ways:
        rows[way] = {"p50_ms": percentile(walls[way], 50), "p95_ms": percentile(walls[way], 95),
                     "mean_ms": round(float(np.mean(walls[way])), 1),
                     **{f"{s}_p50_ms": percentile(stages[way].get(s, [0.0]), 50)
                        for s in ("rerank", "sentence_encode", "corroboration/sentence_encode")}}
    print(f"\n{len(qs)} questions, each answered both ways (sentence cache emptied before every answer)")
    print(f"{'':<10}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'rerank':>9}{'sentences':>11}{'corr. sent.':>13}")
    for way, r in rows.items():
        print(f"{way:<10}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['mean_ms']:>9}{r['rerank_p50_ms']:>9}"
              f"{r['sentence_encode_p50_ms']:>11}{r['corroboration/sentence_encode_p50_ms']:>13}")
    saved = {"p50_ms": percentile(d, 50), "mean_ms": round(float(d.mean()), 1), "faster_in": int((d > 0).sum()),
             "of": len(d), "answers_that_differ": differ}
    print(f"saved by the helper thread, paired: median {saved['p50_ms']} ms, mean {saved['mean_ms']} ms, "
          f"faster in {saved['faster_in']} of {saved['of']}; answers that differ: {differ}")
    write_json(args.json, {"home": str(args.home), "questions": len(qs), "ways": rows, "saved": saved})


if __name__ == "__main__":
    main()
