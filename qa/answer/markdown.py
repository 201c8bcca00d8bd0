"""An answer as Markdown (``Answer.to_markdown``) and who a citation says is speaking, for a reader."""

from __future__ import annotations


def answer_markdown(answer) -> str:
    """An ``Answer`` and its numbered sources in Markdown, article text made literal."""
    lines = [f"**Q:** {_md_escape(answer.question)}", ""]
    if answer.searched and answer.searched != answer.question:
        lines += [f"_Searched for: {_md_escape(answer.searched)}_", ""]
    read = read_as_line(answer.read_as)
    if read:
        lines += [f"_{_md_escape(read)}_", ""]
    active = filters_line(answer.filters)
    if active:
        lines += [f"_{_md_escape(active)}_", ""]
    if answer.time_window:
        lines += [f"_Preferring articles published {answer.time_window[0]} to {answer.time_window[1]}_", ""]
    if answer.notice:
        lines += [f"_{_md_escape(answer.notice)}_", ""]
    if "\n" in answer.text:  # a list (a dated timeline): one item a line
        lines += [f"- {_md_escape(line)}" for line in answer.text.split("\n")] + [""]
    else:
        lines += [_md_escape(answer.text), ""]
    if answer.unsupported:
        lines += ["**Not supported by the evidence (left out)**", ""]
        lines += [f"- {_md_escape(u['text'])} ({_md_escape(u['reason'])})" for u in answer.unsupported]
        lines.append("")
    cites = answer.citations or answer.closest
    if cites:
        lines.append("**Sources**" if answer.citations else "**Closest passages (they do not answer the question)**")
        lines.append("")
        for c in cites:
            meta = ", ".join(x for x in (_md_escape(c.source), c.date or "") if x)
            head = f"[{c.marker}] {_md_escape(c.title)}" + (f" ({meta})" if meta else "")
            if c.url:
                head += f" <{c.url}>" if c.url.startswith(("http://", "https://")) else f" {_md_escape(c.url)}"
            lines.append(head)
            lines.append(f"> {_md_escape(c.quote)}")
            who = who_says(c.attribution)
            if who:
                lines.append(f"> — {_md_escape(who)}")
            lines.append(f"> (article `{c.article_id}`, characters {c.start}–{c.end})")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def filter_parts(filters: dict | None) -> list[str]:
    """Each active filter in words: "outlet Syria Direct", "published since 2015-03-01", "said by
    al-Abdi", "stated leaning pro-Kurdish" (``filters``: ``Answer.filters``' shape)."""
    f = filters or {}
    parts = []
    if f.get("sources"):
        parts.append(f"outlet{'s' if len(f['sources']) > 1 else ''} " + ", ".join(f["sources"]))
    if f.get("since") and f.get("until"):
        parts.append(f"published {f['since']} to {f['until']}")
    elif f.get("since") or f.get("until"):
        parts.append(f"published {'since' if f.get('since') else 'until'} {f.get('since') or f.get('until')}")
    if f.get("speakers"):
        parts.append("said by " + ", ".join(f["speakers"]))
    if f.get("leanings"):
        parts.append("stated leaning " + ", ".join(f["leanings"]))
    return parts


def filters_line(filters: dict | None) -> str:
    """ "Filters: outlet Syria Direct · published since 2015-03-01 · stated leaning pro-Kurdish", or ""."""
    parts = filter_parts(filters)
    return "Filters: " + " · ".join(parts) if parts else ""


def read_as_parts(read_as: dict | None) -> list[tuple[str, str]]:
    """What was read from a question's words, each as ``(what, words)``: ``what`` is the
    ``AskRequest.unread`` key that declines it ("leanings", "sources", "since", "history")."""
    if not read_as:
        return []
    parts = []
    if read_as.get("leanings"):
        parts.append(("leanings", "stated leaning " + ", ".join(read_as["leanings"])))
    if read_as.get("sources"):
        parts.append(("sources", "outlet " + ", ".join(read_as["sources"])))
    if read_as.get("since"):
        parts.append(("since", f"published since {read_as['since']}"))
    if read_as.get("from_history"):
        parts.append(("history", f"about: {read_as.get('topic', '')} (from the turn before)"))
    return parts


def read_as_line(read_as: dict | None) -> str:
    """ "Read as: stated leaning pro-Kurdish · published since 2015-03-20 · the topic of the turn before",
    or "" when the question's words named no filter and it leaned on no earlier turn."""
    parts = read_as_parts(read_as)
    return "Read as: " + " · ".join(words for _, words in parts) if parts else ""


def who_says(a: dict | None, outlet: str = "") -> str:
    """Who an attribution says is speaking, for a reader: "according to: Khalid Iskef (the Lebanese
    pro-regime news channel Al-Mayadeen; pro-regime)", "quoted: …", or "Syria Direct's own reporting";
    "" when there is no attribution (or no outlet to name)."""
    if not a:
        return ""
    if a.get("kind") == "unattributed":
        carrier = a.get("carrier") or outlet
        return f"{carrier}'s own reporting" if carrier else ""
    who = a.get("speaker") or (a.get("source") or {}).get("text") or ""
    more = "; ".join(x for x in (a.get("affiliation") or a.get("role"), a.get("leaning")) if x)
    return f"{'quoted' if a.get('kind') == 'direct' else 'according to'}: {who}" + (f" ({more})" if more else "")


_MD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]()<>#+!|~"})


def _md_escape(s: str) -> str:
    """Make article text literal in Markdown (no links, images or HTML from the source)."""
    return " ".join(s.split("\n")).translate(_MD_SPECIAL)
