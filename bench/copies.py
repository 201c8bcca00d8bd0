"""Copies found at ingest (``index.copies``) on the RealTimeQA articles: how many groups, how long,
and whether they hold copies of one report and keep distinct reports apart.

    python bench/copies.py [--articles ../shared/eval/realtimeqa/articles.jsonl.gz] [--pairs 100]
                           [--json bench/results/copies.json] [--verdicts bench/results/copies_verdicts.json]

The articles are written to a passage table of their own (no embedding: grouping reads only the
articles table) and grouped by the code ingest runs (``CopyFinder.group_ungrouped``). Then two
samples are drawn (seeded): ``--pairs`` pairs of articles grouped together, and ``--pairs`` pairs of
articles on one story (the same day or the next, sharing at least half of their title words),
grouped or not. ``--show`` prints each pair's opening lines to read; the verdicts read are
kept in ``--verdicts`` (article ids and a verdict per pair, no article text) and counted here:
grouped pairs that are copies of one report (target >= 0.95), and of the same-story pairs (grouped
or not) the reading found to be distinct reports, the share kept apart (target >= 0.95).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import SHARED, print_table, write_json

from corpus.load import iter_articles
from index.copies import THRESHOLD, CopyFinder, shingles, signatures, similarity
from index.db import connect
from index.types import day_number

_WORD = re.compile(r"\w+")
STOP = set("a an the of in on at to for and or but is are was were be by with from as after over says said new its it "
           "his her their this that what how why who will can could".split())


def build(articles, path: Path) -> float:
    con = connect(path)
    with con:
        con.executemany(
            """INSERT INTO articles(id, content_hash, title, source, date, url, metadata, text, n_passages, added)
               VALUES (?,?,?,?,?,?,?,?,0,1)""",
            [(a.id, a.content_hash, a.title, a.source, a.date, a.url, "{}", a.text) for a in articles])
    t = time.time()
    CopyFinder(con).group_ungrouped()
    seconds = time.time() - t
    con.close()
    return seconds


def _title_words(t: str) -> set[str]:
    return {w for w in _WORD.findall(t.lower()) if w not in STOP and len(w) > 2}


def _day(d: str | None) -> int | None:
    n = day_number(d)
    return n if n >= 0 else None


def same_story_pairs(arts: list) -> list[tuple[str, str]]:
    """Pairs of articles a day apart at most whose titles share at least half their words (grouped or not)."""
    by_day: dict[int, list] = defaultdict(list)
    for a in arts:
        if (d := _day(a.date)) is not None:
            by_day[d].append(a)
    out = []
    for d, todays in by_day.items():
        near = todays + by_day.get(d + 1, [])
        tw = {a.id: _title_words(a.title) for a in near}
        for i, a in enumerate(todays):
            for b in near[i + 1:]:
                x, y = tw[a.id], tw[b.id]
                if len(x) >= 3 and len(y) >= 3 and len(x & y) / min(len(x), len(y)) >= 0.5:
                    out.append((a.id, b.id))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=Path, default=SHARED / "eval/realtimeqa/articles.jsonl.gz")
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", action="store_true", help="print the sampled pairs' opening lines to read")
    ap.add_argument("--verdicts", type=Path, default=None, help="the verdicts read (JSON: {grouped: {pair: verdict}, apart: ...})")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    arts = [a for a in iter_articles(args.articles) if hasattr(a, "text")]
    work = Path(tempfile.mkdtemp(prefix="qa-copies-"))
    seconds = build(arts, work / "passages.db")
    con = connect(work / "passages.db")
    aid_of = dict(con.execute("SELECT aid, id FROM articles"))
    members: dict[int, list[str]] = defaultdict(list)
    for aid, grp in con.execute("SELECT aid, grp FROM copies ORDER BY aid"):
        members[grp].append(aid_of[aid])
    groups = {g: m for g, m in members.items() if len(m) > 1}
    group_of = {i: g for g, m in groups.items() for i in m}
    by_id = {a.id: a for a in arts}

    rng = random.Random(args.seed)
    grouped = []
    for g in rng.sample(sorted(groups), min(args.pairs, len(groups))):
        a, b = rng.sample(groups[g], 2)
        grouped.append((a, b))
    story_all = same_story_pairs(arts)
    story = rng.sample(story_all, min(args.pairs, len(story_all)))
    together = lambda a, b: a in group_of and group_of.get(a) == group_of.get(b)  # noqa: E731

    def sim(a: str, b: str) -> float:
        x, y = signatures([by_id[a].text, by_id[b].text])
        return round(similarity(x, y), 3) if x is not None and y is not None else 0.0

    if args.show:
        for name, pairs in (("grouped", grouped), ("story", story)):
            for n, (a, b) in enumerate(pairs):
                sa, sb = shingles(by_id[a].text), shingles(by_id[b].text)
                inside = len(sa & sb) / max(min(len(sa), len(sb)), 1)
                print(f"\n=== {name} {n}: {a} | {b}  J~{sim(a, b)} in={inside:.2f} grouped={together(a, b)}")
                for x in (by_id[a], by_id[b]):
                    words = " ".join(x.text.split())
                    mid = len(words) // 2
                    print(f"  [{x.date}] {x.title[:90]}\n    {words[:200]} … {words[mid:mid + 160]}")
    verdicts = json.loads(args.verdicts.read_text()) if args.verdicts and args.verdicts.exists() else {}
    sizes = sorted((len(m) for m in groups.values()), reverse=True)
    out = {
        "articles": len(arts), "threshold": THRESHOLD, "group_seconds": round(seconds, 1),
        "articles_per_second": round(len(arts) / seconds, 1), "groups": len(groups),
        "articles_in_groups": sum(sizes), "largest_groups": sizes[:10],
        "same_story_pairs": len(story_all),
        "grouped_sample": [{"a": a, "b": b, "similarity": sim(a, b), "verdict": verdicts.get("grouped", {}).get(f"{a}|{b}")}
                           for a, b in grouped],
        "story_sample": [{"a": a, "b": b, "similarity": sim(a, b), "grouped": together(a, b),
                          "verdict": verdicts.get("story", {}).get(f"{a}|{b}")} for a, b in story],
    }
    read_g = [p["verdict"] for p in out["grouped_sample"] if p["verdict"]]
    read_s = [p for p in out["story_sample"] if p["verdict"]]
    out["grouped_copies_share"] = round(sum(v == "copy" for v in read_g) / len(read_g), 3) if read_g else None
    distinct = [p for p in read_s if p["verdict"] == "distinct"]
    copies = [p for p in read_s if p["verdict"] == "copy"]
    out["story_read"], out["story_distinct"], out["story_copies"] = len(read_s), len(distinct), len(copies)
    out["distinct_kept_apart_share"] = round(sum(not p["grouped"] for p in distinct) / len(distinct), 3) if distinct else None
    out["story_copies_grouped_share"] = round(sum(p["grouped"] for p in copies) / len(copies), 3) if copies else None
    print_table("copies on the RealTimeQA articles", {
        "articles": out["articles"], "grouped in": f"{seconds:.1f} s ({out['articles_per_second']} articles/s)",
        "groups of copies": f"{out['groups']} holding {out['articles_in_groups']} articles (largest {sizes[:5]})",
        "grouped pairs read as copies": f"{out['grouped_copies_share']} of {len(read_g)} (target >= 0.95)",
        "distinct reports on one story kept apart": f"{out['distinct_kept_apart_share']} of {len(distinct)} "
                                                    f"(of {len(read_s)} same-story pairs read; target >= 0.95)",
        "same-story copies grouped": f"{out['story_copies_grouped_share']} of {len(copies)}",
    })
    write_json(args.json, out)


if __name__ == "__main__":
    sys.exit(main())
