"""Written answers: an LLM drafts, every sentence is checked against the evidence it cites.

The prompt numbers the selected evidence sentences with their outlet, date and who says them. The
model answers with a marker ``[n]`` after each sentence. Before anything is shown, each sentence is
verified (``verify``):

- it cites at least one marker that maps to evidence (markers mapping to nothing are removed);
- every number, name, month and weekday in it occurs in the evidence it cites (its words, its
  outlet and speaker, or the day it describes as resolved by ``qa.analysis.event_dates``); when the marker is wrong but exactly the facts are
  in another evidence sentence close in meaning, the claim cites that sentence instead;
- enough of its content words occur in the cited sentences (``llm.min_words``) and its meaning is close
  enough to one of them (cosine ≥ ``llm.min_meaning``);
- it has no content word that neither its evidence nor the question has (``llm.new_words``);
- its words stand in the relations its evidence gives them (``llm.relations``, ``qa.llm.relations``): a
  name beside the words it is beside in the evidence, a verb with the evidence's doer and undergoer,
  no two names the evidence keeps apart put together, the evidence's hedges, negations, "some" and
  "more than" kept, no verb only the question has, no source the evidence does not give;
- the model itself, asked afresh with only the cited evidence and the sentence, says the evidence
  supports it (``llm.judge``): this catches what words cannot, a true name put in a false relation
  ("earned her law degree from Harvard" on a sentence that mentions Harvard for something else).

A sentence failing any check is dropped and listed in ``unsupported`` with the reason. A kept
sentence that leaves out who the evidence says is speaking gets it back ("…, according to the
mayor."), as the prompt asks of the model. If nothing survives, or the model is down or slow, the
answer is the quoted one and says why. A kept claim cites the exact spans of the evidence sentences
it names, so ``quote == article.text[start:end]`` holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from index.embed import Embedder
from qa.answer.quotes import QuoteWriter
from qa.llm.client import LLM, LLMUnavailable, with_deadline
from qa.llm.prompts import DOES_NOT_SAY, judge_messages, messages, verdict
from qa.llm.verify import MARKER, split, verify
from qa.settings import LLMSettings
from qa.types import Claim, Evidence


@dataclass
class Written:
    """What the writer did: the claims kept, the sentences dropped (with reasons), and why it fell back."""

    claims: list[Claim] = field(default_factory=list)
    unsupported: list[dict] = field(default_factory=list)
    notice: str | None = None
    raw: str = ""
    evidence_ids: list[str] = field(default_factory=list)


class LLMWriter:
    """A ``ClaimWriter`` that asks an LLM for the answer and keeps only verified sentences.

    Falls back to quoting the best ``fallback`` evidence sentences when the model is unavailable,
    slow, or none of its sentences survive; ``result`` says what happened.
    """

    name = "llm"

    def __init__(self, llm: LLM, embedder: Embedder, settings: LLMSettings, fallback: int,
                 history: list[tuple[str, str]] = (), on_token: Callable[[str], None] | None = None):
        self.llm, self.embedder, self.settings = llm, embedder, settings
        self.fallback, self.history, self.on_token = fallback, list(history), on_token
        self.result = Written()

    def write(self, question: str, evidence: tuple[Evidence, ...]) -> list[Claim]:
        ev = list(evidence)
        self.result = r = Written(evidence_ids=[f"{e.article_id}:{e.start}-{e.end}" for e in ev])
        try:
            pieces = with_deadline(lambda: self.llm.stream(messages(question, ev, self.history)),
                                   self.settings.timeout, self.on_token)
        except LLMUnavailable as exc:
            r.notice = f"{exc}. Showing quoted sentences instead."
            return self._quoted(question, ev)
        r.raw = "".join(pieces).strip()
        if DOES_NOT_SAY in r.raw.lower() and not MARKER.search(r.raw):
            r.notice = "The language model found no answer in the evidence. Showing quoted sentences instead."
            return self._quoted(question, ev)
        r.claims, r.unsupported = verify(split(r.raw), ev, self.embedder, self.settings.min_meaning,
                                         min_words=self.settings.min_words,
                                         question=question if self.settings.new_words else None,
                                         relations=self.settings.relations)
        if r.claims and self.settings.judge:
            try:
                r.claims = self._judged(r.claims, r.unsupported)
            except LLMUnavailable as exc:
                r.claims = []
                r.notice = f"The written answer could not be checked: {exc}. Showing quoted sentences instead."
                return self._quoted(question, ev)
        if not r.claims:
            r.notice = ("No sentence of the written answer was supported by the evidence it cites. "
                        "Showing quoted sentences instead.")
            return self._quoted(question, ev)
        return r.claims

    def _judged(self, claims: list[Claim], dropped: list[dict]) -> list[Claim]:
        """The claims the model, asked afresh about each one and its cited evidence, says are supported;
        the rest go to ``dropped`` with its reply. A reply that is neither yes nor no drops the claim."""
        kept = []
        for c in claims:
            reply = self.llm.first_word(judge_messages(c.text, c.evidence))
            ok = verdict(reply)
            if ok:
                kept.append(c)
                continue
            said = " ".join(reply.split())[:40]
            dropped.append({"text": c.text, "reason": "the model, checking it against the evidence it cites, "
                            + ("said it is not supported" if ok is False else f"gave no yes or no ({said!r})")})
        return kept

    def _quoted(self, question: str, ev: list[Evidence]) -> list[Claim]:
        best = sorted(range(len(ev)), key=lambda i: -ev[i].score)[: self.fallback]
        return QuoteWriter().write(question, tuple(ev[i] for i in sorted(best)))
