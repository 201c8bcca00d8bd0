"""Could sentence vectors come from the passage's own encoding ("late chunking") instead of a
second encoder pass per sentence at query time?

    python bench/sentence_pooling.py [--limit 600] [--json bench/results/sentence_pooling.json]

For each SQuADShifts (new_wiki) dev question, the sentences of its gold paragraph are scored against
the question three ways: each sentence encoded on its own (``embed_light``, as the evidence composer does),
the paragraph's token vectors mean-pooled over each sentence's characters (one pass, could be done
at ingest), and the sum of both. The measure is how often the top-scored sentence holds the answer
(answer start inside it), with "the first sentence" as the floor. It also reports how alike
adjacent sentences' vectors are under each method, since the redundancy filter and the
corroboration thresholds were calibrated on independently encoded sentences.
The data is for measuring only: it is read from ../shared and never copied or trained on.
"""

from __future__ import annotations

import argparse

import numpy as np
from common import SHARED, Timer, print_table, write_json


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=600)
    ap.add_argument("--json")
    args = ap.parse_args()

    import torch

    from corpus.text.sentences import sentence_spans
    from index.embed.torch_st import SentenceTransformerEmbedder
    from index.types import titled
    from qa.evaluate import read_jsonl

    base = SHARED / "eval" / "squadshifts_new_wiki"
    paras = {d["id"]: d for d in read_jsonl(base / "paragraphs.jsonl.gz")}
    questions = read_jsonl(base / "questions.dev.jsonl.gz")[: args.limit]

    embedder = SentenceTransformerEmbedder()
    model = embedder.warm_up()
    tok = model.tokenizer

    def pooled(text: str, spans) -> np.ndarray:
        enc = tok([text], return_offsets_mapping=True, truncation=True,
                  max_length=model.max_seq_length, return_tensors="pt")
        off = enc.pop("offset_mapping")[0].numpy()
        with torch.inference_mode():
            out = model[0].auto_model(**enc).last_hidden_state[0].numpy()
        vecs = []
        for a, b in spans:
            sel = (off[:, 1] > a) & (off[:, 0] < b) & (off[:, 1] > off[:, 0])
            v = out[sel].mean(0) if sel.any() else np.zeros(out.shape[1])
            vecs.append(v / (np.linalg.norm(v) or 1.0))
        return np.array(vecs, np.float32)

    hits = {"independent": 0, "pooled": 0, "sum": 0, "first_sentence": 0}
    adjacent = {"independent": [], "pooled": []}
    secs = {"independent": 0.0, "pooled": 0.0}
    n = 0
    for q in questions:
        p = paras[q["gold_doc_ids"][0]]
        text = p["text"]
        spans = sentence_spans(text)
        gold = [i for i, (a, b) in enumerate(spans) if a <= q["answer_starts"][0] < b]
        if len(spans) < 2 or not gold:
            continue
        shown = titled(p.get("title", ""), text)
        shift = len(shown) - len(text)
        with Timer() as t:
            pv = pooled(shown, [(a + shift, b + shift) for a, b in spans])
        secs["pooled"] += t.s
        with Timer() as t:
            iv = embedder.embed_light([text[a:b] for a, b in spans])
        secs["independent"] += t.s
        qv = embedder.embed_query(q["question"])
        n += 1
        si, sp = iv @ qv, pv @ qv
        hits["independent"] += int(np.argmax(si) == gold[0])
        hits["pooled"] += int(np.argmax(sp) == gold[0])
        hits["sum"] += int(np.argmax(si + sp) == gold[0])
        hits["first_sentence"] += int(gold[0] == 0)
        for i in range(len(spans) - 1):
            adjacent["independent"].append(float(iv[i] @ iv[i + 1]))
            adjacent["pooled"].append(float(pv[i] @ pv[i + 1]))

    result = {"questions": n, "answer_sentence_top1": {k: round(v / n, 3) for k, v in hits.items()},
              "adjacent_cosine": {}, "seconds_per_paragraph": {k: round(v / n, 4) for k, v in secs.items()}}
    for k, v in adjacent.items():
        v = np.array(v)
        result["adjacent_cosine"][k] = {"mean": round(float(v.mean()), 3),
                                        "share_over_0.8": round(float((v > 0.8).mean()), 3),
                                        "share_over_0.9": round(float((v > 0.9).mean()), 3)}
    rows = {f"top-1 answer sentence, {k}": v for k, v in result["answer_sentence_top1"].items()}
    rows.update({f"adjacent cos, {k}": v for k, v in result["adjacent_cosine"].items()})
    rows.update({f"s/paragraph, {k}": v for k, v in result["seconds_per_paragraph"].items()})
    print_table(f"Sentence vectors, {n} SQuADShifts dev questions", rows)
    write_json(args.json, result)


if __name__ == "__main__":
    main()
