"""Stance: does a text support, dispute or merely discuss a claim, or is it about something else?

No NLI model ships in any package, so the offline default is built from what does:

- *relatedness*: the embedder's cosine between the claim and the text's best-matching sentences,
  together with the share of the claim's names and numbers the text repeats;
- *stance* of a related text, read from its best-matching sentences: denial and refutation cues
  ("denied", "false", "no evidence", "hoax") → ``disputes``; hedging and reported speech
  ("reportedly", "alleged", "claims", "unconfirmed", "according to") → ``discusses``; confirmation
  ("confirmed", "officially"), or none of these (the text states it as fact) → ``supports``;
- *figures*: the same counted thing with a different number ("45 killed" / "33 killed") is a
  conflict (``figures``), reported beside the stance.

Any sentence-transformers NLI ``CrossEncoder`` (hub name or folder, labels contradiction /
entailment / neutral) replaces the cue rules for related texts when configured.

The thresholds were measured, not guessed: ``RELATED`` separates training question–paragraph pairs
from the same questions paired with a same-domain paragraph that shares their words but not their
subject (``bench/stance.py --calibrate``), never evaluation data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from corpus.text.figures import Figure, conflicting
from corpus.text.sentences import sentence_spans
from corpus.text.terms import content_words, key_terms
from index.embed import Embedder
from index.embed.base import offline_defaults

Label = Literal["supports", "disputes", "discusses", "unrelated"]
FNC_LABELS: dict[str, str] = {"supports": "agree", "disputes": "disagree", "discusses": "discuss", "unrelated": "unrelated"}

RELATED = 0.27  # relatedness at or above this: the text is about the claim (chosen by bench/stance.py --calibrate)
CLOSE = 0.80  # a sentence this close to the claim, with no hedge, restates it
MEANING = 0.6  # weight of the cosine in ``relatedness`` (names and numbers 0.2, words 0.2)
TOP_SENTENCES = 3  # the text's sentences read for cues: the ones nearest the claim

_DENY = re.compile(
    r"\b(?:den(?:y|ies|ied|ying|ial|ials)|false(?:ly)?|fake|hoax(?:es)?|debunk\w*|untrue|not true|refut\w*|"
    r"baseless|fabricat\w*|no evidence|dismiss\w*|reject\w*|rebut\w*|contradict\w*|misleading|never happened|"
    r"not the case|satir\w*|disprov\w*|disput\w*|bogus|myth|no truth|without foundation|unfounded)\b", re.I)
_HEDGE = re.compile(
    r"\b(?:reported(?:ly)?|report(?:s)?|alleg\w*|claim(?:s|ed|ing)?|purported(?:ly)?|rumou?r(?:s|ed)?|"
    r"unconfirmed|unverified|(?:may|might|could) (?:have|be)|apparent(?:ly)?|appears?|seem(?:s|ed)?|"
    r"according to|speculat\w*|suggest\w*|(?:believed|said|thought) to|if true|supposed(?:ly)?|"
    r"not (?:yet )?(?:been )?(?:confirmed|verified)|unclear|questions? (?:about|over)|whether)\b", re.I)
_CONFIRM = re.compile(r"\b(?:confirm(?:s|ed|ing)?|officially|verified|proved|proven|indeed|it is true|announced)\b", re.I)
@dataclass(frozen=True)
class StanceResult:
    """The stance of a text toward a claim. ``sentence``: the text's sentence nearest the claim."""

    stance: Label
    score: float  # how sure: relatedness for unrelated/related, the cue strength otherwise
    related: float
    sentence: tuple[int, int] | None = None
    reasons: tuple[str, ...] = ()
    conflicts: tuple[tuple[Figure, Figure], ...] = field(default=(), compare=False)  # (claim's, text's)

    @property
    def fnc(self) -> str:
        return FNC_LABELS[self.stance]

    def to_dict(self) -> dict:
        return {"stance": self.stance, "score": round(self.score, 4), "related": round(self.related, 4),
                "sentence": list(self.sentence) if self.sentence else None, "reasons": list(self.reasons),
                "conflicts": [{"claim": a.text, "text": b.text} for a, b in self.conflicts]}


def relatedness(claim: str, text: str, similarity: float) -> float:
    """How much ``text`` is about ``claim``: the cosine of its nearest sentence (``similarity``) with
    the share of the claim's names and numbers, and of its words, that the text repeats."""
    keys, words = key_terms(claim), content_words(claim)
    shared = len(keys & key_terms(text)) / len(keys) if keys else 0.0
    overlap = len(words & content_words(text)) / len(words) if words else 0.0
    return MEANING * similarity + 0.2 * shared + 0.2 * overlap


def denies(text: str) -> bool:
    """Does ``text`` deny or refute something ("officials denied", "false", "no evidence")?"""
    return bool(_DENY.search(text))


