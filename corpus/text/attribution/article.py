"""Rules across an article's sentences: quotations that run over sentences, and speakers named earlier."""

from __future__ import annotations

import re
from dataclasses import replace

from corpus.text.attribution.cues import PRONOUNS
from corpus.text.attribution.types import Relation, Span


def merge_quotes(rels: list[Relation], text: str) -> list[Relation]:
    """A direct quote that runs over several sentences: the content is the whole quotation.

    The parser sees one sentence at a time, so a quote opened in an earlier sentence (or closed in
    a later one) is completed here from the quotation marks, within one paragraph.
    """
    out = []
    cues = sorted(r.cue.start for r in rels)
    for r in rels:
        s, e = _quotation(text, r.content.start, r.content.end)
        if r.kind == "direct" or (s, e) != (r.content.start, r.content.end):
            e = _continued(text, e, cues)
        if (s, e) != (r.content.start, r.content.end):
            r = replace(r, content=Span(text[s:e], s, e), kind="direct")
        out.append(r)
    return out


def _para_end(text: str, i: int) -> int:
    """The end of the paragraph (line) that offset ``i`` is in."""
    end = text.find("\n", i)
    return len(text) if end < 0 else end


# after a quotation that stops at a comma: the cue and source, a comma, and the quotation going on
_SPLIT_QUOTE = re.compile(r"(?<=,[”\"])[^“”\".!?;:\n]{2,80}?,\s*([“\"])(?=[a-z])")


def _continued(text: str, e: int, cues: list[int]) -> int:
    """The end of a quotation that goes on in the next sentences of the paragraph, after "…," he said.

    Each following sentence that is only a quotation, with no cue of its own, continues it, and so
    does each following paragraph that is one quotation with no cue (news style for a long quote).
    """
    para_end = _para_end(text, e)
    split = _SPLIT_QUOTE.match(text, e, para_end)  # "“Only you,” she said, “would do that.”": the same quotation
    if split:
        opener = split.group(1)
        close = text.find("”" if opener == "“" else '"', split.end(), para_end)
        if close > 0 and not any(split.end() <= c <= close for c in cues) and opener not in text[split.end() : close]:
            e = close + 1
    while True:
        stop = text.find(".", e, para_end)
        rest = text[stop + 1 if stop >= 0 else e : para_end]
        nxt = rest.lstrip()
        if not nxt:  # the paragraph ends here: a next paragraph that is one quotation, with no cue, goes on
            nxt_end = _quote_paragraph(text, para_end, cues)
            if nxt_end is None:
                return e
            e = para_end = nxt_end
            continue
        if stop < 0:
            return e
        if nxt[0] not in "“\"":
            return e
        start = stop + 1 + (len(rest) - len(nxt))
        closer = "”" if nxt[0] == "“" else '"'
        close = text.find(closer, start + 1, para_end)
        if close < 0 or any(start <= c <= close for c in cues) or text[close + 1 : close + 2] not in ("", " ", "\n"):
            return e
        e = close + 1


def _quote_paragraph(text: str, at: int, cues: list[int]) -> int | None:
    """The end of the paragraph after offset ``at`` when it is one quotation with no cue in it, else None."""
    start = at
    while start < len(text) and text[start].isspace():
        start += 1
    if start >= len(text) or text[start] not in "“\"":
        return None
    end = _para_end(text, start)
    para = text[start:end].rstrip()
    closer = "”" if para[0] == "“" else '"'
    if len(para) < 3 or para[-1] != closer or para.find(closer, 1) != len(para) - 1 or \
            (closer == "”" and "“" in para[1:]) or any(start <= c < end for c in cues):
        return None
    return start + len(para)


def _quotation(text: str, s: int, e: int) -> tuple[int, int]:
    """``s..e`` widened to the quotation marks that open or close around it (curly or straight)."""
    para_start = text.rfind("\n", 0, s) + 1
    para_end = _para_end(text, e)
    seg = text[s:e]
    tail = text[e:para_end]
    if seg.count("“") > seg.count("”"):  # opened, closed later
        close = tail.find("”")
        if close >= 0 and "“" not in tail[:close]:
            e += close + 1
    elif seg.count("”") > seg.count("“") or tail.lstrip(",.;:!? ")[:1] in ("”", '"') and not seg.count('"') % 2:
        mark = "”" if seg.count("”") > seg.count("“") or tail.lstrip(",.;:!? ")[:1] == "”" else '"'
        if seg.count("”") <= seg.count("“"):  # the closing mark follows the clause: take it
            e += tail.index(mark) + 1
        opener = "“" if mark == "”" else '"'
        head = text[para_start:s]
        o = head.rfind(opener)
        if o >= 0 and (mark not in head[o + 1 :]) and not (opener == '"' and head.count('"') % 2 == 0):
            s = para_start + o
    return s, e


def resolve_speakers(rels: list[Relation], text: str, outlet: str) -> list[Relation]:
    """Speakers: pronouns and surnames to the full name named before; carriers default to the outlet."""
    named: list[tuple[str, Relation]] = []  # speakers named in full so far, in order
    out = []
    for r in sorted(rels, key=lambda r: r.cue.start):
        src = r.source.text if r.source else ""
        speaker = r.speaker or (src if src.lower() not in PRONOUNS else None)
        words = src.split()
        if src.lower() in PRONOUNS:
            prev = next((n for n in reversed(named) if n[1].cue.start < r.cue.start), None)
            speaker = prev[0] if prev else None
            if prev:
                r = _inherit(r, prev[1])
        elif len(words) == 1 and named:
            prev = next((n for n in reversed(named) if n[0].split()[-1].casefold() == words[0].casefold()
                         or n[0].split()[-1].casefold().endswith(words[0].casefold())), None)
            if prev:
                speaker = prev[0]
                r = _inherit(r, prev[1])
        if speaker and r.role is None and speaker[:1].isupper():
            speaker, role = _described(text, speaker)
            if role:
                r = replace(r, role=role)
        if speaker and len(speaker.split()) >= 2:
            named.append((speaker, r))
        out.append(replace(r, speaker=speaker, carrier=r.carrier or outlet or None))
    return out


_DESC = r"(?:[Aa]|[Aa]n|[Tt]he)\s+[A-Za-z][^,.;:“”\"()\n]{2,80}?"


def _described(text: str, speaker: str) -> tuple[str, str | None]:
    """Where the article describes a source that was not described where it spoke: "Alireza Tangsiri,
    the head of Iran's navy," or "the head of Iran's navy, Alireza Tangsiri". A surname-only speaker
    takes the full name given there. Returns ``(speaker, role or None)``."""
    name = re.escape(speaker)
    full = rf"(?:[A-Z][\w’'.-]+\s+){{0,3}}{name}" if len(speaker.split()) == 1 else name
    for pattern in (rf"\b(?P<n>{full}),\s+(?P<d>{_DESC})(?=,|\s+(?:who|said|says|told))",
                    rf"(?:^|[.,;]\s+|\b(?:by|with|from)\s+)(?P<d>{_DESC}),\s+(?P<n>{full})\b"):
        m = re.search(pattern, text)
        if m and "said" not in m.group("d").split():
            n = m.group("n")
            return (n if len(n.split()) > len(speaker.split()) else speaker), m.group("d").strip()
    return speaker, None


def _inherit(r: Relation, named: Relation) -> Relation:
    """A later mention of a source keeps what the article said of it at first mention."""
    return replace(r, role=r.role or named.role, affiliation=r.affiliation or named.affiliation,
                   leaning=r.leaning or named.leaning)
