"""Dates and figures: the hand-written readers against well-kept parsers, on the dev sets.

    make bench-deps   # quantulum3 (and its inflect, num2words) in .bench-deps/; dateparser ships with the package
    python bench/parsers.py [--json bench/results/parsers.json]

Dates (``qa.analysis.event_dates.date_sentence`` against ``dateparser.search.search_dates`` with the
article's publication day as its base, preferring past dates as news does): on the analyst dev time
questions (../shared/eval/analyst), is the gold resolved day among the days read from the gold
evidence sentences?

Figures (``corpus.text.figures.figures`` against ``quantulum3.parser.parse``), on the analyst dev
corroboration reports (each a gold figure in its evidence sentence):

- value: a figure of the gold figure's value is read from the sentence;
- counted: what it counts is named (a unit that is a word of the gold figure: "19 children" →
  children; a currency; quantulum3's unit when it is not "dimensionless");
- pairs: every two reports of one question from different articles whose gold figures differ:
  are the two gold figures flagged as conflicting (same unit, other value)? And whose gold
  figures agree: is any conflict flagged between their sentences (a false one)?

And on every sentence of the 217 analyst gold articles that holds a figure: the share of figures
whose counted word spaCy tags as a noun in that sentence ("past 5,000 after a devastating …" read
as 5,000 "devastating" is an error), and quantulum3's share with a unit other than "dimensionless".
The data is for measuring only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from datetime import date, datetime
from itertools import combinations

from common import ROOT, SHARED, print_table, write_json

sys.path.insert(0, str(ROOT / ".bench-deps"))

_SCALE = {"million": 1e6, "billion": 1e9, "thousand": 1e3, "trillion": 1e12}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def read(path) -> list[dict]:
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def gold_value(figure: str) -> float | None:
    """The leading number of a gold figure string ("more than $49 million" → 49e6), read plainly."""
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(million|billion|thousand|trillion)?", figure, re.I)
    if m:
        return float(m.group(1).replace(",", "")) * _SCALE.get((m.group(2) or "").lower(), 1)
    w = re.search(r"\b(" + "|".join(_WORDS) + r")\b", figure, re.I)
    return float(_WORDS[w.group(1).lower()]) if w else None


def hand_figures(sentence: str) -> list[tuple[float, str]]:
    from corpus.text.figures import figures

    return [(f.value, f.unit) for f in figures(sentence)]


def q3_figures(sentence: str) -> list[tuple[float, str]]:
    parser = _quantulum()
    return [(float(q.value), q.unit.name) for q in parser.parse(sentence)]


_CURRENCY = {"dollars", "pounds", "euros", "dollar", "pound sterling", "euro"}


def counted(unit: str, figure: str) -> bool:
    if unit in _CURRENCY:
        return True
    words = {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]+", figure)}
    return unit.rstrip("s") in words or (unit == "killed" and bool(words & {"dead", "killed", "death", "people", "child", "children"}))


def figures_on_reports(questions: list[dict], read_fig) -> dict:
    value = named = n = 0
    pairs = {"differ": [0, 0], "agree": [0, 0]}  # [flagged, total]
    for q in questions:
        reps = [r for r in q.get("reports", []) if r.get("figure")]
        for r in reps:
            g = gold_value(r["figure"])
            found = [(v, u) for s in r["evidence"] for v, u in read_fig(s)]
            n += 1
            hit = [(v, u) for v, u in found if g is not None and abs(v - g) < 1e-6 * max(1, g)]
            value += bool(hit)
            named += any(counted(u, r["figure"]) or u not in ("dimensionless", None) and u in _CURRENCY | {"year"} for _, u in hit)
        for a, b in combinations(reps, 2):
            if a["article_id"] == b["article_id"]:
                continue
            ga, gb = gold_value(a["figure"]), gold_value(b["figure"])
            if ga is None or gb is None:
                continue
            fa = [x for s in a["evidence"] for x in read_fig(s)]
            fb = [x for s in b["evidence"] for x in read_fig(s)]
            key = "differ" if ga != gb else "agree"
            if key == "differ":  # the gold figures themselves are told apart: same unit, other value
                fa = [x for x in fa if abs(x[0] - ga) < 1e-6 * max(1, ga)]
                fb = [x for x in fb if abs(x[0] - gb) < 1e-6 * max(1, gb)]
            # agreeing reports: any conflict flagged between their sentences is a false one
            flagged = any(ua == ub and va != vb for va, ua in fa for vb, ub in fb)
            pairs[key][0] += flagged
            pairs[key][1] += 1
    return {"reports": n, "value": round(value / n, 3), "counted": round(named / n, 3),
            "differing_pairs_flagged": f"{pairs['differ'][0]}/{pairs['differ'][1]}",
            "agreeing_pairs_flagged": f"{pairs['agree'][0]}/{pairs['agree'][1]}"}


def noun_units(sentences: list[str]) -> dict:
    """Of the figures the hand reader finds in ``sentences``, the share whose counted word (its first
    word after the number that names it) spaCy tags as a noun; quantulum3's share with a unit."""
    from corpus.text.figures import figures
    from corpus.text.nlp import annotate, parser

    nlp = parser()
    total = nouns = 0
    bad: list[str] = []
    q3_total = q3_units = 0
    q3 = _quantulum()
    for s in sentences:
        figs = [f for f in figures(s) if f.unit not in ("percent", "dollars", "pounds", "euros", "killed", "injured", "held", "votes", "magnitude")]
        if q3 is not None:
            qs = q3.parse(s)
            q3_total += len(qs)
            q3_units += sum(q.unit.name != "dimensionless" for q in qs)
        if not figs:
            continue
        doc = annotate(nlp(s))
        for f in figs:
            tok = next((t for t in doc if t.idx >= f.start + len(f.text.split()[0]) and t.lower_.startswith(f.unit[:4])), None)
            total += 1
            if tok is not None and tok.pos_ in ("NOUN", "PROPN"):
                nouns += 1
            elif len(bad) < 15:
                bad.append(f"{f.text!r} → {f.unit}")
    return {"figures": total, "unit_is_noun": round(nouns / max(total, 1), 3), "examples_not_noun": bad,
            "quantulum3_quantities": q3_total, "quantulum3_with_unit": round(q3_units / max(q3_total, 1), 3) if q3 else None}


