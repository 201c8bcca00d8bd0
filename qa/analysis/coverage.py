"""Which outlets reported it? One line per outlet: how the articles describe it (its kind and stated
leaning, as the attribution layer read them where it is cited) and what it reported, cited.

An outlet is the source a sentence is attributed to when the article describes that source as an
outlet ("the pro-opposition news site All4Syria"), or the publishing outlet for its own reporting.
Nothing is said of an outlet that the cited sentence does not state.
"""

from __future__ import annotations

from collections.abc import Sequence

from corpus.text.attribution.cues import OUTLET_WORDS
from qa.types import Claim, Evidence

MOST_A_LINE = 3  # sentences of one article's report on its line


def reporter(e: Evidence) -> tuple[str, str]:
    """``(outlet, how the article describes it)``: "All4Syria", "the pro-opposition news site; stated
    leaning pro-opposition"; or the publishing outlet and "its own reporting"."""
    a = e.attribution or {}
    role = a.get("role") or a.get("affiliation") or ""
    if a.get("kind") not in (None, "unattributed") and a.get("speaker") and set(role.lower().split()) & OUTLET_WORDS:
        said = "; ".join(x for x in (role, f"stated leaning {a['leaning']}" if a.get("leaning") else "") if x)
        return a["speaker"], f"{said}, as {e.source or 'the article'} describes it"
    return (e.source or e.title), "its own reporting"


def coverage_claims(evidence: Sequence[Evidence]) -> list[Claim] | None:
    """One claim per outlet and article (an outlet's several reports each keep their citation), in
    the order the evidence names them; None when there is no evidence."""
    by: dict[tuple[str, str], tuple[str, list[Evidence]]] = {}
    for e in evidence:
        name, described = reporter(e)
        row = by.setdefault((name, e.article_id), (described, []))
        if e not in row[1]:
            row[1].append(e)
    out = []
    for (name, _), (described, evs) in by.items():
        shown = evs[:MOST_A_LINE]
        out.append(Claim(f"{name} ({described}): {' '.join(' '.join(e.text.split()) for e in shown)}", tuple(shown)))
    return out or None
