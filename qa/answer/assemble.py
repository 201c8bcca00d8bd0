"""Rendering claims as an ``Answer``: numbered markers, the citations they point at, and the text.

Markers are numbered by first use; the citation list holds only evidence that some claim cites, so
no marker points at nothing and no citation is unused.
"""

from __future__ import annotations

from qa.types import Answer, Citation, Claim, Evidence

NOT_FOUND = "The indexed articles do not answer this."


def assemble(question: str, claims: list[Claim], searched: str | None = None, layout: str = "prose") -> Answer:
    """The answer text ``"claim [1] claim [2] ..."`` and its citations; ``layout="list"``: one claim a line."""
    if not claims:
        return not_found(question, (), searched)
    markers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    parts = []
    for claim in claims:
        nums = []
        for e in claim.evidence:
            if e.key not in markers:
                markers[e.key] = len(markers) + 1
                citations.append(Citation.of(markers[e.key], e))
            nums.append(markers[e.key])
        parts.append(claim.text + "".join(f" [{n}]" for n in nums))
    return Answer(question, ("\n" if layout == "list" else " ").join(parts), tuple(citations), searched=searched,
                  claims=tuple(claims))


def not_found(question: str, closest: tuple[Evidence, ...], searched: str | None = None) -> Answer:
    """"The indexed articles do not answer this.", with the nearest passages for the reader to judge."""
    return Answer(question, NOT_FOUND, not_found=True, searched=searched,
                  closest=tuple(Citation.of(i, e) for i, e in enumerate(closest, 1)))
