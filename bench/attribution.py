"""Attribution extraction against PolNeAR (../shared/eval/polnear), the PARC metrics as BBC Citron
reports them, plus extraction speed.

    python bench/attribution.py [--split dev] [--limit N] [--json bench/results/attribution_polnear_dev.json]
    python bench/attribution.py --ingest 300 [--json bench/results/attribution_ingest.json]

``--ingest N``: ingest speed of the first N news_dai2017 articles with attribution on and off, in
one run (two fresh homes, the same embedder, passages embedded either way), and their ratio.

Per role (source, cue, content), over all relations of each article:
- exact F1: a predicted span is exact when it equals a gold span of the same role in the same article
  after trimming whitespace and edge punctuation (a discontinuous gold span counts by its extent);
- overlap F1: precision is the mean, over predicted spans, of the share of their characters covered
  by the best-matching gold span; recall the same over gold spans.
Relations without a gold source (PolNeAR's null speaker) still count for cue and content.
The data is for measuring only: it is read from ../shared and never copied or trained on.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import defaultdict

from common import SHARED, print_table, write_json

_EDGE = " \t\n.,;:!?\"'“”‘’()[]—–-―"


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end


def extent(spans) -> tuple[int, int] | None:
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)


def prf(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def score(gold: dict, pred: dict, texts: dict) -> dict:
    """``gold``/``pred``: {article_id: {role: [(start, end)]}} -> exact and overlap P/R/F1 per role."""
    out = {}
    for role in ("source", "cue", "content"):
        tp = n_pred = n_gold = 0
        cov_p, cov_r = [], []
        for aid, text in texts.items():
            g = [trim(text, *s) for s in gold.get(aid, {}).get(role, [])]
            p = [trim(text, *s) for s in pred.get(aid, {}).get(role, [])]
            g = [s for s in g if s[1] > s[0]]
            p = [s for s in p if s[1] > s[0]]
            n_pred += len(p)
            n_gold += len(g)
            gset = set(g)
            tp += sum(1 for s in set(p) if s in gset)
            for a, b in p:
                cov_p.append(max((max(0, min(b, d) - max(a, c)) for c, d in g), default=0) / (b - a))
            for c, d in g:
                cov_r.append(max((max(0, min(b, d) - max(a, c)) for a, b in p), default=0) / (d - c))
        ep, er = tp / max(n_pred, 1), min(tp, n_gold) / max(n_gold, 1)
        op, orr = sum(cov_p) / max(len(cov_p), 1), sum(cov_r) / max(len(cov_r), 1)
        out[role] = {"exact_p": round(ep, 4), "exact_r": round(er, 4), "exact_f1": round(prf(ep, er), 4),
                     "overlap_p": round(op, 4), "overlap_r": round(orr, 4), "overlap_f1": round(prf(op, orr), 4),
                     "predicted": n_pred, "gold": n_gold}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--ingest", type=int, default=None, metavar="N", help="measure ingest speed on N news_dai2017 articles")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.ingest:
        write_json(args.json, ingest_speed(args.ingest))
        return

    from corpus.text.attribution import Extractor

    d = SHARED / "eval/polnear"
    with gzip.open(d / "articles.jsonl.gz", "rt") as fh:
        arts = [a for a in map(json.loads, fh) if a.get("split") == args.split]
    arts = arts[: args.limit] if args.limit else arts
    texts = {a["id"]: a["text"] for a in arts}
    gold: dict = defaultdict(lambda: defaultdict(list))
    with gzip.open(d / "attributions.jsonl.gz", "rt") as fh:
        for r in map(json.loads, fh):
            if r["article_id"] not in texts:
                continue
            for role, key in (("source", "speaker_spans"), ("cue", "cue_spans"), ("content", "content_spans")):
                e = extent(r.get(key) or [])
                if e:
                    gold[r["article_id"]][role].append(e)
    ex = Extractor()
    ex.extract("warm", "He said it rained.")
    t = time.perf_counter()
    rels = ex.extract_many([(a["id"], a["text"], a.get("outlet", "")) for a in arts])
    seconds = time.perf_counter() - t
    pred: dict = defaultdict(lambda: defaultdict(list))
    for a, rs in zip(arts, rels, strict=True):
        for r in rs:
            if r.source:
                pred[a["id"]]["source"].append((r.source.start, r.source.end))
            pred[a["id"]]["cue"].append((r.cue.start, r.cue.end))
            pred[a["id"]]["content"].append((r.content.start, r.content.end))
    res = score(gold, pred, texts)
    chars = sum(len(x) for x in texts.values())
    result = {"split": args.split, "articles": len(arts), "gold_relations": sum(len(v["cue"]) for v in gold.values()),
              "predicted_relations": sum(len(r) for r in rels), "seconds": round(seconds, 2),
              "articles_per_s": round(len(arts) / seconds, 2), "chars_per_s": round(chars / seconds),
              "roles": res,
              "targets": {"source_exact_f1": 0.75, "source_overlap_f1": 0.85, "cue_exact_f1": 0.80, "content_overlap_f1": 0.80}}
    print_table(f"PolNeAR {args.split}: {len(arts)} articles, {result['gold_relations']} gold relations",
                {role: (v["exact_f1"], v["overlap_f1"], v["exact_p"], v["exact_r"]) for role, v in res.items()})
    print(f"(exact F1, overlap F1, exact P, exact R); {result['articles_per_s']} articles/s")
    write_json(args.json, result)


def ingest_speed(n: int) -> dict:
    import tempfile
    from itertools import islice

    from corpus import iter_articles
    from index.embed import make_embedder
    from qa import Assistant

    arts = [a for a in islice((x for x in iter_articles(SHARED / "eval/news_dai2017/articles.jsonl.gz") if hasattr(x, "text")), n)]
    emb = make_embedder()
    emb.warm_up()
    emb.embed(["warm up"])
    from corpus.text.attribution import Extractor

    Extractor().extract("warm", "He said it rained.")
    out = {"articles": len(arts)}
    with tempfile.TemporaryDirectory() as tmp:
        for on in (False, True):  # off first: the page cache and the model are warm for both
            a = Assistant(home=f"{tmp}/{'on' if on else 'off'}", index={"attribution": on}, embedder=emb)
            r = a.ingest(arts)
            out["with" if on else "without"] = {"seconds": round(r.seconds, 2), "passages": r.passages_embedded,
                                                 "attribution_seconds": round(r.attribution_seconds, 2),
                                                 "articles_per_s": round(len(arts) / r.seconds, 2)}
    out["ratio"] = round(out["without"]["seconds"] / out["with"]["seconds"], 3)
    out["target"] = 0.8
    print_table(f"ingest of {len(arts)} news_dai2017 articles", {k: v for k, v in out.items() if k != "articles"})
    return out


if __name__ == "__main__":
    main()