def _quantulum():
    try:
        from quantulum3 import classifier, parser

        # its unit classifier is a scikit-learn pickle that newer scikit-learn cannot load: the
        # package's own rules resolve ambiguous units instead
        classifier.USE_CLF = False
        return parser
    except ImportError:
        return None


def dates_on_time_questions(questions: list[dict], pub: dict[str, str]) -> dict:
    from qa.analysis.event_dates import date_sentence

    try:
        from dateparser.search import search_dates
    except ImportError:
        search_dates = None
    hand = dp = 0
    rows = []
    t_hand = t_dp = 0.0
    for q in questions:
        day = (pub.get(q["gold_doc_ids"][0]) or q["as_of"]).replace("/", "-")[:10]
        t = time.perf_counter()
        got = {d.date for s in q["evidence"] if (d := date_sentence(s, day)).dated_by in ("explicit", "relative")}
        t_hand += time.perf_counter() - t
        h = q["resolved_date"] in got
        d_ok = None
        if search_dates is not None:
            base = datetime.fromisoformat(day)
            t = time.perf_counter()
            found = set()
            for s in q["evidence"]:
                for _, when in search_dates(s, languages=["en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}) or []:
                    found.add(when.date().isoformat())
            t_dp += time.perf_counter() - t
            d_ok = q["resolved_date"] in found
            dp += d_ok
        hand += h
        rows.append({"id": q["id"], "phrase": q["date_phrase"], "gold": q["resolved_date"], "hand": h, "dateparser": d_ok})
    n = len(questions)
    return {"questions": n, "hand": f"{hand}/{n}", "dateparser": f"{dp}/{n}" if search_dates else None,
            "hand_ms_per_question": round(1000 * t_hand / n, 2), "dateparser_ms_per_question": round(1000 * t_dp / n, 2),
            "details": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from corpus.text.sentences import sentence_spans

    base = SHARED / "eval/analyst"
    questions = read(base / "questions.dev.jsonl.gz")
    articles = read(base / "articles.gold.jsonl.gz")
    pub = {a["id"]: a["date"] for a in articles}
    result = {"dates": dates_on_time_questions([q for q in questions if q["type"] == "time"], pub)}
    corr = [q for q in questions if q["type"] == "corroboration"]
    result["figures_hand"] = figures_on_reports(corr, hand_figures)
    result["figures_quantulum3"] = figures_on_reports(corr, q3_figures) if _quantulum() else None
    sentences = [a["text"][s:e] for a in articles for s, e in sentence_spans(a["text"]) if re.search(r"\d", a["text"][s:e])]
    result["units"] = noun_units(sentences)
    d = result["dates"]
    print_table("dates: analyst dev time questions, gold day read from the evidence",
                {"hand (qa.analysis.event_dates)": f"{d['hand']}  {d['hand_ms_per_question']} ms",
                 "dateparser": f"{d['dateparser']}  {d['dateparser_ms_per_question']} ms"})
    rows = {"hand (corpus.text.figures)": result["figures_hand"]}
    if result["figures_quantulum3"]:
        rows["quantulum3"] = result["figures_quantulum3"]
    print_table("figures: analyst dev corroboration reports", rows)
    u = result["units"]
    print_table(f"figures in the analyst gold articles ({len(sentences)} sentences with a digit)",
                {"hand: counted word is a noun": f"{u['unit_is_noun']} of {u['figures']}",
                 "quantulum3: quantities with a unit": f"{u['quantulum3_with_unit']} of {u['quantulum3_quantities']}"})
    for ex in u["examples_not_noun"]:
        print("   ", ex)
    result["measured"] = date.today().isoformat()
    write_json(args.json, result)


if __name__ == "__main__":
    main()
