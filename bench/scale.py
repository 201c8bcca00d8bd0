"""Scale and speed: ingest at scale, cold start, query latency, approximate vs exact search.

    python bench/scale.py [--quick] [--home DIR] [--json OUT]

Full run: every article of ../shared/eval realtimeqa (26,645), reuters21578 (19,043) and
news_dai2017 (3,824) into one home -- hours on 2 cores; it is resumable (re-run the same command
after a kill and finished batches are not embedded again). --quick: 2,000 Reuters articles.
Then: cold start (a new process, to the first answer), p50/p95 of 200 RealTimeQA dev questions with
and without rerank, and HNSW vs exact search on real passage vectors topped up with slightly
perturbed copies (sigma 0.05 per dimension before re-normalising) to 10k/100k/1M.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import numpy as np
from common import ROOT, SHARED, Timer, dir_bytes, peak_rss_mb, percentile, print_table, write_json

SOURCES = ["realtimeqa/articles.jsonl.gz", "reuters21578/articles.jsonl.gz", "news_dai2017/articles.jsonl.gz"]


def ingest(home: Path, quick: bool, reuse_vectors_from: Path | None = None) -> dict:
    from app.cli.common import ingest_with_progress
    from qa import Assistant

    a = Assistant(home=home)
    a.embedder.warm_up()
    if quick:  # the first 2,000 Reuters stories, through the same code path as `qa ingest`
        src = home.parent / f"{home.name}-quick.jsonl"
        with gzip.open(SHARED / "eval/reuters21578/articles.jsonl.gz", "rt") as fh, open(src, "w") as out:
            out.writelines(islice(fh, 2000))
        paths = [src]
    else:
        paths = [SHARED / "eval" / s for s in SOURCES]
    with Timer() as t:
        report = ingest_with_progress(a, paths, reuse_vectors_from=reuse_vectors_from)
    rss = peak_rss_mb()
    con = sqlite3.connect(a.paths.db)
    n_pass, n_art = a.snapshot().manifest.passages, a.snapshot().manifest.articles
    sample = [f"{t_}\n{p}" for t_, p in con.execute(
        "SELECT a.title, p.text FROM passages p JOIN articles a ON a.aid=p.aid WHERE p.removed IS NULL ORDER BY p.pid LIMIT 2000")]
    with Timer() as raw:
        a.embedder.embed(sample, batch_size=a.settings.embed.batch_size)
    raw_per_s = len(sample) / raw.s
    ingest_per_s = report.passages_embedded / report.embed_seconds if report.embed_seconds else float("nan")
    wall_per_s = report.passages_embedded / t.s if report.passages_embedded else float("nan")
    return {
        "articles": n_art, "passages": n_pass, "passages_embedded_this_run": report.passages_embedded,
        "vectors_borrowed_this_run": report.vectors_borrowed,
        "ingest_s": round(t.s, 1), "ingest_per_s": round(wall_per_s, 2), "embed_step_per_s": round(ingest_per_s, 2),
        "raw_encode_per_s": round(raw_per_s, 2), "ingest_vs_raw": round(wall_per_s / raw_per_s, 3) if report.passages_embedded else None,
        "peak_rss_mb": round(rss, 1), "index_bytes": dir_bytes(home),
    }


def dev_questions(n: int) -> list[str]:
    with gzip.open(SHARED / "eval/realtimeqa/questions.dev.jsonl.gz", "rt") as fh:
        return [json.loads(line)["question"] for line in islice(fh, n)]


def queries(home: Path, n: int) -> dict:
    from qa import Assistant

    qs = dev_questions(n)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "app.cli", "ask", qs[0], "--home", str(home), "--json"], cwd=ROOT,
                         capture_output=True, text=True)
    cold = time.perf_counter() - t
    assert out.returncode == 0, out.stderr[-500:]
    a = Assistant(home=home)
    a.warm_up()
    with_rr, without = [], []
    for q in qs:
        t = time.perf_counter()
        a.ask(q, rerank=False)
        without.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        a.ask(q)
        with_rr.append((time.perf_counter() - t) * 1000)
    return {"cold_start_s": round(cold, 2), "questions": len(qs),
            "p50_ms": percentile(without, 50), "p95_ms": percentile(without, 95),
            "p50_ms_rerank": percentile(with_rr, 50), "p95_ms_rerank": percentile(with_rr, 95)}


def ann(vectors: np.ndarray, queries: np.ndarray, sizes: list[int], ef_search: int = 128, m: int = 32) -> list[dict]:
    """HNSW vs exact search; ``queries`` are real question embeddings (not perturbed stored vectors)."""
    import faiss

    faiss.omp_set_num_threads(2)
    rng = np.random.default_rng(0)
    rows = []
    for size in sizes:
        reps = -(-size // len(vectors))
        parts = [vectors]
        for _ in range(reps - 1):
            noisy = vectors + rng.normal(0, 0.05, vectors.shape).astype(np.float32)
            parts.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
        data = np.vstack(parts)[:size].astype(np.float32)
        flat = faiss.IndexFlatIP(data.shape[1])
        flat.add(data)
        _, exact = flat.search(queries, 10)
        hnsw = faiss.IndexHNSWFlat(data.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 200
        with Timer() as build:
            hnsw.add(data)
        hnsw.hnsw.efSearch = ef_search
        faiss.omp_set_num_threads(1)
        lat, flat_lat, found = [], [], []
        for i, q in enumerate(queries):
            t = time.perf_counter()
            _, ids = hnsw.search(q[None], 10)
            lat.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            flat.search(q[None], 10)
            flat_lat.append((time.perf_counter() - t) * 1000)
            found.append(len(set(ids[0]) & set(exact[i])) / 10)
        faiss.omp_set_num_threads(2)
        mem = faiss.serialize_index(hnsw).nbytes
        rows.append({"vectors": size, "recall10_vs_exact": round(float(np.mean(found)), 4), "build_s": round(build.s, 1),
                     "hnsw_bytes": int(mem), "hnsw_p50_ms": percentile(lat, 50), "flat_p50_ms": percentile(flat_lat, 50)})
        print(rows[-1], flush=True)
        del hnsw, flat, data
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--vectors-from", type=Path, default=None, help="a home whose real passage vectors seed the ANN test")
    ap.add_argument("--skip-ingest", action="store_true", help="measure an index already built in --home")
    ap.add_argument("--reuse-vectors-from", type=Path, default=None,
                    help="a home of the same model whose vectors are copied instead of embedded (qa ingest --reuse-vectors-from)")
    ap.add_argument("--ann-only", action="store_true", help="only the approximate-vs-exact measurement")
    ap.add_argument("--ann-sizes", default=None, help="comma-separated vector counts (default 10k,100k[,1M])")
    ap.add_argument("--no-ann", action="store_true", help="skip the approximate-vs-exact measurement")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="qa-scale-"))
    result: dict = {}
    if not args.ann_only:
        if not args.skip_ingest:
            result.update(ingest(home, args.quick, args.reuse_vectors_from))
        else:
            result.update(describe(home))
        result.update(queries(home, 200))
        write_json(args.json, result)  # kept if the long ANN stage below is interrupted; rewritten after it
    if args.no_ann:
        print_table("scale benchmark", result)
        return
    sizes = [int(float(x)) for x in args.ann_sizes.split(",")] if args.ann_sizes else (
        [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    src = args.vectors_from or home
    con = sqlite3.connect(Path(src) / "passages.sqlite")
    # as many real vectors as the largest size needs (at least 100k); perturbed copies only beyond them
    blobs = [r[0] for r in con.execute("SELECT vec FROM vectors LIMIT ?", (max(100_000, *sizes),))]
    vecs = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
    from index.embed import make_embedder

    qvecs = make_embedder().embed(dev_questions(200))
    result["ann"] = ann(vecs, qvecs, sizes)
    result["recall10_vs_exact"] = result["ann"][-1]["recall10_vs_exact"]
    result["ann_seed_vectors"] = len(vecs)
    result["ann_queries"] = "200 RealTimeQA dev questions, embedded"
    result["quick"] = args.quick
    print_table("scale benchmark", {k: v for k, v in result.items() if k != "ann"})
    write_json(args.json, result)


def describe(home: Path) -> dict:
    from qa import Assistant

    m = Assistant(home=home).snapshot().manifest
    return {"articles": m.articles, "passages": m.passages, "index_type": m.index_type, "index_bytes": dir_bytes(home)}


if __name__ == "__main__":
    main()
