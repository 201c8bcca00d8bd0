"""Written answers (answer.mode=llm): how much the verifier keeps, how often it falls back, speed.

    python bench/written.py --calibrate [--json bench/results/written_calibration.json]
    python bench/written.py --judge --url U --model M [--pairs 200] [--json bench/results/written_judge.json]
    python bench/written.py --rejudge answers.jsonl --url U --model M [--dump rejudged.jsonl] [--json OUT]
    python bench/written.py --train 38 --url U --model M --max-tokens 100 --dump train_answers.jsonl
    python bench/written.py --relations answers.jsonl
    python bench/written.py --home H --questions Q.jsonl.gz --url http://127.0.0.1:8080/v1 --model NAME \\
        [--limit 200] [--skip 0] [--gold-only] [--json OUT] [--dump answers.jsonl]

``--calibrate`` measures the meaning threshold ``llm.min_meaning`` on ../shared/train (Reddit
questions, never evaluation data): a statement made of a question and its gold answer is compared
(cosine, the default embedder) with the paragraph sentence holding the answer (supported) and with
the other sentences of the same paragraph (same topic, not the fact). The threshold is the value that
keeps 95% of supported statements; the table shows how many same-topic sentences it rejects.

``--judge`` measures the model's own check (``llm.judge``) on ../shared/train (Reddit, never
evaluation data) against a running server: a statement made of a question and its gold answer is put
to the model with the sentence holding the answer (supported: it should say yes) and, as a false
relation, the same question answered with a name or noun phrase of another sentence of the paragraph,
put with that sentence (it should say no: the mistake the word checks cannot see).

``--train N`` writes answers to N ../shared/train (Reddit) questions, the paragraph's sentences as the
evidence, all checks on: sentences to read by hand while designing the verifier, on data no
evaluation uses. ``--relations D.jsonl`` applies ``qa.llm.relations`` (``llm.relations``) to the kept
sentences of a dump and prints each with what it would do.

``--rejudge D.jsonl`` applies ``llm.new_words`` and the model's check to the kept sentences of answers
dumped by an earlier run (both run last, on each kept sentence's final evidence).

The second form asks each question in llm mode against a running OpenAI-compatible server and
reports: sentences kept by the verifier, answers that fell back to quotes, answer-in-text (a gold
answer string in the answer) for the written and the quoted answer, time to first token, pieces/s
while streaming, and the time the checks take after the last piece (the model's own check included).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from pathlib import Path

import numpy as np
from common import SHARED, percentile, print_table, write_json


def calibrate(limit: int) -> dict:
    from index.embed import make_embedder

    pairs = [(f"{q.rstrip('?')}: {a}.", sentence, others[:3]) for q, a, sentence, others in _train_pairs(limit)]
    from qa.llm.verify import word_support

    words_sup = np.array([word_support(p[0], [p[1]]) for p in pairs])
    words_other = np.array([word_support(p[0], [o]) for p in pairs for o in p[2]])
    wthr = float(np.percentile(words_sup, 5))
    emb = make_embedder()
    sv = emb.embed_sentences([p[0] for p in pairs])
    gv = emb.embed_sentences([p[1] for p in pairs])
    supported = np.sum(sv * gv, axis=1)
    others = [float(sv[i] @ v) for i, p in enumerate(pairs) for v in emb.embed_sentences(p[2])]
    threshold = float(np.percentile(supported, 5))
    return {"pairs": len(pairs), "same_topic_sentences": len(others), "threshold_keeps_95pct": round(threshold, 3),
            "supported_p50": round(float(np.median(supported)), 3), "same_topic_p50": round(float(np.median(others)), 3),
            "same_topic_rejected": round(float(np.mean(np.array(others) < threshold)), 3),
            "words_threshold_keeps_95pct": round(wthr, 3), "words_supported_p50": round(float(np.median(words_sup)), 3),
            "words_same_topic_p50": round(float(np.median(words_other)), 3),
            "words_same_topic_rejected": round(float(np.mean(words_other < wthr)), 3)}


def _train_data(domain: str = "reddit"):
    """../shared/train's paragraphs (id → text) and its questions, in file order (a generator; a
    question whose gold paragraph is missing or that has no answer comes as None, so that a shuffle
    of all of them draws the same questions as it always has)."""
    paras = {}
    with gzip.open(SHARED / f"train/squadshifts_{domain}.paragraphs.jsonl.gz", "rt") as fh:
        for line in fh:
            p = json.loads(line)
            paras[p["id"]] = p["text"]

    def questions():
        with gzip.open(SHARED / f"train/squadshifts_{domain}.questions.jsonl.gz", "rt") as fh:
            for line in fh:
                q = json.loads(line)
                yield q if paras.get(q["gold_doc_ids"][0]) and q["answers"] else None

    return paras, questions()


def _train_pairs(limit: int, domain: str = "reddit") -> list[tuple[str, str, str, list[str]]]:
    """(question, answer, the sentence holding it, the paragraph's other sentences) from ../shared/train."""
    paras, questions = _train_data(domain)
    out = []
    for q in filter(None, questions):
        text = paras[q["gold_doc_ids"][0]]
        spans = [(m.start(), m.end()) for m in re.finditer(r"[^.!?]+[.!?]*", text) if len(m.group().split()) >= 4]
        at = q["answer_starts"][0]
        gold = [i for i, (a, b) in enumerate(spans) if a <= at < b]
        if not gold or len(spans) < 2:
            continue
        others = [text[a:b] for i, (a, b) in enumerate(spans) if i != gold[0]]
        out.append((q["question"], q["answers"][0], text[slice(*spans[gold[0]])], others))
        if len(out) >= limit:
            break
    return out


def _plain(text: str):
    """An evidence sentence with nothing known about it but its words."""
    from qa.types import Evidence

    return Evidence(article_id="", title="", source="", date=None, url="", start=0, end=len(text), text=text,
                    passage_id="", passage_start=0, passage=text, score=1.0)


def judge_calibration(args) -> dict:
    """How often the model's check says yes to supported statements and no to a false relation."""
    import spacy

    from corpus.text.nlp import MODEL
    from qa.llm.client import LLM
    from qa.llm.prompts import judge_messages, verdict
    from qa.settings import LLMSettings

    nlp = spacy.load(MODEL, disable=["lemmatizer"])
    llm = LLM(LLMSettings(url=args.url, model=args.model, timeout=args.timeout, max_tokens=8))
    sup, neg, unclear, took = [], [], 0, []
    for question, answer, sentence, others in _train_pairs(args.pairs):
        # a false relation: the question answered with a name (else the longest noun phrase) of another sentence
        wrong = None
        for other in others:
            doc = nlp(other)
            names = [e.text for e in doc.ents if answer.lower() not in e.text.lower()]
            chunks = sorted((c.text for c in doc.noun_chunks if len(c) > 1 and answer.lower() not in c.text.lower()),
                            key=len, reverse=True)
            pick = (names or chunks or [None])[0]
            if pick:
                wrong = (pick, other)
                break
        if wrong is None:
            continue
        for statement, evidence, into in ((f"{question.rstrip('?')}: {answer}.", sentence, sup),
                                          (f"{question.rstrip('?')}: {wrong[0]}.", wrong[1], neg)):
            t = time.perf_counter()
            ok = verdict(llm.first_word(judge_messages(statement, [_plain(evidence)])))
            took.append((time.perf_counter() - t) * 1000)
            unclear += ok is None
            into.append(bool(ok))
    return {"pairs": len(sup), "model": args.model, "supported_kept": round(float(np.mean(sup)), 3),
            "false_relation_rejected": round(1 - float(np.mean(neg)), 3), "neither_yes_nor_no": unclear,
            "check_p50_ms": round(percentile(took, 50), 1), "check_p95_ms": round(percentile(took, 95), 1)}


def rejudge(args) -> dict:
    """``llm.new_words`` and the model's check applied to the kept sentences of dumped answers."""
    from qa.llm.client import LLM
    from qa.llm.prompts import judge_messages, verdict
    from qa.llm.verify import new_words
    from qa.settings import LLMSettings

    llm = LLM(LLMSettings(url=args.url, model=args.model, timeout=args.timeout, max_tokens=8))
    rows = [json.loads(line) for line in open(args.rejudge, encoding="utf-8")]
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None
    before = after = fell_back = 0
    in_text, took = [], []
    for r in rows:
        kept = []
        if r["mode"] == "llm":
            for c in r["claims"]:
                cited = [_plain(t) for t in c["cited"]]
                if c["how"] != "generated" or new_words(c["text"], cited, r["question"]):
                    continue
                before += 1
                t = time.perf_counter()
                c["judge"] = llm.first_word(judge_messages(c["text"], cited)).strip()
                took.append((time.perf_counter() - t) * 1000)
                if verdict(c["judge"]):
                    kept.append(c)
        after += len(kept)
        fell_back += not kept
        if kept:
            gold = [g.lower() for g in r["gold"] if g.strip()]
            in_text.append(any(g in " ".join(c["text"] for c in kept).lower() for g in gold))
        if dump:
            dump.write(json.dumps({**r, "kept_after_judge": [c["text"] for c in kept]}, ensure_ascii=False) + "\n")
    return {"answers": len(rows), "model": args.model, "kept_before_judge": before, "kept_after_judge": after,
            "fallback_share": round(fell_back / max(len(rows), 1), 3),
            "answer_in_text_written": round(float(np.mean(in_text)), 3) if in_text else None,
            "written_answers": len(in_text), "check_p50_ms": round(percentile(took, 50), 1) if took else None}


def train_answers(args) -> dict:
    """Written answers to ../shared/train questions (Reddit; never evaluation data), for designing and
    checking the verifier by hand: the evidence is the first six sentences of the question's paragraph
    and two of another paragraph; every check runs as in ``ask``."""
    import random

    from corpus.text.sentences import sentence_spans
    from index.embed import make_embedder
    from qa.llm.client import LLM
    from qa.llm.writer import LLMWriter
    from qa.settings import LLMSettings

    paras, questions = _train_data()
    qs = list(questions)
    rng = random.Random(7)
    rng.shuffle(qs)
    ids = list(paras)
    settings = LLMSettings(url=args.url, model=args.model, timeout=args.timeout, max_tokens=args.max_tokens)
    llm, emb = LLM(settings), make_embedder()
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None
    done = kept = dropped = 0
    for q in qs:
        if done >= args.train:
            break
        if q is None:
            continue
        text = paras[q["gold_doc_ids"][0]]
        other = paras[ids[rng.randrange(len(ids))]]
        sents = [text[a:b] for a, b in sentence_spans(text)][:6] + [other[a:b] for a, b in sentence_spans(other)][:2]
        writer = LLMWriter(llm, emb, settings, fallback=3)
        writer.write(q["question"], tuple(_plain(x) for x in sents))
        r = writer.result
        kept += len(r.claims)
        dropped += len(r.unsupported)
        done += 1
        if dump:
            dump.write(json.dumps({"question": q["question"], "gold": q["answers"], "raw": r.raw, "notice": r.notice,
                                   "kept": [{"text": c.text, "cited": [e.text for e in c.evidence]} for c in r.claims],
                                   "dropped": r.unsupported}, ensure_ascii=False) + "\n")
            dump.flush()
    return {"questions": done, "model": args.model, "sentences_kept": kept, "sentences_dropped": dropped}


def relation_check(args) -> dict:
    """``qa.llm.relations.problem`` applied to the sentences kept in dumped answers (``--dump`` of a live run
    or of ``--train``), each line printed for reading by hand: which it would drop, and why."""
    from qa.llm.relations import problem

    kept = refused = 0
    for line in open(args.relations, encoding="utf-8"):
        r = json.loads(line)
        claims = r.get("kept") or [c for c in r.get("claims", []) if c.get("how") == "generated"]
        for c in claims:
            why = problem(c["text"], c["cited"])
            kept += 1
            refused += why is not None
            print(f"{'DROP' if why else 'keep'} | {c['text']}" + (f"\n     {why}" if why else ""))
    return {"sentences": kept, "refused_by_relations": refused}


def measure(args) -> dict:
    from qa import Assistant
    from qa.answer.markdown import who_says
    from qa.evaluate import load_questions

    qs = [q for q in load_questions(args.questions) if q.answers and (q.gold or not args.gold_only)]
    qs = qs[args.skip :][: args.limit]
    a = Assistant(home=args.home, llm={"url": args.url, "model": args.model, "timeout": args.timeout,
                                       "max_tokens": args.max_tokens})
    a.warm_up()
    kept = dropped = fell_back = 0
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None
    in_written, in_quoted, ttft, rate, checking = [], [], [], [], []
    for q in qs:
        t0 = time.perf_counter()
        first: list[float] = []
        last: list[float] = []
        pieces: list[str] = []

        def on_token(p, first=first, last=last, pieces=pieces, t0=t0):
            if not first:
                first.append(time.perf_counter() - t0)
            last[:] = [time.perf_counter() - t0]
            pieces.append(p)

        ans = a.ask(q.question, as_of=q.date, mode="llm", on_token=on_token, corroborate=False)
        total = time.perf_counter() - t0
        quoted = a.ask(q.question, as_of=q.date, corroborate=False)
        gold = [g.lower() for g in q.answers if g.strip()]
        kept += sum(1 for c in ans.claims if c.how == "generated")
        dropped += len(ans.unsupported)
        fell_back += ans.mode != "llm"
        in_written.append(any(g in ans.text.lower() for g in gold) if ans.mode == "llm" else None)
        in_quoted.append(any(g in quoted.text.lower() for g in gold))
        if dump:  # for checking the written answers by hand against their cited spans
            dump.write(json.dumps({"id": q.id, "question": q.question, "gold": q.answers, "mode": ans.mode,
                                   "notice": ans.notice, "claims": [{"text": c.text, "how": c.how,
                                   "cited": [e.text for e in c.evidence],
                                   "who": [who_says(e.attribution, e.source) for e in c.evidence]}
                                   for c in ans.claims],
                                   "unsupported": list(ans.unsupported)}, ensure_ascii=False) + "\n")
            dump.flush()  # a long run stopped part-way keeps the answers it wrote
        if first:
            ttft.append(first[0] * 1000)
            if len(pieces) > 1:
                rate.append((len(pieces) - 1) / max(last[0] - first[0], 1e-3))
            if ans.mode == "llm" or ans.unsupported:  # the draft was checked: the time after its last piece
                checking.append((total - last[0]) * 1000)
    written = [x for x in in_written if x is not None]
    return {"questions": len(qs), "model": args.model, "sentences_kept": kept, "sentences_dropped": dropped,
            "kept_share": round(kept / max(kept + dropped, 1), 3), "fallback_share": round(fell_back / max(len(qs), 1), 3),
            "answer_in_text_written": round(float(np.mean(written)), 3) if written else None,
            "answer_in_text_quoted": round(float(np.mean(in_quoted)), 3),
            "ttft_p50_ms": round(percentile(ttft, 50), 1) if ttft else None,
            "pieces_per_s_p50": round(percentile(rate, 50), 1) if rate else None,
            "checking_p50_ms": round(percentile(checking, 50), 1) if checking else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--judge", action="store_true", help="measure the model's own check on ../shared/train")
    ap.add_argument("--rejudge", type=Path, help="answers dumped by an earlier run (--dump) to check again")
    ap.add_argument("--train", type=int, default=0, help="write answers to N ../shared/train questions (with --dump)")
    ap.add_argument("--relations", type=Path, help="apply the relation checks to the kept sentences of a dump")
    ap.add_argument("--home", type=Path)
    ap.add_argument("--questions", type=Path)
    ap.add_argument("--url")
    ap.add_argument("--model")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--skip", type=int, default=0, help="leave out the first N questions (a sample not read before)")
    ap.add_argument("--gold-only", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--json", default=None)
    ap.add_argument("--dump", default=None, help="write each question's written answer and cited sentences (JSONL)")
    args = ap.parse_args()
    if args.calibrate:
        out = calibrate(args.pairs)
    elif args.relations:
        out = relation_check(args)
    elif args.train:
        if not args.url:
            raise SystemExit("--url is needed")
        out = train_answers(args)
    elif args.judge or args.rejudge:
        if not args.url:
            raise SystemExit("--url is needed")
        out = judge_calibration(args) if args.judge else rejudge(args)
    else:
        if not (args.home and args.questions and args.url):
            raise SystemExit("--home, --questions and --url are needed (or --calibrate)")
        out = measure(args)
    print_table("meaning threshold" if args.calibrate else "relation checks" if args.relations
                else "the model's check" if args.judge or args.rejudge else "written answers", out)
    write_json(args.json, out)


if __name__ == "__main__":
    main()
