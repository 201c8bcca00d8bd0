"""Articles and how they are read from files."""

from corpus.article import Article, Skipped
from corpus.errors import CorpusError, UnreadableInput
from corpus.load import LoadReport, iter_articles, load_articles, parse_date

__all__ = [
    "Article",
    "CorpusError",
    "LoadReport",
    "Skipped",
    "UnreadableInput",
    "iter_articles",
    "load_articles",
    "parse_date",
]
