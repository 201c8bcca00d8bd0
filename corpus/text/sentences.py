"""Sentence boundaries with character offsets.

Uses NLTK's Punkt model, whose English parameters ship inside llama-index-core (no download).
Every line break is a boundary too: news text has headlines, captions and datelines without a
full stop.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache

_LINE = re.compile(r"[^\n]+")


@lru_cache(maxsize=1)
def _punkt():
    import importlib.util

    import nltk
    from nltk.tokenize import PunktTokenizer

    # located, not imported: importing llama_index.core costs over a second of start-up
    spec = importlib.util.find_spec("llama_index.core")
    bundled = os.path.join(next(iter(spec.submodule_search_locations)), "_static", "nltk_cache")
    if bundled not in nltk.data.path:
        nltk.data.path.insert(0, bundled)
    tok = PunktTokenizer("english")
    tok._params.abbrev_types.update(_TITLES)
    return tok


# titles before a name that Punkt's English model does not know: "Former Florida Gov. Jeb Bush"
_TITLES = frozenset("gov govs pres rev sgt capt cmdr cpl pvt gens sens supt atty amb hon dept".split())
# "She declared “What a day!” and said ...": an exclamation or question inside a sentence
_INNER_STOP = re.compile(r"[!?][”’\"')]*$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each sentence in ``text``, stripped of surrounding blanks."""
    tok = _punkt()
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        base = line.start()
        for s, e in tok.span_tokenize(line.group()):
            piece = text[base + s : base + e]
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece) - len(piece.rstrip())
            if e - s - lead - trail > 0:
                a, b = base + s + lead, base + e - trail
                if spans and text[a].islower() and spans[-1][1] >= base and _INNER_STOP.search(text, spans[-1][0], spans[-1][1]):
                    spans[-1] = (spans[-1][0], b)  # a sentence does not start in lower case
                else:
                    spans.append((a, b))
    return spans


def passage_spans(passage) -> list[tuple[int, int]]:
    """The sentences of a passage (relative to its text): as stored at ingest, else found now."""
    return list(passage.sentences) if passage.sentences else sentence_spans(passage.text)


def pack_spans(spans) -> str:
    """Sentence spans as stored in the passage table: a flat JSON list ``[start, end, start, end, ...]``."""
    return json.dumps([x for span in spans for x in span], separators=(",", ":"))


def unpack_spans(value: str | None) -> tuple[tuple[int, int], ...] | None:
    """The spans ``pack_spans`` wrote (None when the row has none: written before they were kept)."""
    if not value:
        return None
    flat = json.loads(value)
    return tuple(zip(flat[::2], flat[1::2], strict=True)) or None
