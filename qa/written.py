"""Written answers: an LLM drafts, every sentence is checked against the evidence it cites.

The prompt numbers the selected evidence sentences with their outlet, date and who says them. The
model answers with a marker ``[n]`` after each sentence. Before anything is shown, each sentence is
verified (``verify``):

- it cites at least one marker that maps to evidence (markers mapping to nothing are removed);
- every number, name, month and weekday in it occurs in the evidence it cites (its words, its
  outlet and speaker, or the day it describes as resolved by ``qa.dating``); when the marker is wrong but exactly the facts are
  in another evidence sentence close in meaning, the claim cites that sentence instead;
- enough of its content words occur in the cited sentences (``llm.min_words``) and its meaning is close
  enough to one of them (cosine ≥ ``llm.min_meaning``);
- it has no content word that neither its evidence nor the question has (``llm.new_words``);
- its words stand in the relations its evidence gives them (``llm.relations``, ``qa.relations``): a
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

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from index.sentences import sentence_spans
from qa.llm import LLM, LLMUnavailable, with_deadline
from qa.relations import REPORTED as _REPORTING
from qa.relations import problem
from qa.relations import stop_words as _stop_words
from qa.settings import LLMSettings
from qa.types import Claim, Evidence, who_says
from qa.writers import QuoteWriter

SYSTEM = (
    "You answer an analyst's question about news articles using only the numbered evidence sentences. "
    "Write a short answer of one to four sentences. End every sentence with the number of the evidence "
    "sentence it uses, in square brackets, like [2]. Say who reports or says each thing, as the evidence "
    "gives it (\"according to ...\"). Use only names, numbers and dates found in the evidence. "
    "If the evidence does not answer the question, reply only: The articles do not say."
)
# one worked example of the format (another subject, so none of its words can leak into an answer unnoticed:
# the verifier checks names and numbers against the cited evidence)
EXAMPLE = [
    {"role": "user", "content": "Evidence:\n[1] (Harbor Times; 2020-05-02; according to: the mayor) The bridge will reopen "
                                "on Monday after repairs, the mayor said.\n[2] (Harbor Times; 2020-05-02; Harbor Times's own "
                                "reporting) The repairs cost $2 million.\n\nQuestion: When will the bridge reopen, and what "
                                "did the repairs cost?"},
    {"role": "assistant", "content": "The bridge will reopen on Monday, according to the mayor [1]. The Harbor Times reports "
                                     "that the repairs cost $2 million [2]."},
]
# the model's own check of one kept sentence: nothing but the cited evidence and the sentence, a one-word reply
JUDGE = (
    "You check a statement against evidence. Reply yes if the evidence states everything the statement says, "
    "about the same people and things. Reply no if the statement adds anything, changes who or what something "
    "is about, or answers something the evidence does not state."
)
REMINDER = "Answer in one to four sentences, each ending with the number of its evidence sentence in square brackets."
DOES_NOT_SAY = "the articles do not say"

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
_CAPITAL = re.compile(r"\b[A-Z][\w'’\-]*")
_WORDS = re.compile(r"[\w'’\-]+")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS |= {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
                  "ninety": "90", "hundred": "100", "thousand": "1000", "dozen": "12"}
MONTHS = ("january february march april may june july august september october november december").split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
# capitalised words that name nothing: sentence openers, reporting words, pronouns
_PLAIN = set("""a an the this that these those there their they it its he she his her we our i you according
as at by for from in into on of to with and but or so yet if while after before during since until about
also however meanwhile both all some many most several other another no not one each every said says
reported reports told tells added claimed stated announced confirmed denied officials sources source
report reports article articles evidence question answer""".split())


@dataclass
class Drafted:
    """One sentence of the model's reply: its words (markers removed) and the evidence numbers it cites."""

    text: str
    markers: list[int]
    raw: str