def cue_stance(claim: str, sentences: list[str], similarity: float,
               plain: Label = "supports") -> tuple[Label, float, tuple[str, ...]]:
    """The stance the cues of a related text's nearest ``sentences`` show, with its strength and reasons.

    ``plain``: the label of a related text with no cue that does not restate the claim closely. A
    text about the claim that neither hedges nor denies states it as fact: ``supports``.
    """
    text = " ".join(sentences)
    deny = [m.group(0) for m in _DENY.finditer(text)]
    if deny and not _DENY.search(claim):  # a text without a denial does not dispute a claim that is one
        return "disputes", min(1.0, 0.5 + 0.25 * len(deny)), tuple(f"denial: {d}" for d in deny[:3])
    hedge = [m.group(0) for m in _HEDGE.finditer(text)]
    confirm = [m.group(0) for m in _CONFIRM.finditer(text)]
    if confirm and len(confirm) >= len(hedge):
        return "supports", min(1.0, 0.5 + 0.2 * len(confirm)), tuple(f"confirmation: {c}" for c in confirm[:3])
    if hedge:
        return "discusses", min(1.0, 0.5 + 0.2 * len(hedge)), tuple(f"hedge: {h}" for h in hedge[:3])
    if similarity >= CLOSE:
        return "supports", similarity, ("restates the claim",)
    return plain, 0.5, ("related, no cue",)


class StanceScorer:
    """``stance(claim, text)`` with the offline rules, or with an NLI cross-encoder when one is given."""

    def __init__(self, embedder: Embedder, nli_model: str | None = None, related: float = RELATED, device: str = "cpu"):
        self.embedder = embedder
        self.related_threshold = related
        self.nli_model = nli_model
        self._nli = None
        self._device = device

    def sentences(self, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The text's sentences (spans) and their vectors: compute once for a text read many times."""
        spans = [s for s in sentence_spans(text) if len(text[s[0] : s[1]].split()) >= 3] or sentence_spans(text)
        vecs = self.embedder.embed([text[a:b] for a, b in spans]) if spans else np.zeros((0, 1), np.float32)
        return spans, vecs

    def stance(self, claim: str, text: str, *, claim_vector: np.ndarray | None = None,
               sentences: tuple[list[tuple[int, int]], np.ndarray] | None = None) -> StanceResult:
        spans, vecs = sentences if sentences is not None else self.sentences(text)
        if not spans or not claim.strip():
            return StanceResult("unrelated", 1.0, 0.0, reasons=("no text",))
        qv = claim_vector if claim_vector is not None else self.embedder.embed_query(claim)
        sims = vecs @ qv
        order = np.argsort(-sims)[:TOP_SENTENCES]
        best = float(sims[order[0]])
        related = relatedness(claim, text, best)
        sentence = spans[int(order[0])]
        if related < self.related_threshold:
            return StanceResult("unrelated", 1.0 - related, related, sentence, (f"relatedness {related:.2f}",))
        near = [text[spans[i][0] : spans[i][1]] for i in order]
        conflicts = tuple(c for s in near for c in conflicting(claim, s))
        if self.nli_model:
            label, strength, reasons = self._nli_stance(claim, near)
        else:
            label, strength, reasons = cue_stance(claim, near, best)
        return StanceResult(label, strength, related, sentence, reasons, conflicts)

    def _nli_stance(self, claim: str, near: list[str]) -> tuple[Label, float, tuple[str, ...]]:
        if self._nli is None:
            offline_defaults()
            from sentence_transformers import CrossEncoder

            from index.embed.base import resolve_model

            self._nli = CrossEncoder(resolve_model(self.nli_model)[0], device=self._device)
        scores = np.asarray(self._nli.predict([(s, claim) for s in near]))
        labels = {str(v).lower(): int(k) for k, v in (self._nli.model.config.id2label or {}).items()}
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        ent, con = probs[:, labels.get("entailment", 1)].max(), probs[:, labels.get("contradiction", 0)].max()
        if con >= 0.5 and con >= ent:
            return "disputes", float(con), ("nli: contradiction",)
        if ent >= 0.5:
            return "supports", float(ent), ("nli: entailment",)
        return "discusses", float(1 - max(ent, con)), ("nli: neutral",)


def label_pairs(scorer: StanceScorer, pairs: list[dict], bodies: dict[str, str], progress=None) -> list[dict]:
    """FNC-1-style labels for ``pairs`` (``{"id", "claim", "body_id"}``) over ``bodies`` (id → text).

    Each body is split and embedded once, each distinct claim embedded once. Returns
    ``{"id", "stance"}`` per pair (FNC labels), in order; a pair whose body is missing is ``unrelated``.
    ``progress``: called with the number of pairs done after each body.
    """
    claims = sorted({p["claim"] for p in pairs})
    cvecs = dict(zip(claims, scorer.embedder.embed(claims), strict=True)) if claims else {}
    by_body: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_body.setdefault(str(p["body_id"]), []).append(i)
    out: list[dict | None] = [None] * len(pairs)
    done = 0
    for body_id, idx in by_body.items():
        text = bodies.get(body_id)
        sents = scorer.sentences(text) if text else None
        for i in idx:
            p = pairs[i]
            if not text:
                out[i] = {"id": p["id"], "stance": "unrelated"}
                continue
            r = scorer.stance(p["claim"], text, claim_vector=cvecs[p["claim"]], sentences=sents)
            out[i] = {"id": p["id"], "stance": r.fnc}
        done += len(idx)
        if progress:
            progress(done)
    return [o for o in out if o is not None]


def fnc_score(gold: list[str], pred: list[str]) -> float:
    """The official FNC-1 score relative to its maximum: 0.25 for related/unrelated right, 0.75 more
    for the right agree / disagree / discuss."""
    got = best = 0.0
    for g, p in zip(gold, pred, strict=True):
        best += 0.25 if g == "unrelated" else 1.0
        if g == p:
            got += 0.25 if g == "unrelated" else 1.0
        elif g != "unrelated" and p != "unrelated":
            got += 0.25
    return got / best if best else 0.0
