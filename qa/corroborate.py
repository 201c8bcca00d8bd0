"""Corroboration: who else reports a cited claim, who disputes it, and whose figures differ.

For each cited sentence, the same hybrid search (reranker off, wire copies kept) finds passages of
*other* articles; each article's sentence that best matches the claim (IDF-weighted keyword
coverage, then meaning: the embedder's cosine) is kept when it reports the same thing
(``qa.stance`` relatedness at or above ``AnswerSettings.corroboration_related``). Each kept sentence
is labelled by ``qa.stance.cue_stance``: ``disputes`` (a denial), ``discusses`` (hedged, "reportedly",
"alleged"), or ``supports``. Figures of the same counted thing that differ ("45 killed" / "33
killed") are listed under ``conflicts``, each with its source.

Independence: a sentence that is a copy of the cited one (a wire story run by another outlet, or a
near-duplicate article), or of one already counted, and a second article of the cited outlet, do
not count as another outlet: ``independent_outlets`` counts outlets with an account of their own.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from index.backend import SearchBackend
from index.embed import Embedder
from index.types import Hit
from qa.attribution import AttributionAnnotator, label
from qa.evidence import TermWeights, passage_sentences
from qa.retrieve import HybridRetriever
from qa.settings import AnswerSettings, RetrievalSettings
from qa.stance import conflicting, cue_stance, figures, relatedness
from qa.timing import stage
from qa.types import Citation, Claim, Evidence

_WORD = re.compile(r"\w+")
COPY = 0.8  # word-trigram Jaccard at or above which two sentences are one account (a copy)


def _shingles(text: str) -> set[tuple[str, ...]]:
    w = [x.lower() for x in _WORD.findall(text)]
    return {tuple(w[i : i + 3]) for i in range(max(len(w) - 2, 1))}


def _same_account(a: set, b: set) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= COPY


def record(e: Evidence) -> dict:
    """A citation-shaped record of a corroborating sentence."""
    return {"article_id": e.article_id, "title": e.title, "source": e.source, "date": e.date, "url": e.url,
            "quote": e.text, "start": e.start, "end": e.end, "passage_id": e.passage_id,
            "attribution": e.attribution}


class Corroborator:
    """Finds, for cited evidence, the other articles' sentences that report the same thing."""

    def __init__(self, backend: SearchBackend, embedder: Embedder, settings: AnswerSettings):
        self.backend = backend
        self.embedder = embedder
        self.settings = settings
        self.terms = TermWeights(backend)
        self.retriever = HybridRetriever(embedder)
        self.found: dict[tuple[str, int, int], Evidence] = {}  # every kept sentence, by key
        self.opts = RetrievalSettings(k=settings.corroboration_k, rerank=False, dedupe=False, time_boost=0,
                                      candidates=max(settings.corroboration_k, 20))

    def citations(self, citations: tuple[Citation, ...]) -> tuple[Citation, ...]:
        """The first ``corroboration_claims`` citations with their ``corroboration`` set."""
        n = self.settings.corroboration_claims
        found = self.claims([(c.article_id, c.source, c.quote, c.start, c.end) for c in citations[:n]])
        return tuple(replace(c, corroboration=found[i]) if i < len(found) else c for i, c in enumerate(citations))

    def claims(self, claims: list[tuple[str, str, str, int, int]]) -> list[dict]:
        """Corroboration of each ``(article_id, outlet, quote, start, end)``."""
        if not claims:
            return []
        with stage("encode"):
            qvecs = self.embedder.embed_sentences([q for _, _, q, _, _ in claims])
        pools = []
        for (aid, _, quote, _, _), qv in zip(claims, qvecs, strict=True):
            hits = [h for h in self.retriever.retrieve(self.backend, quote, self.opts, None, None, qv)
                    if h.passage.article_id != aid]
            pools.append(self._best_sentences(quote, hits))
        flat = [e for pool in pools for e in pool]
        with stage("sentence_encode"):
            vecs = self.embedder.embed_sentences([e.text for e in flat]) if flat else np.zeros((0, len(qvecs[0])), np.float32)
        annotated = AttributionAnnotator(self.backend.attributions).annotate("", tuple(flat)) if flat else ()
        out, i = [], 0
        for (aid, outlet, quote, _, _), qv, pool in zip(claims, qvecs, pools, strict=True):
            items = list(zip(annotated[i : i + len(pool)], vecs[i : i + len(pool)] @ qv, strict=True))
            i += len(pool)
            out.append(self._verdict(quote, aid, outlet, items))
        return out

    def _best_sentences(self, quote: str, hits: list[Hit]) -> list[Evidence]:
        """Each article's sentence that covers most of the claim's keywords, best articles first."""
        sents = passage_sentences(hits, self.settings)
        if not sents:
            return []
        cover = self.terms.coverages(quote, [e.text for e in sents])
        best: dict[str, tuple[float, Evidence]] = {}
        for e, c in zip(sents, cover, strict=True):
            if e.article_id not in best or c > best[e.article_id][0]:
                best[e.article_id] = (float(c), e)
        ranked = sorted(best.values(), key=lambda x: -x[0])[: self.settings.corroboration_compared]
        return [replace(e, score=c) for c, e in ranked if c > 0]

    def _verdict(self, quote: str, aid: str, outlet: str, items: list[tuple[Evidence, float]]) -> dict:
        mine = _shingles(quote)
        accounts: list[set] = [mine]
        outlets: set[str] = set()
        result: dict = {"independent_outlets": 0, "supports": [], "disputes": [], "discusses": [], "conflicts": []}
        for e, sim in sorted(items, key=lambda x: -x[1]):
            related = relatedness(quote, e.text, float(sim))
            if related < self.settings.corroboration_related:
                continue
            stance, strength, reasons = cue_stance(quote, [e.text], float(sim), plain="supports")
            sh = _shingles(e.text)
            copy = any(_same_account(sh, acc) for acc in accounts)
            same_outlet = bool(outlet) and e.source.casefold() == outlet.casefold()
            name = e.source.casefold() or f"article {e.article_id}"  # an article with no outlet named counts alone
            independent = not copy and not same_outlet and name not in outlets
            if not copy:
                accounts.append(sh)
            if independent:
                outlets.add(name)
            self.found[e.key] = e
            rec = record(e) | {"stance": stance, "score": round(strength, 4), "related": round(related, 4),
                               "reasons": list(reasons), "independent": independent}
            result[stance].append(rec)
            for a, b in conflicting(quote, e.text):
                result["conflicts"].append(record(e) | {"figure": b.text, "claim_figure": a.text, "unit": a.unit})
        result["independent_outlets"] = len(outlets)
        return result