@dataclass
class Written:
    """What the writer did: the claims kept, the sentences dropped (with reasons), and why it fell back."""

    claims: list[Claim] = field(default_factory=list)
    unsupported: list[dict] = field(default_factory=list)
    notice: str | None = None
    raw: str = ""
    evidence_ids: list[str] = field(default_factory=list)


def evidence_line(n: int, e: Evidence) -> str:
    """``[n] (ANHA, 2015-03-20; according to: Khalid Iskef (...)) The sentence.``"""
    meta = [x for x in (e.source, e.date) if x]
    who = who_says(e.attribution, e.source)
    if who:
        meta.append(who)
    head = f"({'; '.join(meta)}) " if meta else ""
    return f"[{n}] {head}{' '.join(e.text.split())}"


def messages(question: str, evidence: list[Evidence], history: list[tuple[str, str]] = ()) -> list[dict]:
    """The chat messages: instructions, recent turns, then the numbered evidence and the question."""
    out = [{"role": "system", "content": SYSTEM}, *EXAMPLE]
    for q, a in history:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    body = "\n".join(evidence_line(i, e) for i, e in enumerate(evidence, 1))
    out.append({"role": "user", "content": f"Evidence:\n{body}\n\nQuestion: {question}\n\n{REMINDER}"})
    return out


def judge_messages(statement: str, evidence: tuple[Evidence, ...] | list[Evidence]) -> list[dict]:
    """Messages asking whether ``evidence`` (with its outlet, date and who says it) supports ``statement``."""
    body = "\n".join(evidence_line(i, e).split(" ", 1)[1] for i, e in enumerate(evidence, 1))
    return [{"role": "system", "content": JUDGE},
            {"role": "user", "content": f"Evidence:\n{body}\n\nStatement: {statement}\n\n"
                                        "Does the evidence support the statement? Reply yes or no."}]


def verdict(reply: str) -> bool | None:
    """The judge's reply read: True for yes, False for no, None when it is neither."""
    first = re.match(r"\W*([A-Za-z]+)", reply)
    word = first.group(1).lower() if first else ""
    return True if word == "yes" else False if word == "no" else None


def rewrite_messages(question: str, history: list[tuple[str, str]]) -> list[dict]:
    """Messages asking the model to turn a follow-up into a question that stands alone."""
    turns = "\n".join(f"Q: {q}\nA: {a}" for q, a in history)
    return [
        {"role": "system", "content": "Rewrite the last question of a conversation so that it can be understood "
                                      "without the conversation. Reply with the rewritten question only."},
        {"role": "user", "content": f"{turns}\nLast question: {question}"},
    ]


def clean_rewrite(reply: str, question: str) -> str:
    """The first line of the model's rewrite, or the question itself when the reply is unusable."""
    line = next((x.strip() for x in reply.strip().splitlines() if x.strip()), "")
    line = re.sub(r"^(rewritten question|question|q)\s*:\s*", "", line, flags=re.I).strip().strip('"“”')
    return line if 3 <= len(line) <= 400 else question


def split(reply: str) -> list[Drafted]:
    """The reply's sentences, each with the markers after (or inside) it."""
    text = " ".join(reply.replace("\r", " ").split())
    # a marker after the full stop belongs to the sentence before it: "... killed. [1] Then ..." -> "... killed [1]. Then"
    text = re.sub(r"([.!?])\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]\s*)+)", lambda m: f" {m.group(2).strip()}{m.group(1)} ", text)
    out = []
    # Punkt (``index.sentences``), not a full stop before a capital: "Dwight D. Eisenhower", "c. 20 000 years
    # ago" and "Gov. Kay Ivey" stay in one sentence, which keeps its marker; a piece in lower case after one
    # without a marker continues it ("glacier arms, i.e. components of ...")
    pieces: list[str] = []
    for a, b in sentence_spans(text):
        raw = text[a:b].strip()
        if raw and pieces and raw[0].islower() and not _MARKER.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {raw}"
        elif raw:
            pieces.append(raw)
    for raw in pieces:
        marks = [int(x) for m in _MARKER.finditer(raw) for x in re.split(r"[,;]", m.group(1))]
        words = " ".join(_MARKER.sub(" ", raw).split())
        if not re.search(r"\w", words):  # a stray full stop or marker ("6 ft. [4]."): the sentence before's
            if out:
                out[-1].markers = list(dict.fromkeys(out[-1].markers + marks))
            continue
        words = re.sub(r"\s+([.,;:!?])", r"\1", words)
        # "..., according to [2]." loses its marker: the dangling "according to (the evidence)" goes too
        words = re.sub(r",?\s+according to(?: the)?(?: evidence)?(?:[\s,;]|\band\b)*(?=[.!?]$)", "", words, flags=re.I)
        words = re.sub(r",?\s+according to(?:[\s,;]|\band\b)*,\s*(?=according to)", ", ", words, flags=re.I)  # "according to,,,, and, according to X"
        if words:
            out.append(Drafted(words, list(dict.fromkeys(marks)), raw))
    return out


