"""Checking a written answer: its sentences split from the reply, and each kept only when the evidence it
cites supports it (see ``qa.llm.writer`` for the checks in order)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from corpus.text.sentences import sentence_spans
from corpus.text.terms import tokenize
from corpus.text.vocabulary import (
    DOZEN,
    HUNDRED,
    MONTHS,
    NOT_NAMES,
    REPORTED,
    SMALL_NUMBERS,
    TENS,
    THOUSAND,
    WEEKDAYS,
    check_stop_words,
)
from index.embed import Embedder
from qa.llm.relations import problem
from qa.types import Claim, Evidence

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
_CAPITAL = re.compile(r"\b[A-Z][\w'’\-]*")
_WORDS = re.compile(r"[\w'’\-]+")
_NUMBER_WORDS = {w: str(n) for w, n in (SMALL_NUMBERS | TENS | HUNDRED | THOUSAND | DOZEN).items()}


@dataclass
class Drafted:
    """One sentence of the model's reply: its words (markers removed) and the evidence numbers it cites."""

    text: str
    markers: list[int]
    raw: str


def split(reply: str) -> list[Drafted]:
    """The reply's sentences, each with the markers after (or inside) it."""
    text = " ".join(reply.replace("\r", " ").split())
    # a marker after the full stop belongs to the sentence before it: "... killed. [1] Then ..." -> "... killed [1]. Then"
    text = re.sub(r"([.!?])\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]\s*)+)", lambda m: f" {m.group(2).strip()}{m.group(1)} ", text)
    out = []
    # Punkt (``corpus.text.sentences``), not a full stop before a capital: "Dwight D. Eisenhower", "c. 20 000 years
    # ago" and "Gov. Kay Ivey" stay in one sentence, which keeps its marker; a piece in lower case after one
    # without a marker continues it ("glacier arms, i.e. components of ...")
    pieces: list[str] = []
    for a, b in sentence_spans(text):
        raw = text[a:b].strip()
        if raw and pieces and raw[0].islower() and not MARKER.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {raw}"
        elif raw:
            pieces.append(raw)
    for raw in pieces:
        marks = [int(x) for m in MARKER.finditer(raw) for x in re.split(r"[,;]", m.group(1))]
        words = " ".join(MARKER.sub(" ", raw).split())
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
        if not w or w in NOT_NAMES or (opener and w not in MONTHS and w not in WEEKDAYS and len(w) < 3):
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
    return bool(nxt) and (nxt[:1].isupper() or nxt.lower().strip(",") in REPORTED)


def word_support(sentence: str, cited: list[str]) -> float:
    """Share of the sentence's content words (stemmed, stop words out, as BM25 reads them) found in ``cited``."""
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
    stop = check_stop_words()
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
    together as it does is dropped too (``qa.llm.relations.problem``).
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
    from qa.analysis.attribution import source_words

    have = {w.lower().strip("'’") for w in _WORDS.findall(sentence)}
    missing = []
    for e in cited:
        a = e.attribution or {}
        who = " ".join((a.get("speaker") or "").split())
        if a.get("kind") in (None, "unattributed") or not who:
            continue
        said_by = " ".join((who, (a.get("source") or {}).get("text") or ""))  # "U.S." is also "a U.S. defense official"
        names = {w.lower() for w in _WORDS.findall(said_by) if len(w) > 2 and w.lower() not in NOT_NAMES} | source_words(a)
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
