"""Answer composition: does the extractive answer quote the answer, and how long does it take?

    python bench/answers.py --home /tmp/eval/rtqa --questions ../shared/eval/realtimeqa/questions.dev.jsonl.gz \\
        [--gold-only] [--limit N] [--embedded 0,8,16,32] [--threads 1,2] [--int8 0,1] [--rerank] [--json OUT]

The index in --home must already hold the articles (``qa eval`` builds it). Each question is
retrieved once (default pipeline, rerank off unless --rerank); then the answer is composed from the
same passages under every setting, so the settings differ only in the composer. Per setting:

- answer_in_text: a gold answer string occurs in the answer text (what the analyst reads first);
- answer_in_cited: a gold answer occurs in a cited passage;
- not_found: share of "the articles do not answer this";
- compose_p50_ms / compose_p95_ms: composition alone; ask_p50_ms adds the measured retrieval time.

``embedded`` is ``answer.embedded_sentences`` (candidate sentences compared with the question by
meaning); ``threads`` is the onnxruntime thread count of the question/sentence encoder; ``int8``
is ``embed.sentence_int8`` (1: sentences through the int8 copy of the model, 0: float32).

Written answers (``answer.mode=llm``) against a running OpenAI-compatible server, each question
also answered in the quoted mode (``bench/written.py`` has the same and the verifier's calibrations):

    python bench/answers.py --home H --questions Q --url http://127.0.0.1:8080/v1 --model NAME \\
        [--limit 200] [--skip 0] [--gold-only] [--max-tokens 100] [--dump answers.jsonl] [--json OUT]

It reports the sentences the verifier kept and dropped, the answers that fell back to quotes, the
gold answer string in the written and in the quoted answer, time to first token, pieces/s and the
checks' time after the last piece.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import percentile, print_table, write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--gold-only", action="store_true", help="only questions with gold article ids")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--skip", type=int, default=0, help="leave out the first N questions (written answers: a sample not read before)")
    ap.add_argument("--embedded", default="0,8,16,32")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--int8", default="1", help="embed.sentence_int8 values to compare: 0, 1 or 0,1")
    ap.add_argument("--rerank", action="store_true")
    ap.add_argument("--url", help="written answers: the LLM server's OpenAI-compatible URL")
    ap.add_argument("--model", help="written answers: the model name the server knows")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--dump", default=None, help="written answers: each answer and its cited sentences (JSONL)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.url:
        from written import measure

        out = measure(args)
        print_table("written answers", out)
        write_json(args.json, out)
        return

    from index.embed import make_embedder
    from qa import Assistant
    from qa.answer.compose import compose
    from qa.evaluate import load_questions
    from qa.retrieval.term_weights import TermWeights
    from qa.settings import AnswerSettings

    qs = [q for q in load_questions(args.questions) if q.answers and (q.gold or not args.gold_only)]
    qs = qs[args.skip :]
    qs = qs[: args.limit] if args.limit else qs
    a = Assistant(home=args.home)
    a.warm_up()
    snap = a.snapshot()
    terms = TermWeights(snap)
    emb = a.embedder
    base = emb._query_session()  # the ONNX twin; None when this model/backend has none
    if base is None and args.threads != "1":
        raise SystemExit("--threads needs the ONNX query encoder (default model, torch backend, export present)")

    retrieved, retrieve_ms = [], []
    for q in qs:
        qv = emb.embed_query(q.question)
        t = time.perf_counter()  # retrieval embeds the question itself: timed as in ask()
        hits = a.retrieve(q.question, as_of=q.date, rerank=args.rerank)
        retrieve_ms.append((time.perf_counter() - t) * 1000)
        retrieved.append((q, qv, hits, snap.vectors([h.passage.pid for h in hits]) if hits else None))

    rows = {}
    e = a.settings.embed
    for threads, int8 in [(int(t), bool(int(i))) for t in args.threads.split(",") for i in args.int8.split(",")]:
        emb = make_embedder(e.model, e.backend, e.device, threads, sentence_int8=int8)
        emb.embed_query("warm up")  # load the encoders before anything is timed
        emb.sentence_vectors(["warm up"])
        for n in [int(x) for x in args.embedded.split(",")]:
            settings = AnswerSettings(embedded_sentences=n)
            in_text, in_cited, nf, ms = [], [], [], []
            for q, qv, hits, vecs in retrieved:
                t = time.perf_counter()
                ans = compose(q.question, hits, emb, settings, terms=terms, passage_vectors=vecs, query_vector=qv)
                ms.append((time.perf_counter() - t) * 1000)
                gold = [g.lower() for g in q.answers if g.strip()]
                in_text.append(any(g in ans.text.lower() for g in gold))
                in_cited.append(any(g in c.passage.lower() for g in gold for c in ans.citations))
                nf.append(ans.not_found)
            key = f"embedded={n} threads={threads} int8={int(int8)}"
            rows[key] = {
                "embedded_sentences": n, "threads": threads, "sentence_int8": int8, "questions": len(retrieved),
                "answer_in_text": round(float(np.mean(in_text)), 4), "answer_in_cited": round(float(np.mean(in_cited)), 4),
                "not_found": round(float(np.mean(nf)), 4),
                "compose_p50_ms": percentile(ms, 50), "compose_p95_ms": percentile(ms, 95),
                "ask_p50_ms": percentile(np.array(ms) + np.array(retrieve_ms), 50),
                "ask_p95_ms": percentile(np.array(ms) + np.array(retrieve_ms), 95),
            }
            print(key, rows[key], flush=True)
    result = {"home": str(args.home), "questions_file": args.questions.name, "rerank": args.rerank,
              "retrieve_p50_ms": percentile(retrieve_ms, 50), "settings": rows}
    print_table("answer composition", {k: (v["answer_in_text"], v["compose_p50_ms"], v["ask_p50_ms"]) for k, v in rows.items()})
    write_json(args.json, result)


if __name__ == "__main__":
    main()
