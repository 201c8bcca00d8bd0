"""HTML for the chat: answers with clickable markers, and the sources panel.

Everything that comes from an article (titles, outlets, urls, passage text) is escaped here:
it is shown as text, never interpreted as HTML, Markdown or script.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

from qa.answer.markdown import filters_line, read_as_parts, who_says
from qa.types import Answer, Citation

_MARKER = re.compile(r" \[(\d+)\]")


def _e(s: object) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def safe_url(url: str) -> str | None:
    """The url if it is a plain http(s) link, else None (``javascript:`` and the like are refused)."""
    try:
        p = urlparse(url.strip())
    except ValueError:
        return None
    return url.strip() if p.scheme in {"http", "https"} and p.netloc else None


def source_id(turn: int, marker: int) -> str:
    return f"src-{turn}-{marker}"


def draft_html(text: str) -> str:
    """The LLM's words while it writes: plain text, marked as not yet checked."""
    return (f'<div class="qa-answer qa-draft"><p class="qa-note">Writing… (not yet checked against the sources)</p>'
            f'<p>{_e(text)}</p></div>')


def answer_html(answer: Answer, turn: int) -> str:
    """The answer for the chat: escaped sentences, each marker a link to its source card."""
    if answer.not_found:
        body = f"<p>{_e(answer.text)}</p>"
        if answer.closest:
            body += '<p class="qa-note">The closest passages are listed beside the chat, marked as not answering.</p>'
    else:
        def linked(line: str) -> str:
            return _MARKER.sub(
                lambda m: f' <a class="qa-marker" href="#{source_id(turn, int(m.group(1)))}">[{m.group(1)}]</a>', _e(line))

        lines = answer.text.split("\n")
        if len(lines) > 1:  # a list (a dated timeline): one item a line
            body = '<ul class="qa-list">' + "".join(f"<li>{linked(x)}</li>" for x in lines) + "</ul>"
        else:
            body = f"<p>{linked(answer.text)}</p>"
    if answer.notice:
        body = f'<p class="qa-note qa-notice">{_e(answer.notice)}</p>' + body
    if answer.unsupported:
        items = "".join(f"<li>{_e(u['text'])} <span class='qa-meta'>({_e(u['reason'])})</span></li>" for u in answer.unsupported)
        body += f'<details class="qa-unsupported"><summary>{len(answer.unsupported)} written sentence(s) left out: not supported by the evidence they cite</summary><ul>{items}</ul></details>'
    if answer.mode == "llm" and answer.model:
        body += f'<p class="qa-searched">Written by {_e(answer.model)}; every sentence checked against the span it cites</p>'
    chips = read_as_parts(answer.read_as)
    if chips:  # each a chip; its ✕ asks the question again without it (app.web)
        body += ('<p class="qa-searched qa-read-as">Read as: ' + " ".join(
            f'<span class="qa-chip">{_e(words)} <a class="qa-chip-x" href="#qa-unread-{turn}-{what}" '
            f'title="Ask again without this" aria-label="Remove: {_e(words)}">✕</a></span>' for what, words in chips) + "</p>")
    active = filters_line(answer.filters)
    if active:
        body += f'<p class="qa-searched qa-filters">{_e(active)}</p>'
    if answer.searched and answer.searched != answer.question:
        body += f'<p class="qa-searched">Searched for: {_e(answer.searched)}</p>'
    if answer.time_window:
        body += f'<p class="qa-searched">Preferring articles published {_e(answer.time_window[0])} to {_e(answer.time_window[1])}</p>'
    return f'<div class="qa-answer">{body}</div>'


def _highlight(passage: str, spans: list[tuple[int, int]], markers: list[int] | None = None, turn: int = 0) -> str:
    """The passage with each cited sentence marked, and numbered by its marker ("[2] …")."""
    out, pos = [], 0
    for i, (s, e) in sorted(enumerate(spans), key=lambda x: x[1]):
        if s < pos:
            continue
        out.append(_e(passage[pos:s]))
        if markers is None:
            out.append(f"<mark>{_e(passage[s:e])}</mark>")
        else:
            n = markers[i]
            out.append(f'<mark class="qa-cited" id="{source_id(turn, n)}-s"><sup class="qa-mark-n">[{n}]</sup>'
                       f"{_e(passage[s:e])}</mark>")
        pos = e
    out.append(_e(passage[pos:]))
    return "".join(out)