def _numbers(text: str) -> set[str]:
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in (x.lower() for x in _WORDS.findall(text)) if w in _NUMBER_WORDS}
    return {n[:-2] if n.endswith(".0") else n for n in found}


def _allowed(evidence: list[Evidence]) -> str:
    """What a sentence citing ``evidence`` may draw on: each evidence sentence, who says it and who
    carried it, and the day it describes when resolved; not the title (it may say more)."""
    parts = []
    for e in evidence:
        a = e.attribution or {}
        parts += [e.text, e.source, a.get("speaker") or "", a.get("role") or "", a.get("affiliation") or "",
                  a.get("leaning") or "", a.get("carrier") or ""]
        ev = e.event or {}
        day = ev.get("event_date") if ev.get("dated_by") in ("explicit", "relative") else None  # resolved, not assumed
        if day and re.match(r"\d{4}-\d{2}-\d{2}$", day):
            y, m, d = day.split("-")
            parts += [y, MONTHS[int(m) - 1], str(int(d))]
    return " ".join(parts)


def _pool(evidence: list[Evidence]) -> tuple[set[str], set[str]]:
    """Words and numbers the cited evidence allows."""
    text = _allowed(evidence)
    words = {w.lower().removesuffix("'s").removesuffix("’s") for w in _WORDS.findall(text)}
    words |= {p for w in list(words) if "-" in w for p in w.split("-") if p}  # "al-Abdi" allows "Abdi"
    return words, _numbers(text)


def check_facts(sentence: str, evidence: list[Evidence]) -> str | None:
    """Why ``sentence`` says more than ``evidence`` (a number, name or date not in it), or None."""
    words, numbers = _pool(evidence)
    missing = sorted(n for n in _numbers(sentence) if n not in numbers)
    if missing:
        return f"the number {missing[0]} is not in the evidence it cites"
    for m in _CAPITAL.finditer(sentence):
        w = m.group(0).lower().removesuffix("'s").removesuffix("’s").strip("-")
        opener = not sentence[: m.start()].strip(" \"'“‘(")  # any sentence starts with a capital
        if not w or w in _PLAIN or (opener and w not in MONTHS and w not in WEEKDAYS and len(w) < 3):
            continue
        if opener and w not in MONTHS and w not in WEEKDAYS and not _looks_like_name(sentence, m):
            continue
        if w not in words and not all(p in words for p in w.split("-") if p):
            what = "date" if w in MONTHS or w in WEEKDAYS else "name"
            return f"the {what} {m.group(0)!r} is not in the evidence it cites"
    for w in (x.lower() for x in _WORDS.findall(sentence)):
        if (w in MONTHS or w in WEEKDAYS) and w not in words:
            return f"the date {w!r} is not in the evidence it cites"
    return None


def _looks_like_name(sentence: str, m: re.Match) -> bool:
    """A sentence's first word is a name when the next word is capitalised too ("Mustafa al-Abdi",
    "Kurdish forces" is not told apart: it is checked), or it is followed by a reporting verb."""
    rest = sentence[m.end():].lstrip()
    nxt = rest.split(" ", 1)[0] if rest else ""
    return bool(nxt) and (nxt[:1].isupper() or nxt.lower().strip(",") in _REPORTING)


