"""Retrieval evaluation on question sets with gold article ids and answer strings.

Document metrics (a passage counts for its article; questions with gold ids only): Recall@1/5/10
over the top distinct articles, MRR@10, nDCG@10 (binary gain). Answer-recall@k: an answer string
occurs (case-insensitive) in one of the top-k passages (all questions with answers).
"""

from __future__ import annotations

import gzip
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.assistant import Assistant

VARIANTS: dict[str, dict] = {
    "dense": {"dense": True, "bm25": False, "rerank": False},
    "bm25": {"dense": False, "bm25": True, "rerank": False},
    "hybrid": {"dense": True, "bm25": True, "rerank": False},
    "hybrid+rerank": {"dense": True, "bm25": True, "rerank": True},
}
DEPTH = 50  # passages retrieved per question to find the top-10 distinct articles


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    gold: tuple[str, ...]
    date: str | None = None  # the day it was asked: "this week" in it is read relative to this


def read_jsonl(path: str | Path) -> list[dict]:
    """Read a JSONL file, gzipped or not."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_questions(path: str | Path, limit: int | None = None) -> list[Question]:
    out = []
    for r in read_jsonl(path):
        out.append(Question(str(r["id"]), r["question"], tuple(r.get("answers") or ()), tuple(r.get("gold_doc_ids") or ()),
                            str(r["date"]) if r.get("date") else None))
        if limit and len(out) >= limit:
            break
    return out


def doc_metrics(ranked_articles: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Metrics of one question from its ranked distinct article ids."""
    gold_set = set(gold)
    top = list(ranked_articles)[:10]
    first = next((i for i, a in enumerate(top) if a in gold_set), None)
    dcg = sum(1 / math.log2(i + 2) for i, a in enumerate(top) if a in gold_set)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold_set), 10)))
    return {
        "recall@1": float(first is not None and first < 1),
        "recall@5": float(first is not None and first < 5),
        "recall@10": float(first is not None),
        "mrr@10": 0.0 if first is None else 1 / (first + 1),
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


def answer_hit(passages: Sequence[str], answers: Sequence[str], k: int) -> float:
    low = [p.lower() for p in passages[:k]]
    return float(any(a.lower() in p for a in answers if a.strip() for p in low))


def distinct_articles(article_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(article_ids))


def evaluate(
    assistant: Assistant,
    questions: Sequence[Question],
    variants: Sequence[str] = tuple(VARIANTS),
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Run every variant over the questions on the assistant's index; returns the metrics."""
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    snap = assistant.snapshot()
    result = {"articles": snap.manifest.articles, "passages": snap.manifest.passages, "questions": len(questions), "variants": {}}
    assistant.embedder.embed_query("warm up")
    for name in variants:
        opts = dict(VARIANTS[name])
        doc_rows, ans5, ans10, lat = [], [], [], []
        for i, q in enumerate(questions):
            t = time.perf_counter()
            hits = assistant.retrieve(q.question, k=DEPTH, as_of=q.date, **opts)
            lat.append((time.perf_counter() - t) * 1000)
            if q.gold:
                doc_rows.append(doc_metrics(distinct_articles([h.passage.article_id for h in hits]), q.gold))
            if q.answers:
                texts = [h.passage.text for h in hits]
                ans5.append(answer_hit(texts, q.answers, 5))
                ans10.append(answer_hit(texts, q.answers, 10))
            if progress:
                progress(name, i + 1, len(questions))
        row = {key: _mean([r[key] for r in doc_rows]) for key in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")}
        row.update({
            "answer_recall@5": _mean(ans5), "answer_recall@10": _mean(ans10),
            "p50_ms": round(float(np.percentile(lat, 50)), 1) if lat else None,
            "p95_ms": round(float(np.percentile(lat, 95)), 1) if lat else None,
            "gold_questions": len(doc_rows), "answer_questions": len(ans5),
        })
        result["variants"][name] = row
    return result


def _mean(xs: list[float]) -> float | None:
    return round(float(np.mean(xs)), 4) if xs else None


def format_table(result: dict) -> str:
    cols = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "answer_recall@5", "answer_recall@10", "p50_ms", "p95_ms"]
    head = f"{'variant':<15}" + "".join(f"{c:>17}" for c in cols)
    lines = [
        f"articles {result['articles']}, passages {result['passages']}, questions {result['questions']}",
        head,
        "-" * len(head),
    ]
    for name, row in result["variants"].items():
        cells = "".join(f"{'-' if row[c] is None else row[c]:>17}" for c in cols)
        lines.append(f"{name:<15}{cells}")
    return "\n".join(lines)