def _card(group: list[Citation], turn: int, nearest: bool) -> str:
    c = group[0]
    passage = _e(c.passage) if nearest else _highlight(c.passage, [g.quote_in_passage for g in group],
                                                       [g.marker for g in group], turn)
    meta = " · ".join(_e(x) for x in (c.source, c.date) if x)
    url = safe_url(c.url) if c.url else None
    link = f' <a href="{_e(url)}" target="_blank" rel="noopener noreferrer nofollow">{_e(url)}</a>' if url else (f" <span class='qa-url'>{_e(c.url)}</span>" if c.url else "")
    label = "nearest passage, does not answer" if nearest else " ".join(f"[{g.marker}]" for g in group)
    anchors = "".join(f'<span id="{source_id(turn, g.marker)}"></span>' for g in group[1:])
    spans = ", ".join(f"{g.start}–{g.end}" for g in group) if not nearest else f"{c.passage_start}–{c.passage_start + len(c.passage)}"
    return (
        f'<div class="qa-source{" qa-nearest" if nearest else ""}" id="{source_id(turn, c.marker)}">{anchors}'
        f'<div class="qa-source-head"><span class="qa-label">{_e(label)}</span> <b>{_e(c.title)}</b></div>'
        f'<div class="qa-meta">{meta}{link}</div>'
        f'<div class="qa-passage">{passage}</div>'
        + ("" if nearest else "".join(badge(g) for g in group) + "".join(corroboration_html(g) for g in group))
        + f'<div class="qa-span">article <code>{_e(c.article_id)}</code>, characters {spans}</div>'
        "</div>"
    )


def badge(c: Citation) -> str:
    """Who says the cited sentence (source, affiliation, leaning), or the outlet's own voice."""
    text = who_says(c.attribution, c.source)
    if not text:
        return ""
    text = f"[{c.marker}] {text}"
    return f'<div class="qa-badge">{_e(text)}</div>'


def corroboration_html(c: Citation) -> str:
    """ "[2] also reported by 3 outlets · 1 disputes · figures differ", opening to the quotes."""
    from qa.analysis.corroboration import summary

    k = c.corroboration
    line = summary(k)
    if not line:
        return ""
    rows = []
    for label in ("supports", "discusses", "disputes"):
        for r in k.get(label, []):
            copy = "" if r.get("independent") else " (a copy, or the same outlet)"
            meta = " · ".join(_e(x) for x in (r.get("source"), r.get("date")) if x)
            who = who_says(r.get("attribution"), r.get("source") or "")
            rows.append(f'<li><span class="qa-stance qa-{label}">{_e(label)}</span> {meta}{_e(copy)}: '
                        f'<q>{_e(" ".join(r["quote"].split()))}</q>'
                        + (f' <span class="qa-meta">{_e(who)}</span>' if who else "")
                        + f' <span class="qa-span">(<code>{_e(r["article_id"])}</code> {r["start"]}–{r["end"]})</span></li>')
    for f in k.get("conflicts", []):
        rows.append(f'<li><span class="qa-stance qa-disputes">figure</span> {_e(f.get("source"))}: '
                    f'<b>{_e(f["figure"])}</b> against <b>{_e(f["claim_figure"])}</b> here '
                    f'<span class="qa-span">(<code>{_e(f["article_id"])}</code> {f["start"]}–{f["end"]})</span></li>')
    return (f'<details class="qa-corroboration"><summary>[{c.marker}] {_e(line)}</summary>'
            f'<ul>{"".join(rows)}</ul></details>')


def _by_passage(citations) -> list[list[Citation]]:
    groups: dict[tuple[str, int], list[Citation]] = {}
    for c in citations:
        groups.setdefault((c.article_id, c.passage_start), []).append(c)
    return list(groups.values())


def sources_html(answer: Answer | None, turn: int) -> str:
    """The sources panel: only the passages the answer cites (or the nearest, marked as such)."""
    if answer is None:
        return '<div class="qa-sources"><p class="qa-note">Sources of the latest answer appear here.</p></div>'
    if answer.citations:
        groups = _by_passage(answer.citations)
        cards = "".join(_card(g, turn, nearest=False) for g in groups)
        head = f"<h4>Sources: {len(groups)} passage{'s' if len(groups) != 1 else ''}</h4>"
    elif answer.closest:
        cards = "".join(_card([c], turn, nearest=True) for c in answer.closest)
        head = "<h4>Not in the articles: nearest passages</h4>"
    else:
        cards, head = "", "<h4>No sources</h4>"
    return f'<div class="qa-sources">{head}{cards}</div>'


EARLIER_TURNS = 10  # earlier answers whose sources stay in the panel


def conversation_sources_html(turns: list[Answer]) -> str:
    """The sources panel for a conversation: the latest answer's sources, then each earlier answer's
    (newest first, folded), so a marker of an earlier answer still opens its own sentence."""
    if not turns:
        return sources_html(None, 0)
    n = len(turns)
    out = [f'<div class="qa-latest">{sources_html(turns[-1], n)}</div>']
    for i in range(n - 1, max(0, n - 1 - EARLIER_TURNS), -1):
        out.append(f'<details class="qa-earlier"><summary>Sources of answer {i}: {_e(turns[i - 1].question[:120])}</summary>'
                   f"{sources_html(turns[i - 1], i)}</details>")
    return "".join(out)