def word_support(sentence: str, cited: list[str]) -> float:
    """Share of the sentence's content words (stemmed, stop words out, as BM25 reads them) found in ``cited``."""
    from index.lexical import tokenize

    mine, *theirs = tokenize([sentence, *cited])
    if not mine:
        return 1.0
    have = {t for toks in theirs for t in toks}
    return len(set(mine) & have) / len(set(mine))


def new_words(sentence: str, cited: list[Evidence], question: str) -> list[str]:
    """The sentence's content words that neither the evidence it cites (``_allowed``: the sentences,
    who says them, the outlet, the day) nor the question have.

    Words compare stemmed, as BM25 reads them; stop words (bm25s's and spaCy's English lists) and
    numbers (``check_facts`` reads those) are left out. The question's words may be repeated ("In
    modern times, the clearing ..."), except those of a choice it offers: the two content words on
    either side of an "or" ("increase or decrease") count only where the evidence has them, so an
    answer cannot take its pick from the question.
    """
    from index.lexical import tokenize

    stop = _stop_words()
    words = [w for w in dict.fromkeys(_WORD.findall(sentence.lower())) if w not in stop and not w[:1].isdigit()]
    if not words:
        return []
    have = set(tokenize([_allowed(cited)])[0])
    asked = [w for w in _WORD.findall(question.lower()) if w not in stop or w == "or"]
    choice: set[str] = set()
    for i, w in enumerate(asked):
        if w == "or":
            choice.update(asked[max(i - 2, 0) : i] + asked[i + 1 : i + 3])
    have |= {t for toks in tokenize([" ".join(w for w in asked if w not in choice and w != "or")]) for t in toks}
    stems = [toks[0] if toks else "" for toks in tokenize(words)]
    return [w for w, st in zip(words, stems, strict=True) if st and st not in have]


_WORD = re.compile(r"\w\w+")


def verify(drafts: list[Drafted], evidence: list[Evidence], embedder: Embedder, min_meaning: float,
           vectors: np.ndarray | None = None, min_words: float = 0.0,
           question: str | None = None, relations: bool = False) -> tuple[list[Claim], list[dict]]:
    """Keep the drafted sentences the cited evidence supports; the rest, with reasons.

    ``question``: when given, a sentence with a word that neither its evidence nor the question has
    is dropped too (``new_words``). ``relations``: a sentence whose words the evidence does not put
    together as it does is dropped too (``qa.relations.problem``).
    """
    kept: list[Claim] = []
    dropped: list[dict] = []
    todo: list[tuple[Drafted, list[int], str | None]] = []  # sentence, its markers, why its facts fail
    for d in drafts:
        marks = [m for m in d.markers if 1 <= m <= len(evidence)]
        if not marks:
            reason = "cites no evidence" if not d.markers else f"cites evidence that does not exist ({d.markers})"
            dropped.append({"text": d.text, "reason": reason})
            continue
        cited = [evidence[m - 1] for m in marks]
        why = check_facts(d.text, cited)
        if why is None and min_words:
            share = word_support(d.text, [e.text for e in cited])
            if share < min_words:
                why = f"most of its words are not in the evidence it cites ({share:.2f} < {min_words:.2f})"
        todo.append((d, marks, why))
    if not todo:
        return kept, dropped
    if vectors is None:
        vectors = embedder.embed_sentences([e.text for e in evidence])
    dvecs = embedder.embed_sentences([d.text for d, _, _ in todo])
    for (d, marks, why), v in zip(todo, dvecs, strict=True):
        if why:  # the cited sentence lacks a fact: one other evidence sentence may hold them all
            fix = _recite(d.text, v, evidence, vectors, min_meaning, min_words)
            if fix is None:
                dropped.append({"text": d.text, "reason": why, "markers": marks})
                continue
            _keep(kept, dropped, d, (evidence[fix],), question, marks, relations)
            continue
        sims = vectors[[m - 1 for m in marks]] @ v
        best = float(np.max(sims))
        if best < min_meaning:
            dropped.append({"text": d.text, "reason": f"its meaning is not close enough to the evidence it cites "
                                                      f"(cosine {best:.2f} < {min_meaning:.2f})", "markers": marks})
            continue
        # cite the sentences it is close to (at least the best one), in the order the model gave them
        chosen = [m for m, s in zip(marks, sims, strict=True) if s >= min_meaning] or [marks[int(np.argmax(sims))]]
        _keep(kept, dropped, d, tuple(evidence[m - 1] for m in chosen), question, marks, relations)
    return kept, dropped