def summary(c: dict | None) -> str:
    """ "also reported by 3 outlets · 1 disputes · figures differ" ("" when nothing corroborates)."""
    if not c:
        return ""
    n = c.get("independent_outlets", 0)
    parts = [f"also reported by {n} outlet{'s' if n != 1 else ''}"] if n else []
    if c.get("disputes"):
        parts.append(f"{len(c['disputes'])} dispute{'s' if len(c['disputes']) == 1 else ''}")
    if c.get("conflicts"):
        parts.append("figures differ")
    if not parts and (c.get("supports") or c.get("discusses")):
        parts.append("reported elsewhere only in copies or by the same outlet")
    return " · ".join(parts)


_OUTLETS_Q = re.compile(
    r"\b(?:which|what|how many)\s+(?:other\s+)?(?:news\s+)?(?:outlets?|organi[sz]ations|sites?|media|newspapers?|papers|"
    r"publications|networks?|channels|agencies|reports)\b.*\b(?:report|cover|carr|confirm|say|said|describ|publish)"
    r"|\bwho\s+(?:else\s+)?(?:reported|confirmed|covered|carried)\b|\bconfirm(?:ed|s)? by\b"
    r"|\b(?:news\s+)?outlets\b|\baccording to [^,?;]+? and (?:the )?[A-Z]", re.S)
_AGREE_Q = re.compile(
    r"\b(?:do|did|does)\s+(?:the\s+|all\s+)?(?:reports|outlets|accounts|sources|articles|figures|numbers|media|tolls)\b"
    r".*\b(?:agree|differ|disagree|match|conflict|tally)|\b(?:agree|differ|disagree)\s+on\b|\bfigures\s+(?:match|agree|differ)"
    r"|\breport(?:s)?\s+(?:agree|differ)|\b(?:report|give)\s+the\s+same\s+(?:amount|number|figure|toll|total)", re.I | re.S)


def is_corroboration_question(question: str) -> bool:
    """ "Which outlets reported …?", "Do the reports agree on the number of …?" """
    return bool(_OUTLETS_Q.search(question) or _AGREE_Q.search(question))


def corroboration_claims(question: str, claims, citations: tuple[Citation, ...], found: dict, most: int = 6) -> list:
    """The claims of an answer to a corroboration question: the answer's own, then the other
    articles' reports of any of its claims (independent accounts first, the closest first; copies
    said to be copies; at most ``most``), then, where the reports give figures for the same thing,
    every figure with its source, each cited."""
    out = list(claims)
    cited = {e.key for cl in claims for e in cl.evidence}
    reports: dict[tuple[str, int, int], dict] = {}
    for c in citations:
        for k in ("supports", "discusses", "disputes"):
            for r in (c.corroboration or {}).get(k, []):
                key = (r["article_id"], r["start"], r["end"])
                if key not in reports or r["related"] > reports[key]["related"]:
                    reports[key] = r
    if not reports:
        return out
    shown: list[tuple[str, Evidence]] = [(e.source, e) for cl in claims for e in cl.evidence]
    added = 0
    for key, r in sorted(reports.items(), key=lambda kv: (not kv[1]["independent"], -kv[1]["related"])):
        e = found.get(key)
        if e is None or e.key in cited or added >= most:
            continue
        shown.append((r["source"], e))
        cited.add(e.key)
        added += 1
        who = label(e.attribution, e.start, e.end)
        verb = ("carries the same report" if not r["independent"] else
                {"supports": "also reports", "discusses": "reports, with reservations", "disputes": "reports otherwise"}[r["stance"]])
        out.append(Claim(f"{e.source or e.title} {verb}: {' '.join(e.text.split())}" + (f" — {who}" if who else ""), (e,)))
    by_unit: dict[str, list[tuple[str, str, float, Evidence]]] = {}
    for src, e in shown:
        for f in figures(e.text):
            by_unit.setdefault(f.unit, []).append((src or e.title, f.text, f.value, e))
    for unit, figs in by_unit.items():
        if len({src for src, *_ in figs}) < 2:
            continue  # one outlet's figures are not a comparison
        agree = len({v for _, _, v, _ in figs}) == 1
        if agree and not _AGREE_Q.search(question):
            continue
        head = f"The reports agree on the figure ({unit})" if agree else f"The figures differ ({unit})"
        seen: set = set()
        for src, text, _, e in figs:
            if (src, text) in seen:
                continue
            seen.add((src, text))
            out.append(Claim(f"{head}: {src}, “{text}”.", (e,)))
    return out
