"""Terms: the stemmed keywords of a text as the keyword index reads them, and the words and names
two texts about one thing share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from corpus.text.vocabulary import FUNCTION_WORDS, keyword_stop_words


@lru_cache(maxsize=1)
def stemmer():
    """PyStemmer's English (Snowball) stemmer, shared."""
    import Stemmer

    return Stemmer.Stemmer("english")


_WORDS = re.compile(r"(?u)\b\w\w+\b").findall  # bm25s's (and scikit-learn's) token pattern


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-case, drop English stop words, stem: the same for passages and queries.

    Exactly ``bm25s.tokenize(texts, stopwords="en", stemmer=english, return_ids=False)`` (its pattern,
    stop list and PyStemmer's stemmer; ``tests/corpus/text/test_terms.py`` compares the two), without
    its per-call overhead: bm25s builds its stop-word set again for every text and three progress
    bars per call, and a question tokenizes many lists of sentences.
    """
    stop = keyword_stop_words()
    docs = [[t for t in _WORDS(text.lower()) if t not in stop] for text in texts]
    unique = list(dict.fromkeys(t for doc in docs for t in doc))
    stems = dict(zip(unique, stemmer().stemWords(unique), strict=True))
    return [[stems[t] for t in doc] for doc in docs]


_WORD = re.compile(r"[\w'’-]+")


@lru_cache(maxsize=8192)  # a claim is compared with every candidate, a sentence with every claim
def content_words(text: str) -> frozenset[str]:
    """The words of ``text`` longer than two letters that are not function words, lower-cased."""
    return frozenset(w.lower().strip("'’-") for w in _WORD.findall(text) if w.lower() not in FUNCTION_WORDS and len(w) > 2)


@lru_cache(maxsize=8192)
def key_terms(text: str) -> frozenset[str]:
    """Names (capitalised words not at a sentence start) and numbers: what two reports of one event share."""
    words = _WORD.findall(text)
    out = {w.lower() for i, w in enumerate(words) if i and w[:1].isupper() and w.lower() not in FUNCTION_WORDS}
    return frozenset(out | {w for w in words if any(ch.isdigit() for ch in w)})
