"""The text toolkit: sentences, terms, one vocabulary, figures, spaCy's pipeline and the attribution
extractor (text in, relations out). It knows nothing of indexes or answers; ``index`` and ``qa`` build on it."""
