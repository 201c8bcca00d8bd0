"""Attribution: who, in an article, says what (PARC / PolNeAR relations: source, cue, content).

For every sentence with a reporting cue (a reporting verb such as "said", "told", "reported",
"added", "claimed", or "according to") spaCy's English pipeline parses it, and rules over the
parse find the *source* (the verb's subject, or the object of "according to"), the *cue* (the verb
with its auxiliaries) and the *content* (the clause or quotation attributed). Derived fields come
from the same sentence or the article: ``kind`` (direct quote, indirect, according-to), the
source's ``role`` and ``affiliation`` as an appositive states them ("a Syria-based correspondent
for the Lebanese pro-regime news channel Al-Mayadeen"), its stated ``leaning`` ("pro-regime"),
``speaker`` (a pronoun or a surname resolved to the full name given earlier in the article) and
``carrier`` (the outlet that published the article, or the one told: "told Syria Direct").

Every span is a character span of the article text. A field the text does not support is None:
no attribution is better than a wrong one. Only sentences with a cue word are parsed.
"""

from __future__ import annotations

from corpus.text.attribution.article import merge_quotes, resolve_speakers
from corpus.text.attribution.cues import CUE_WORDS, stated_leaning
from corpus.text.attribution.sentence import sentence_relations
from corpus.text.attribution.types import Relation, Span
from corpus.text.nlp import annotate, pipeline
from corpus.text.sentences import sentence_spans

VERSION = "rules-8"  # stored with each article's relations: a new version recomputes them at the next ingest
MAX_SENTENCE_CHARS = 2000  # longer "sentences" (tables, run-ons) are not parsed


class Extractor:
    """Finds the attribution relations of articles."""

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size

    def extract(self, article_id: str, text: str, outlet: str = "") -> list[Relation]:
        return self.extract_many([(article_id, text, outlet)])[0]

    def extract_many(self, articles: list[tuple[str, str, str]]) -> list[list[Relation]]:
        """Relations of each ``(article_id, text, outlet)``, in article order."""
        jobs = []  # (article index, sentence start, sentence text)
        for i, (_, text, _) in enumerate(articles):
            for s, e in sentence_spans(text):
                if e - s <= MAX_SENTENCE_CHARS and CUE_WORDS.search(text, s, e):
                    jobs.append((i, s, text[s:e]))
        out: list[list[Relation]] = [[] for _ in articles]
        if not jobs:
            return out
        nlp = pipeline()
        for (i, s, _), doc in zip(jobs, nlp.pipe((j[2] for j in jobs), batch_size=self.batch_size), strict=True):
            aid, text, outlet = articles[i]
            out[i].extend(sentence_relations(annotate(doc), s, aid, outlet))
        for i, (_, text, outlet) in enumerate(articles):
            out[i] = resolve_speakers(merge_quotes(out[i], text), text, outlet)
        return out


def extract_relations(text: str, article_id: str = "", outlet: str = "") -> list[Relation]:
    """The attribution relations of one article's text: text in, relations out."""
    return Extractor().extract(article_id, text, outlet)


__all__ = ["VERSION", "Extractor", "Relation", "Span", "extract_relations", "stated_leaning"]
