"""Outlet profiles: what the articles say about outlets, collected from the stored attributions.

"reported the pro-Kurdish ANHA news outlet", "a correspondent for the Lebanese pro-regime news
channel Al-Mayadeen", "the pro-opposition news site All4Syria": each such phrase gives an outlet
its name, the kind of outlet, the country or people it is said to belong to, and a stated leaning,
each with the sentence that says so. A leaning is only ever what an article (or the user, in
``outlets.yaml`` in the data home) says: never guessed. The user's entries win.

``outlets.yaml``::

    outlets:
      - name: ANHA
        aliases: [Hawar News Agency]
        kind: news agency
        country: Syria
        leanings: [pro-Kurdish]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from corpus.text.attribution import stated_leaning
from corpus.text.sentences import sentence_spans
from qa.errors import SettingsError

KINDS = {
    "news site": "news site", "website": "news site", "site": "news site", "news outlet": "news outlet",
    "outlet": "news outlet", "news channel": "TV", "channel": "TV", "tv": "TV", "television": "TV",
    "broadcaster": "TV", "radio station": "radio", "radio": "radio", "station": "radio",
    "news agency": "news agency", "agency": "news agency", "wire": "wire", "newspaper": "newspaper",
    "daily": "newspaper", "paper": "newspaper", "magazine": "magazine", "network": "TV",
}
_KIND = "|".join(sorted((re.escape(k) for k in KINDS), key=len, reverse=True))
_NAME = r"[A-Z0-9][\w’'&.-]*(?:\s+[A-Z0-9][\w’'&.-]*)*"
_PHRASE = re.compile(rf"(?P<pre>(?:\b[\w’'-]+\s+){{0,6}}?)(?P<kind>\b(?i:{_KIND})\b)(?:\s+(?P<post>{_NAME}))?")
_NATIONALITY = re.compile(r"^[A-Z][a-z]+(?:ese|ian|an|ish|i|ch)$")


@dataclass
class Profile:
    name: str
    aliases: set[str] = field(default_factory=set)
    kinds: dict[str, list[dict]] = field(default_factory=dict)  # value -> citations saying so
    countries: dict[str, list[dict]] = field(default_factory=dict)
    leanings: dict[str, list[dict]] = field(default_factory=dict)
    mentions: int = 0
    from_user: bool = False

    def to_dict(self) -> dict:
        def vals(d):
            return [{"value": k, "citations": v} for k, v in d.items()]

        return {"name": self.name, "aliases": sorted(self.aliases - {self.name}), "kind": vals(self.kinds),
                "country": vals(self.countries), "leaning": vals(self.leanings), "mentions": self.mentions,
                "edited_by_user": self.from_user}


def describe_outlet(phrase: str) -> dict | None:
    """Name, kind, country words and leaning of an outlet phrase, or None when it names no outlet."""
    found = list(_PHRASE.finditer(phrase))
    if not found:
        return _reporting_name(phrase)
    m = found[-1]
    pre = m.group("pre").split()
    post = m.group("post")
    words_before = [w for w in pre if w.lower() not in ("the", "a", "an")]
    countries = []
    name_words = []
    for w in words_before:
        if _is_leaning(w) or not w[:1].isupper():
            name_words = []  # a lowercase word ends any name run before the kind
            continue
        if _NATIONALITY.match(w) and not name_words:
            countries.append(w)
        else:
            name_words.append(w)
    name = post or " ".join(name_words)
    if not name:
        return None
    return {"name": name.strip(" ,."), "kind": KINDS[m.group("kind").lower()], "country": " ".join(countries) or None,
            "leaning": stated_leaning(phrase)}


def _is_leaning(word: str) -> bool:
    return stated_leaning(word) == word


def _reporting_name(phrase: str) -> dict | None:
    """"the pro-opposition Orient News": a named source that *reported*, with what it is called."""
    words = [w for w in phrase.split() if w.lower() not in ("the", "a", "an")]
    lean = next((w for w in words if _is_leaning(w)), None)
    name = [w for w in words if w[:1].isupper() and not _is_leaning(w)]
    if not name or len(name) != len([w for w in words if not _is_leaning(w)]):
        return None  # only a proper name (and a stated leaning) may stand for an outlet without its kind
    return {"name": " ".join(name), "kind": None, "country": None, "leaning": lean}


def collect(snapshot, outlets_file: Path | None = None, limit_citations: int = 3) -> list[Profile]:
    """Profiles of every outlet the indexed articles describe, merged with ``outlets.yaml``."""
    profiles: dict[str, Profile] = {}
    arts = snapshot.articles()
    stored = snapshot.attributions([a["id"] for a in arts])
    sentences: dict[str, tuple[str, list[tuple[int, int]]]] = {}  # per article: its text and sentence spans, read once
    for aid, rels in stored.items():
        for r in rels:
            for phrase_span in _outlet_phrases(r):
                d = describe_outlet(phrase_span["text"])
                if d is None:
                    continue
                p = profiles.setdefault(d["name"].casefold(), Profile(d["name"]))
                p.aliases.add(d["name"])
                p.mentions += 1
                if aid not in sentences:
                    text = (snapshot.article(aid) or {}).get("text", "")
                    sentences[aid] = (text, sentence_spans(text) if text else [])
                cite = _sentence_citation(aid, *sentences[aid], phrase_span)
                for key, target in (("kind", p.kinds), ("country", p.countries), ("leaning", p.leanings)):
                    if d[key]:
                        cites = target.setdefault(d[key], [])
                        if len(cites) < limit_citations and cite not in cites:
                            cites.append(cite)
    for a in arts:  # the outlets that published the articles
        if a["source"]:
            profiles.setdefault(a["source"].casefold(), Profile(a["source"])).aliases.add(a["source"])
    if outlets_file is not None and outlets_file.exists():
        _apply_user(profiles, outlets_file)
    return sorted(profiles.values(), key=lambda p: (-p.mentions, p.name.casefold()))


def _outlet_phrases(r: dict) -> list[dict]:
    """The spans of a relation that may describe an outlet: the source itself, its affiliation."""
    out = []
    src = r.get("source")
    head = src["text"].split(",")[0] if src else ""  # "the pro-Kurdish ANHA news outlet", not its appositive
    if src and (_PHRASE.search(head) or r["cue"]["text"].lower().startswith("report") and _reporting_name(head)):
        out.append({"text": head, "start": src["start"], "end": src["start"] + len(head)})
    aff = r.get("affiliation")
    if aff and src and aff in src["text"]:
        i = src["text"].index(aff)
        out.append({"text": aff, "start": src["start"] + i, "end": src["start"] + i + len(aff)})
    return out


def _sentence_citation(aid: str, text: str, spans: list[tuple[int, int]], span: dict) -> dict:
    for s, e in spans:
        if s <= span["start"] < e:
            return {"article_id": aid, "start": s, "end": e, "quote": text[s:e]}
    return {"article_id": aid, "start": span["start"], "end": span["end"], "quote": span["text"]}


def _apply_user(profiles: dict[str, Profile], path: Path) -> None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"{path.name} is not valid YAML ({str(exc).splitlines()[0]})") from None
    entries = data.get("outlets") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SettingsError(f"{path.name} must hold 'outlets:' followed by a list of entries with a 'name'")
    user_cite = [{"article_id": None, "start": None, "end": None, "quote": f"{path.name} (edited by the user)"}]
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("name"), str) or not e["name"].strip():
            raise SettingsError(f"{path.name}: entry {i + 1} needs a 'name'")
        names = [e["name"], *[a for a in e.get("aliases") or [] if isinstance(a, str)]]
        key = next((n.casefold() for n in names if n.casefold() in profiles), e["name"].casefold())
        p = profiles.pop(key, None) or Profile(e["name"])
        p.name, p.from_user = e["name"], True
        p.aliases |= set(names)
        for field_name, target in (("kind", "kinds"), ("country", "countries"), ("leanings", "leanings")):
            if field_name in e:
                values = e[field_name] if isinstance(e[field_name], list) else [e[field_name]]
                setattr(p, target, {str(v): user_cite for v in values if v})
        profiles[e["name"].casefold()] = p