def _keep(kept: list[Claim], dropped: list[dict], d: Drafted, cited: tuple[Evidence, ...], question: str | None,
          marks: list[int], relations: bool = False) -> None:
    """The sentence as a claim on ``cited`` (naming who says it), unless it says a word neither they nor
    the question have, or puts its words together otherwise than they do."""
    extra = new_words(d.text, list(cited), question) if question is not None else []
    if extra:
        dropped.append({"text": d.text, "reason": "it says what the evidence it cites does not: "
                                                  + ", ".join(repr(w) for w in extra[:5]), "markers": marks})
        return
    why = problem(d.text, [e.text for e in cited], _who(cited)) if relations else None
    if why:
        dropped.append({"text": d.text, "reason": why, "markers": marks})
        return
    kept.append(Claim(name_sources(d.text, cited), cited, "generated"))


def _who(cited: tuple[Evidence, ...]) -> list[str]:
    """Who the evidence says is speaking and who carried it: what a sentence may name as its source."""
    out = []
    for e in cited:
        a = e.attribution or {}
        out += [e.source, a.get("speaker") or "", a.get("role") or "", a.get("affiliation") or "", a.get("carrier") or "",
                (a.get("source") or {}).get("text") or ""]
    return [x for x in out if x]


def name_sources(sentence: str, cited: tuple[Evidence, ...] | list[Evidence]) -> str:
    """``sentence`` with who its evidence says is speaking, when it leaves them out: "The bridge will
    reopen on Monday, according to the mayor." An unnamed speaker ("he said") is not added."""
    from qa.attribution import source_words

    have = {w.lower().strip("'’") for w in _WORDS.findall(sentence)}
    missing = []
    for e in cited:
        a = e.attribution or {}
        who = " ".join((a.get("speaker") or "").split())
        if a.get("kind") in (None, "unattributed") or not who:
            continue
        said_by = " ".join((who, (a.get("source") or {}).get("text") or ""))  # "U.S." is also "a U.S. defense official"
        names = {w.lower() for w in _WORDS.findall(said_by) if len(w) > 2 and w.lower() not in _PLAIN} | source_words(a)
        if not names & have and who not in missing:
            missing.append(who)
    if not missing:
        return sentence
    body, end = re.match(r"(.*?)([.!?]*)$", sentence.rstrip(), re.S).groups()
    who = " and ".join(missing)
    return f"{body.rstrip(' ,;:')}, according to {who}{'' if who.endswith('.') and end == '.' else end or '.'}"


def _recite(text: str, vec: np.ndarray, evidence: list[Evidence], vectors: np.ndarray, min_meaning: float,
            min_words: float = 0.0) -> int | None:
    """The evidence sentence (index) that holds every fact of ``text`` and is closest to it in meaning, when
    the model put the wrong marker; None when no single sentence supports it."""
    sims = vectors @ vec
    for i in np.argsort(-sims):
        if sims[i] < min_meaning:
            return None
        if check_facts(text, [evidence[int(i)]]) is None and word_support(text, [evidence[int(i)].text]) >= min_words:
            return int(i)
    return None


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
        if DOES_NOT_SAY in r.raw.lower() and not _MARKER.search(r.raw):
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

