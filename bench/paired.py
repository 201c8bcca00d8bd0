"""A change to the answer path measured paired: each question answered the old way and the new way.

    python bench/paired.py --home /tmp/eval/rtqa --change helper-thread [--questions 200] [--json J]
    python bench/paired.py --home /tmp/eval/rtqa --change claim-search [--json J]
    python bench/paired.py --home /tmp/eval/rtqa --change reranker-graph --old-reranker DIR [--json J]
    python bench/paired.py --home /tmp/eval/rtqa --change settings --old retrieval.rerank_depth=10 [--json J]

One warm process answers each of the first N RealTimeQA dev questions both ways, the order
alternating, with the sentence-vector cache emptied before every answer so neither way inherits the
other's vectors: machine drift cancels in the paired difference, which a run per variant on a noisy
machine does not. The answers must be the same both ways (compared without their timings).

``helper-thread``: ``index.parallel.share_work`` lets a helper thread take half of an answer's
transformer passes, the reranker's batches (one intra-op thread each) and the answer and
corroboration sentences (one a pass through the int8 copy); the old way runs them one after another
in the asking thread, the reranker's batches on two intra-op threads.
``claim-search``: corroboration searches the dense index for all its claims in one FAISS call
(``SearchBackend.dense_topk_many``); the old way, one search per claim.
``reranker-graph``: the built-in reranker's model file against an earlier one of the same weights
(``--old-reranker``: a folder with its ``model.onnx`` and ``tokenizer.json``, e.g. from
``git show REV:qa/models/reranker-minilm-int8/model.onnx``). Scores differ by float rounding, so a
few answers may differ; they are counted.
``settings``: the settings as they are against the same with ``--old GROUP.FIELD=VALUE`` changed
(a reranker of its own for the old way when a reranker setting changes). Answers differ where the
change ranks differently; they are counted.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import SHARED, percentile, write_json
from latency import overrides

STAGES = {"helper-thread": ("rerank", "sentence_encode", "corroboration/sentence_encode"),
          "claim-search": ("corroboration/dense", "(corroboration, all)"),
          "reranker-graph": ("rerank",),
          "settings": ("rerank", "(corroboration, all)")}


def one_search_a_claim(self, vectors, k):
    return [self.dense_topk(v, k) for v in vectors]


def switches(a, change: str, old_reranker: Path | None = None, old_settings: dict | None = None):
    """``set(way)`` puts the assistant's answer path in the ``old`` or ``new`` way; ``set(None)`` restores it."""
    import index.embed.onnx as onnx_encoders
    import qa.retrieval.rerank as rerank
    from index.parallel import run_each, share_work

    if change == "helper-thread":
        builtin = a.reranker
        if not isinstance(builtin, rerank.OnnxCrossEncoderReranker):
            raise SystemExit("the built-in reranker is not in use here")
        kw = {"weight": builtin.weight, "max_length": builtin._max_length}
        ways = {"old": (run_each, rerank.OnnxCrossEncoderReranker(threads=None, **kw)),
                "new": (share_work, rerank.OnnxCrossEncoderReranker(threads=1, **kw)), None: (share_work, builtin)}

        def set_way(way):
            onnx_encoders.share_work = rerank.share_work = ways[way][0]
            a.reranker = ways[way][1]
        return set_way
    if change == "reranker-graph":
        builtin = a.reranker
        if not isinstance(builtin, rerank.OnnxCrossEncoderReranker) or old_reranker is None:
            raise SystemExit("needs the built-in reranker in use and --old-reranker DIR")
        old = rerank.OnnxCrossEncoderReranker(folder=old_reranker, weight=builtin.weight, max_length=builtin._max_length)
        old.warm_up()
        rerankers = {"old": old, "new": builtin, None: builtin}

        def set_way(way):
            a.reranker = rerankers[way]
        return set_way
    if change == "settings":
        if not old_settings:
            raise SystemExit("--change settings needs --old GROUP.FIELD=VALUE")
        new = a.settings
        old = type(new).model_validate({g: v | old_settings.get(g, {}) if isinstance(v, dict) else v
                                        for g, v in new.model_dump().items()})
        rerankers = {"new": a.reranker, None: a.reranker}
        if old.retrieval.rerank_weight != new.retrieval.rerank_weight or old.retrieval.rerank_tokens != new.retrieval.rerank_tokens:
            rerankers["old"] = rerank.default_reranker(old.retrieval.rerank_weight, old.retrieval.rerank_tokens)
            rerankers["old"].warm_up()
        else:
            rerankers["old"] = a.reranker
        configs = {"old": old, "new": new, None: new}

        def set_way(way):
            a.settings, a.reranker = configs[way], rerankers[way]
        return set_way
    store = type(a.snapshot())
    batched = store.dense_topk_many

    def set_way(way):
        store.dense_topk_many = one_search_a_claim if way == "old" else batched
    return set_way


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--change", choices=sorted(STAGES), required=True)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--file", type=Path, default=SHARED / "eval/realtimeqa/questions.dev.jsonl.gz")
    ap.add_argument("--old-reranker", type=Path, default=None, help="reranker-graph: the old model's folder")
    ap.add_argument("--old", action="append", default=[], metavar="GROUP.FIELD=VALUE",
                    help="settings: what the old way changes")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from qa import Assistant
    from qa.evaluate import load_questions

    qs = load_questions(args.file, args.questions)
    a = Assistant(home=args.home)
    a.warm_up()
    a.ask(qs[0].question, as_of=qs[0].date)
    set_way = switches(a, args.change, args.old_reranker, overrides(args.old))
    caches = [o for o in vars(a).values() if hasattr(o, "__dict__") and "_sentence_cache" in vars(o)]
    ways = ("old", "new")
    walls: dict[str, list[float]] = {w: [] for w in ways}
    stages: dict[str, dict[str, list[float]]] = {w: {} for w in ways}
    differ = 0
    for i, q in enumerate(qs):
        answers = {}
        for way in ways if i % 2 else ways[::-1]:
            set_way(way)
            for o in caches:
                vars(o).pop("_sentence_cache", None)
            t = time.perf_counter()
            ans = a.ask(q.question, as_of=q.date)
            walls[way].append((time.perf_counter() - t) * 1000)
            answers[way] = json.dumps({k: v for k, v in ans.to_dict().items() if k != "timings"}, sort_keys=True, default=str)
            st = ans.timings.get("stages", {})
            st["(corroboration, all)"] = sum(v for k, v in st.items() if k.startswith("corroboration"))
            for name in STAGES[args.change]:
                stages[way].setdefault(name, []).append(st.get(name, 0.0))
        differ += answers["old"] != answers["new"]
    set_way(None)

    d = np.array(walls["old"]) - np.array(walls["new"])
    rows = {way: {"p50_ms": percentile(walls[way], 50), "p95_ms": percentile(walls[way], 95),
                  "mean_ms": round(float(np.mean(walls[way])), 1),
                  **{f"{name} p50_ms": percentile(stages[way][name], 50) for name in STAGES[args.change]},
                  **{f"{name} mean_ms": round(float(np.mean(stages[way][name])), 1) for name in STAGES[args.change]}}
            for way in ways}
    print(f"\n{args.change}: {len(qs)} questions, each answered both ways (sentence cache emptied before every answer)")
    names = list(rows["old"])
    width = max(len(n) for n in names)
    print(f"{'':<{width}}{'old':>10}{'new':>10}")
    for n in names:
        print(f"{n:<{width}}{rows['old'][n]:>10}{rows['new'][n]:>10}")
    saved = {"p50_ms": percentile(d, 50), "mean_ms": round(float(d.mean()), 1), "faster_in": int((d > 0).sum()),
             "of": len(d), "answers_that_differ": differ}
    print(f"saved an answer, paired: median {saved['p50_ms']} ms, mean {saved['mean_ms']} ms, "
          f"new faster in {saved['faster_in']} of {saved['of']}; answers that differ: {differ}")
    write_json(args.json, {"home": str(args.home), "change": args.change, "old": args.old, "questions": len(qs), "ways": rows,
                           "saved": saved})


if __name__ == "__main__":
    main()
