"""The lexical tokenizer is bm25s's own rule, word for word."""

from __future__ import annotations

import bm25s
import Stemmer

from corpus.text.terms import tokenize
from tests.conftest import ROOT

ARTICLES = ROOT / "corpus" / "articles"


def test_tokenize_gives_what_bm25s_tokenize_gives():
    texts = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))]
    texts += [line for t in texts for line in t.splitlines()]  # many short texts sharing words
    texts += ["", "a I", "The THE the", "Ünïcode naïve café — “quotes” 2015-03-25 x_y __init__ https://example.org/x?y=1",
              "Kurdish YPG fighters captured 12 villages near Kobani", "running runs ran runner's", "İstanbul ΑΘΗΝΑ straße"]
    want = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False, show_progress=False)
    assert tokenize(texts) == want
    assert tokenize([]) == []
    assert tokenize(["the and of"]) == [[]]
