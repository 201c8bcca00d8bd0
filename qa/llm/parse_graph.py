"""A parsed sentence as a graph of its words, for the relation checks (``qa.llm.relations``)."""

from __future__ import annotations

import threading
from collections import deque
from functools import lru_cache

from corpus.text.nlp import annotate, lemma, parser
from corpus.text.terms import stemmer
from corpus.text.vocabulary import check_stop_words

_CONTENT = {"NOUN", "PROPN", "VERB", "ADJ", "NUM"}
_NAME = {"PROPN", "NUM"}
_VERBS = {"VERB", "AUX"}
REPORTING_STEMS = frozenset("say tell report announc state add claim confirm deni write".split())  # stems of the lemmas
SUBJECT = {"nsubj", "nsubjpass"}


_parse_lock = threading.Lock()


@lru_cache(maxsize=512)  # a sentence is read again by each check, an evidence sentence by each claim citing it
def parse(text: str):
    with _parse_lock:  # the server answers on several threads: one parse at a time
        return annotate(parser()(text))


def key(tok) -> str:
    w = tok.lower_.strip("'’-")
    if tok.like_num:
        return w.replace(",", "")
    if tok.pos_ in ("VERB", "AUX"):  # "flew" and "flown": one verb
        w = lemma(tok).lower()
    return stemmer().stemWord(w)


def is_content(tok) -> bool:
    return tok.pos_ in _CONTENT and tok.lower_ not in check_stop_words() and not tok.is_punct and len(tok.text) > 1


class Graph:
    """A parsed sentence as an undirected graph whose nodes are tokens, a name's words merged into one;
    clauses joined by "and" (or set side by side) are not linked."""

    def __init__(self, text: str):
        self.doc = doc = parse(text)
        self.node = list(range(len(doc)))
        for tok in doc:  # "Harvard University", "Ketanji Brown Jackson" (a first name the tagger read as a noun too): one node
            if tok.pos_ in ("PROPN", "NOUN") and tok.dep_ in ("compound", "flat") and tok.head.pos_ == "PROPN":
                self.node[tok.i] = tok.head.i
        for i in range(len(doc)):  # follow chains of compounds to the name's head
            j = i
            while self.node[j] != j:
                j = self.node[j]
            self.node[i] = j
        self.adj: dict[int, set[int]] = {}
        for tok in doc:
            a, b = self.node[tok.i], self.node[tok.head.i]
            if tok.dep_ in ("conj", "parataxis") and tok.pos_ in _VERBS and tok.head.pos_ in _VERBS:
                continue  # two clauses, two statements: "Manbij was captured on Monday, and Tabqa fell in March"
            if a != b:
                self.adj.setdefault(a, set()).add(b)
                self.adj.setdefault(b, set()).add(a)
        self.keys: dict[int, set[str]] = {}
        for tok in doc:
            if is_content(tok):
                self.keys.setdefault(self.node[tok.i], set()).add(key(tok))

    def near(self, start: int, steps: int) -> set[int]:
        """Nodes within ``steps`` dependency steps of node ``start`` (not itself)."""
        seen, todo = {start: 0}, deque([start])
        while todo:
            n = todo.popleft()
            if seen[n] == steps:
                continue
            for m in self.adj.get(n, ()):
                if m not in seen:
                    seen[m] = seen[n] + 1
                    todo.append(m)
        return set(seen) - {start}

    def near_keys(self, start: int, steps: int) -> set[str]:
        return {k for n in self.near(start, steps) for k in self.keys.get(n, ())}

    def names(self) -> dict[int, str]:
        """Name and number nodes, with the name's text."""
        out = {}
        for tok in self.doc:
            n = self.node[tok.i]
            if tok.pos_ in _NAME and is_content(tok) and n not in out:
                head = self.doc[n]
                out[n] = " ".join(t.text for t in self.doc if self.node[t.i] == n and t.pos_ in _NAME) or head.text
        return out

    def claimed(self) -> dict[int, str]:
        """``names`` less those naming a source ("according to the UN", "Valisure said"): who says
        a thing is not part of what is said (``_sources`` reads it)."""
        said = {self.node[i] for i in source_tokens(self.doc)}
        return {n: name for n, name in self.names().items() if n not in said}

    def nodes_with(self, key: str) -> list[int]:
        return [n for n, ks in self.keys.items() if key in ks]


def keys_of(tokens) -> set[str]:
    return {key(t) for t in tokens if is_content(t)}


def source_tokens(doc) -> set[int]:
    """Tokens that say who says something: "according to X" and the subject of a reporting verb."""
    out: set[int] = set()
    for tok in doc:
        if tok.lower_ == "according":
            out |= {t.i for t in tok.subtree}
        elif tok.pos_ == "VERB" and key(tok) in REPORTING_STEMS:
            out |= {t.i for c in tok.children if c.dep_ in SUBJECT for t in c.subtree}
    return out