def index_news_html(news: dict) -> str:
    """When the index last changed and what came in (``ChatBackend.index_news``), as escaped text."""
    when = str(news.get("updated") or "").replace("T", " ").rstrip("Z")[:16]
    lines = [f"Index last changed {_e(when)} UTC" if when else "No index yet"]
    if news.get("busy"):
        lines.append(f"<b>{_e(news['busy'])}</b>")
    if news.get("recent"):
        lines.append("What came in lately:")
        lines += [f"· {_e(r)}" for r in news["recent"]]
    keeping = []
    if news.get("watching"):
        keeping.append("watching " + _e(", ".join(news["watching"])))
    if news.get("feeds_every"):
        keeping.append(f"feeds read every {news['feeds_every'] / 60:g} min")
    if keeping:
        lines.append("; ".join(keeping))
    return '<div class="qa-index-news">' + "<br>".join(lines) + "</div>"


def error_html(message: str) -> str:
    return f'<p class="qa-error">⚠ {_e(message)}</p>'


CSS = """
.qa-index-news { font-size: 0.85em; color: #57606a; margin-bottom: 6px; }
.qa-chip { display: inline-block; border: 1px solid #d0d7de; border-radius: 12px; padding: 0 8px; margin: 2px 4px 2px 0; background: #f6f8fa; }
.qa-chip-x { text-decoration: none; color: #57606a; margin-left: 4px; }
.qa-chip-x:hover { color: #cf222e; }
#qa-unread, #qa-unread-go { display: none !important; }
.qa-sources { max-height: 70vh; overflow-y: auto; }
.qa-source { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 8px 0; }
.qa-source.qa-focus { outline: 3px solid #f59e0b; }
.qa-nearest { opacity: 0.8; border-style: dashed; }
.qa-meta, .qa-span, .qa-searched, .qa-note { color: #57606a; font-size: 0.85em; }
.qa-passage { white-space: pre-wrap; margin-top: 4px; }
.qa-passage mark { background: #fff3b0; padding: 0 1px; }
.qa-error { color: #b42318; font-weight: 600; }
.qa-mark-n { color: #0969da; font-weight: 600; margin-right: 2px; }
mark.qa-focus-mark { outline: 2px solid #0969da; background: #fff3b0; }
.qa-marker { color: #0969da; text-decoration: underline; font-weight: 600; cursor: pointer; }
.qa-corroboration { margin-top: 4px; font-size: 0.9em; }
.qa-corroboration summary { cursor: pointer; color: #1f6f43; }
.qa-stance { font-size: 0.8em; border-radius: 6px; padding: 0 5px; background: #e6f4ea; }
.qa-stance.qa-disputes { background: #fde8e8; } .qa-stance.qa-discusses { background: #f1f1f1; }
.qa-badge { display: inline-block; background: #eef2ff; color: #3730a3; border-radius: 10px; padding: 1px 8px; margin: 4px 4px 0 0; font-size: 0.85em; }
"""

HEAD_JS = r"""
<script>
document.addEventListener('click', function (ev) {
  const x = ev.target.closest && ev.target.closest('a.qa-chip-x');
  if (x) {  // a "Read as" chip removed: the question asked again without it
    ev.preventDefault();
    const m = (x.getAttribute('href') || '').match(/^#qa-unread-(\d+)-(\w+)$/);
    const box = document.querySelector('#qa-unread textarea, #qa-unread input');
    const go = document.getElementById('qa-unread-go');
    if (!m || !box || !go) return;
    box.value = m[1] + ':' + m[2];
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(function () { go.click(); }, 50);
    return;
  }
  const a = ev.target.closest && ev.target.closest('a.qa-marker');
  if (!a) return;
  ev.preventDefault();
  const anchor = document.getElementById((a.getAttribute('href') || '').slice(1));
  if (!anchor) return;
  const fold = anchor.closest('details');  // an earlier answer's sources: unfold them
  if (fold) fold.open = true;
  const el = anchor.closest('.qa-source') || anchor;
  document.querySelectorAll('.qa-source.qa-focus').forEach(x => x.classList.remove('qa-focus'));
  document.querySelectorAll('mark.qa-focus-mark').forEach(x => x.classList.remove('qa-focus-mark'));
  el.classList.add('qa-focus');
  const mark = document.getElementById(anchor.id + '-s');  // the marker's own sentence
  if (mark) mark.classList.add('qa-focus-mark');
  (mark || el).scrollIntoView({behavior: 'smooth', block: 'center'});
}, true);
</script>
"""
