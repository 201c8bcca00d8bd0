"""Stance against FNC-1 and Emergent (../shared/eval), and the calibration of the relatedness threshold.

    python bench/stance.py [--limit N] [--json bench/results/stance_fnc1_dev.json]
    python bench/stance.py --emergent [--json bench/results/stance_emergent.json]
    python bench/stance.py --calibrate   # the RELATED threshold, from ../shared/train only

FNC-1: the official score (0.25 for related/unrelated right, 0.75 more for the right agree /
disagree / discuss, relative to the maximum), macro-F1 over the four labels, and the confusion
matrix, and the score of each half of the bodies (rules were changed looking at half A only; half B
checks that they carry over). Emergent: accuracy of for / against / observing on the article
headlines. Calibration: question–paragraph pairs of ../shared/train against the same questions with
an unrelated paragraph of the same domain, the closest in words of ``--hard`` random ones (news is
full of unrelated texts about neighbouring stories); the threshold that best separates them
(balanced accuracy). Evaluation data is never used to set it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
import zlib
from collections import Counter

from common import SHARED, print_table, write_json

LABELS = ["agree", "disagree", "discuss", "unrelated"]


def macro_f1(gold: list[str], pred: list[str], labels: list[str]) -> tuple[float, dict]:
    per = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == lab and g != lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        prec, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        per[lab] = round(0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec), 4)
    return round(sum(per.values()) / len(per), 4), per


def read(path):
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def fnc(scorer, limit: int | None) -> dict:
    from qa.analysis.stance import fnc_score, label_pairs

    pairs = read(SHARED / "eval/fnc1/stances.dev.jsonl.gz")
    if limit:
        keep = sorted({p["body_id"] for p in pairs})[:limit]  # whole bodies, so their pairs stay together
        pairs = [p for p in pairs if p["body_id"] in set(keep)]
    bodies = {str(b["id"]): b["text"] for b in read(SHARED / "eval/fnc1/bodies.jsonl.gz")}
    t = time.perf_counter()
    out = label_pairs(scorer, pairs, bodies)
    seconds = time.perf_counter() - t
    gold, pred = [p["stance"] for p in pairs], [o["stance"] for o in out]
    f1, per = macro_f1(gold, pred, LABELS)
    related_acc = sum((g == "unrelated") == (p == "unrelated") for g, p in zip(gold, pred, strict=True)) / len(gold)
    confusion = {g: dict(Counter(p for gg, p in zip(gold, pred, strict=True) if gg == g)) for g in LABELS}
    # two halves by body (crc32 parity): rules are changed looking at half A; half B checks they carry over
    halves = {h: [i for i, p in enumerate(pairs) if zlib.crc32(str(p["body_id"]).encode()) % 2 == (h == "B")] for h in "AB"}
    by_half = {h: round(fnc_score([gold[i] for i in ix], [pred[i] for i in ix]), 4) for h, ix in halves.items() if ix}
    res = {"pairs": len(pairs), "bodies": len({p["body_id"] for p in pairs}), "fnc_score": round(fnc_score(gold, pred), 4),
           "fnc_score_halves": by_half,
           "macro_f1": f1, "f1": per, "related_accuracy": round(related_acc, 4), "confusion": confusion,
           "seconds": round(seconds, 1), "pairs_per_s": round(len(pairs) / seconds, 1),
           "targets": {"fnc_score": 0.80}, "anchors": {"official_baseline": 0.752, "competition_winner": 0.8202}}
    print_table(f"FNC-1 dev: {len(pairs)} pairs", {"FNC score": res["fnc_score"], "halves A / B": by_half, "macro-F1": f1, "F1": per,
                                                   "related/unrelated accuracy": res["related_accuracy"],
                                                   "pairs/s": res["pairs_per_s"]})
    return res


def emergent(scorer) -> dict:
    rows = read(SHARED / "eval/emergent/stances.jsonl.gz")
    to = {"supports": "for", "disputes": "against", "discusses": "observing", "unrelated": "observing"}
    pred = [to[scorer.stance(r["claim"], r["body_headline"]).stance] for r in rows]
    gold = [r["stance"] for r in rows]
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    f1, per = macro_f1(gold, pred, ["for", "against", "observing"])
    paper = sum(r["stance"] == r.get("ferreira_vlachos_2016_pred") for r in rows) / len(rows)
    res = {"pairs": len(rows), "accuracy": round(acc, 4), "macro_f1": f1, "f1": per,
           "paper_system_accuracy_same_rows": round(paper, 4), "anchor": {"ferreira_vlachos_2016": 0.73}}
    print_table(f"Emergent: {len(rows)} claim / headline pairs", {"accuracy": res["accuracy"], "macro-F1": f1, "F1": per,
                                                                 "paper system, same rows": res["paper_system_accuracy_same_rows"]})
    return res


def calibrate(scorer, n: int = 1500, hard: int = 10) -> dict:
    import numpy as np

    from corpus.text.terms import content_words

    rng = random.Random(0)
    scores, labels = [], []
    for domain in ("reddit", "amazon_reviews"):
        paras = {p["id"]: p["text"] for p in read(SHARED / f"train/squadshifts_{domain}.paragraphs.jsonl.gz")}
        qs = read(SHARED / f"train/squadshifts_{domain}.questions.jsonl.gz")
        rng.shuffle(qs)
        ids = list(paras)
        cache: dict = {}
        for q in qs[: n // 2]:
            own = q["gold_doc_ids"][0]
            pool = [i for i in rng.sample(ids, max(hard, 3)) if i != own] or [ids[0]]
            if hard > 1:  # the same-topic kind of unrelated text a news corpus is full of: the pool's closest in words
                words = content_words(q["question"])
                other = max(pool[:hard], key=lambda i: len(words & content_words(paras[i])))
            else:
                other = rng.choice(pool[:3])
            for pid, lab in ((own, 1), (other, 0)):
                if pid not in cache:
                    cache[pid] = scorer.sentences(paras[pid])
                scores.append(scorer.stance(q["question"], paras[pid], sentences=cache[pid]).related)
                labels.append(lab)
    s, y = np.array(scores), np.array(labels)
    best = max(np.unique(np.round(s, 2)), key=lambda t: ((s[y == 1] >= t).mean() + (s[y == 0] < t).mean()) / 2)
    out = {"pairs": len(s), "threshold": round(float(best), 2),
           "balanced_accuracy": round(float(((s[y == 1] >= best).mean() + (s[y == 0] < best).mean()) / 2), 4),
           "related_mean": round(float(s[y == 1].mean()), 3), "unrelated_mean": round(float(s[y == 0].mean()), 3)}
    print_table("relatedness threshold from ../shared/train (question vs own / random paragraph)", out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="FNC-1: only the pairs of the first N bodies")
    ap.add_argument("--emergent", action="store_true")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--hard", type=int, default=10, help="calibration: the unrelated paragraph is the closest in words of this many random ones")
    ap.add_argument("--nli", default=None, help="an NLI CrossEncoder (hub name or folder) instead of the cue rules")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from index.embed import make_embedder
    from qa.analysis.stance import StanceScorer

    emb = make_embedder()
    emb.warm_up()
    scorer = StanceScorer(emb, nli_model=args.nli)
    if args.calibrate:
        res = calibrate(scorer, hard=args.hard)
    elif args.emergent:
        res = emergent(scorer)
    else:
        res = fnc(scorer, args.limit)
    write_json(args.json, res)


if __name__ == "__main__":
    main()
