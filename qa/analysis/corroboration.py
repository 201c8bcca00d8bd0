"""Corroboration: who else reports a cited claim, who disputes it, and whose figures differ.

For each cited sentence, the same hybrid search (reranker off, wire copies kept) finds passages of
*other* articles; each article's sentence that best matches the claim (IDF-weighted keyword
coverage, then meaning: the embedder's cosine) is kept when it reports the same thing
(``qa.analysis.stance`` relatedness at or above ``AnswerSettings.corroboration_related``). Each kept sentence
is labelled by ``qa.analysis.stance.cue_stance``: ``disputes`` (a denial), ``discusses`` (hedged, "reportedly",
"alleged"), or ``supports``. Figures of the same counted thing that differ ("45 killed" / "33
killed") are listed under ``conflicts``, each with its source.

Independence: a sentence that is a copy of the cited one (a wire story run by another outlet, or a
near-duplicate article), or of one already counted, and a second article of the cited outlet, do
not count as another outlet: ``independent_outlets`` counts outlets with an account of their own. A
copy is the same words (word-trigram Jaccard ``COPY``) or an article of the same group of copies
found at ingest (``index.copies``). ``carried_by`` counts the outlets that run the cited report, a
report that confirms it, or a copy of either (every article of their copy groups, found or not).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import numpy as np

from corpus.text.figures import conflicting, figures
from corpus.text.terms import key_terms
from index.backend import SearchBackend
from index.embed import Embedder
from index.types import Hit
from qa.analysis.attribution import AttributionAnnotator, label
from qa.analysis.event_dates import date_sentence
from qa.analysis.report_questions import AGREE_Q, KINDS
from qa.analysis.stance import MEANING, cue_stance, relatedness
from qa.answer.evidence import passage_sentences, passage_strength
from qa.retrieval.hybrid import HybridRetriever
from qa.retrieval.term_weights import TermWeights
from qa.settings import AnswerSettings, RetrievalSettings
from qa.timing import stage
from qa.types import Citation, Claim, Evidence

_WORD = re.compile(r"\w+")
COPY = 0.8  # word-trigram Jaccard at or above which two sentences are one account (a copy)
WORDLESS_COSINE = 0.85  # a sentence sharing so few of a claim's words and names that relatedness would need a
# cosine above this is not embedded (such sentences were never related where measured: bench/README.md)
REPORT_PASSAGES = 20  # passages read for the other articles' answers to a corroboration question
REPORT_COVER, REPORT_SHARE = 0.25, 0.6  # an article's answer covers this much of the question, and this share of the best one
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
OTHER_DAYS = 31  # a sentence dated further than this from the day a question names is about another event
PASSAGE_SHARE = 0.8  # a sentence giving a figure of a kind the answer gives counts this share of its passage's strength
_FIGURE_Q = re.compile(r"\b(?:how (?:many|much|long|far|old|big|large)|(?:death )?tolls?|numbers?|figures?|amounts?|"
                       r"prices?|cost|value|totals?|sums?|votes?|percent(?:age)?|share|count)\b", re.I)


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
        dense: list = [(None, None)] * len(claims)
        if self.opts.dense:
            with stage("dense"):  # every claim's dense search in one pass over the index
                dense = self.backend.dense_topk_many(qvecs, self.opts.candidates)
        pools = []
        for (aid, _, quote, _, _), qv, (pids, _) in zip(claims, qvecs, dense, strict=True):
            hits = [h for h in self.retriever.retrieve(self.backend, quote, self.opts, None, None, qv, pids)
                    if h.passage.article_id != aid]
            pools.append(self._best_sentences(quote, hits))
        flat = [e for pool in pools for e in pool]
        quotes = [q for (_, _, q, _, _), pool in zip(claims, pools, strict=True) for _ in pool]
        vecs = np.zeros((len(flat), len(qvecs[0])), np.float32)
        worth = [i for i, (e, q) in enumerate(zip(flat, quotes, strict=True)) if self._may_relate(q, e.text)]
        if worth:
            with stage("sentence_encode"):
                vecs[worth] = self.embedder.embed_sentences([flat[i].text for i in worth])
        annotated = AttributionAnnotator(self.backend.attributions).annotate("", tuple(flat)) if flat else ()
        out, i = [], 0
        for (aid, outlet, quote, _, _), qv, pool in zip(claims, qvecs, pools, strict=True):
            items = list(zip(annotated[i : i + len(pool)], vecs[i : i + len(pool)] @ qv, strict=True))
            i += len(pool)
            out.append(self._verdict(quote, aid, outlet, items))
        return out

    def question_reports(self, question: str, claims, query: str, opts: RetrievalSettings, filters, window,
                         query_vector) -> list[Evidence]:
        """For a corroboration question, each article's sentence that best answers it, best first,
        with who says each.

        Best: the IDF-weighted coverage of the question's topic words (``topic``), at least
        ``REPORT_COVER`` and ``REPORT_SHARE`` of the best one's. For a question about a figure, only
        sentences that state one (of the kind asked where the question says it: ``KINDS``); a
        figure of a kind the answer already gives (dollars, killed) is read with its passage
        (``PASSAGE_SHARE`` of the passage's evidence strength counts: "The total $36 million will
        be divided …"); an article the answer already quotes with a figure is read again only for a
        figure it does not give yet. Never a sentence of another event (``_other_event``) or from a
        passage naming none of the question's names."""
        with stage("question_reports"):
            ropts = opts.model_copy(update={"k": REPORT_PASSAGES, "rerank": False, "dedupe": False})
            hits = self.retriever.retrieve(self.backend, query, ropts, filters, window, query_vector)
            if not hits:
                return []
            about = query  # the caller searched the question's ``topic``
            shown = [(e, figures(e.text)) for cl in claims for e in cl.evidence]
            figure = bool(_FIGURE_Q.search(question))
            kinds = {units for pattern, units in KINDS if pattern.search(question)} if figure else set()
            asked = {(f.unit, f.value) for f in figures(question)}  # "the two men exonerated": not what is asked
            given = {(f.unit, f.value) for _, figs in shown for f in figs} - asked
            units = {u for u, _ in given}
            keys = {e.key for e, _ in shown}
            qv = query_vector if query_vector is not None else self.embedder.embed_query(about)
            strength = passage_strength(about, hits, qv, self.backend.vectors([h.passage.pid for h in hits]), self.terms,
                                        self.settings)
            passage_cover = dict(zip((h.passage.id for h in hits), strength, strict=True))
            day = date_sentence(about, None)
            day = date.fromisoformat(day.date) if day.dated_by == "explicit" else None
            names = _names(about)
            # the passage names what is asked about (read once per passage, not per sentence)
            named = {h.passage.id: not names or bool(names & _names(f"{h.passage.title}. {h.passage.text}")) for h in hits}
            sents = []
            for e in passage_sentences(hits, self.settings):
                if e.key in keys or not named[e.passage_id]:
                    continue
                figs = figures(e.text)
                if not _other_event(e, figs, day, asked):
                    sents.append((e, figs))
            cover = self.terms.coverages(about, [e.text for e, _ in sents]) if sents else []
            scored = []
            for (e, found), c in zip(sents, cover, strict=True):
                figs = {(f.unit, f.value) for f in found} - asked if figure else set()
                if kinds:  # "how many died": a count of the dead, not "three women stood there"
                    figs = {(u, v) for u, v in figs if any(u in k for k in kinds)}
                if figure and not figs:
                    continue
                if any(u in units for u, _ in figs):  # a figure of a kind the answer gives
                    c = max(float(c), PASSAGE_SHARE * float(passage_cover.get(e.passage_id, 0.0)))
                scored.append((float(c), e, figs))
            scored.sort(key=lambda x: -x[0])
            top = scored[0][0] if scored else 0.0
            per = {e.article_id: 1 for e, figs in shown if not figure or figs}
            kept = []
            for c, e, figs in scored:
                if c < REPORT_COVER or c < REPORT_SHARE * top:
                    break
                n = per.get(e.article_id, 0)
                # an article says one thing once; a second sentence of it only for a figure not yet given
                if n >= (3 if figure else 1) or n and not figs - given:
                    continue
                per[e.article_id] = n + 1
                given |= figs
                kept.append(replace(e, score=c))
            return list(AttributionAnnotator(self.backend.attributions).annotate("", tuple(kept))) if kept else []

    def _may_relate(self, quote: str, text: str) -> bool:
        """Whether ``text`` could reach ``corroboration_related`` with a cosine of at most ``WORDLESS_COSINE``
        (its words and names alone decide the rest); a sentence that cannot is never embedded."""
        return relatedness(quote, text, 0.0) + MEANING * WORDLESS_COSINE >= self.settings.corroboration_related

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
        cited = self.backend.copies_of(aid)  # the articles carrying the cited article's report
        groups = {m["id"] for m in cited}
        carriers = {_outlet(m["source"], m["id"]) for m in cited} | {_outlet(outlet, aid)}
        result: dict = {"independent_outlets": 0, "carried_by": 0, "supports": [], "disputes": [], "discusses": [],
                        "conflicts": []}
        for e, sim in sorted(items, key=lambda x: -x[1]):
            related = relatedness(quote, e.text, float(sim))
            if related < self.settings.corroboration_related:
                continue
            stance, strength, reasons = cue_stance(quote, [e.text], float(sim))
            sh = _shingles(e.text)
            # a copy: the same words as an account already counted, or an article of a copy group counted
            copy = any(_same_account(sh, acc) for acc in accounts) or e.article_id in groups
            same_outlet = bool(outlet) and e.source.casefold() == outlet.casefold()
            name = _outlet(e.source, e.article_id)  # an article with no outlet named counts alone
            independent = not copy and not same_outlet and name not in outlets
            if not copy:
                accounts.append(sh)
            if independent:
                outlets.add(name)
            if stance != "disputes":
                group = self.backend.copies_of(e.article_id) if e.copy_group else []
                groups |= {m["id"] for m in group}
                carriers |= {name} | {_outlet(m["source"], m["id"]) for m in group}
            self.found[e.key] = e
            rec = record(e) | {"stance": stance, "score": round(strength, 4), "related": round(related, 4),
                               "reasons": list(reasons), "independent": independent}
            result[stance].append(rec)
            for a, b in conflicting(quote, e.text):
                result["conflicts"].append(record(e) | {"figure": b.text, "claim_figure": a.text, "unit": a.unit})
        result["independent_outlets"] = len(outlets)
        result["carried_by"] = len(carriers)
        return result


def _outlet(source: str, article_id: str) -> str:
    return source.casefold() or f"article {article_id}"


def summary(c: dict | None) -> str:
    """ "also reported by 3 independent outlets; carried by 17 · 1 disputes · figures differ" ("" when
    nothing corroborates). "Carried by" counts the outlets running the report or a copy of it, the
    cited one included; it is said only where copies make it more than the accounts."""
    if not c:
        return ""
    n = c.get("independent_outlets", 0)
    carried = c.get("carried_by", 0)
    also = f"; carried by {carried}" if carried > n + 1 else ""  # more outlets than accounts: copies
    parts = [f"also reported by {n} independent outlet{'s' if n != 1 else ''}{also}"] if n else (
        [f"carried by {carried} outlets"] if carried > 1 else [])
    if c.get("disputes"):
        parts.append(f"{len(c['disputes'])} dispute{'s' if len(c['disputes']) == 1 else ''}")
    if c.get("conflicts"):
        parts.append("figures differ")
    if not parts and (c.get("supports") or c.get("discusses")):
        parts.append("reported elsewhere only in copies or by the same outlet")
    return " · ".join(parts)


def corroboration_claims(question: str, claims, citations: tuple[Citation, ...], found: dict, most: int = 6,
                         reports: list[Evidence] = ()) -> list:
    """The claims of an answer to a corroboration question: the answer's own; then other articles'
    answers to the question (``reports``, from ``Corroborator.question_reports``); then the other
    articles' reports of any of its claims (independent accounts first, the closest first; copies
    said to be copies; at most ``most`` added in all), then, where the reports give figures for
    the same thing, every figure with its source, each cited."""
    out = list(claims)
    cited = {e.key for cl in claims for e in cl.evidence}
    accounts = [_shingles(e.text) for cl in claims for e in cl.evidence]
    shown: list[tuple[str, Evidence]] = [(e.source, e) for cl in claims for e in cl.evidence]

    def add(e: Evidence, source: str, verb: str) -> None:
        shown.append((source, e))
        cited.add(e.key)
        out.append(_report(e, verb))

    for e in reports:
        if e.key in cited or len(out) - len(claims) >= most:
            continue
        sh = _shingles(e.text)
        add(e, e.source, "carries the same report" if any(_same_account(sh, a) for a in accounts) else "reports")
        accounts.append(sh)
    corroborating: dict[tuple[str, int, int], dict] = {}
    for c in citations:
        for k in ("supports", "discusses", "disputes"):
            for r in (c.corroboration or {}).get(k, []):
                key = (r["article_id"], r["start"], r["end"])
                if key not in corroborating or r["related"] > corroborating[key]["related"]:
                    corroborating[key] = r
    for key, r in sorted(corroborating.items(), key=lambda kv: (not kv[1]["independent"], -kv[1]["related"])):
        e = found.get(key)
        if e is None or e.key in cited or len(out) - len(claims) >= most:
            continue
        add(e, r["source"], "carries the same report" if not r["independent"] else
            {"supports": "also reports", "discusses": "reports, with reservations", "disputes": "reports otherwise"}[r["stance"]])
    by_unit: dict[str, list[tuple[str, str, float, Evidence]]] = {}
    for src, e in shown:
        for f in figures(e.text):
            by_unit.setdefault(f.unit, []).append((src or e.title, f.text, f.value, e))
    for unit, figs in by_unit.items():
        if len({src for src, *_ in figs}) < 2:
            continue  # one outlet's figures are not a comparison
        agree = len({v for _, _, v, _ in figs}) == 1
        if agree and not AGREE_Q.search(question):
            continue
        head = f"The reports agree on the figure ({unit})" if agree else f"The figures differ ({unit})"
        seen: set = set()
        for src, text, _, e in figs:
            if (src, text) in seen:
                continue
            seen.add((src, text))
            out.append(Claim(f"{head}: {src}, “{text}”.", (e,)))
    return out


def _names(text: str) -> set[str]:
    """The names a text states ("Indonesia's West Java" → indonesia, west, java), numbers left out."""
    return {w for t in key_terms(text) if (w := re.sub(r"['’]s$", "", t)).isalpha()}


def _other_event(e: Evidence, figs: list, day: date | None, asked: set[tuple[str, float]]) -> bool:
    """Does the sentence (with its ``figures``) plainly tell of another event than the question's:
    dated more than ``OTHER_DAYS`` from the day the question names, naming only other years, or
    giving another value for a figure the question states ("a magnitude 9.0 earthquake" for "the
    magnitude-5.6 earthquake")?"""
    if day is not None:
        d = date_sentence(e.text, e.date or None)
        if d.dated_by == "explicit" and abs((date.fromisoformat(d.date) - day).days) > OTHER_DAYS:
            return True
        years = {int(y) for y in _YEAR.findall(e.text)}
        if years and day.year not in years:  # "May 2008 in China: …", "since a 1939 earthquake killed …"
            return True
    units = {u: v for u, v in asked}
    return any(f.unit in units and f.value != units[f.unit] for f in figs)


def _report(e: Evidence, verb: str) -> Claim:
    """ "CNN also reports: … — said the agency" """
    who = label(e.attribution, e.start, e.end)
    return Claim(f"{e.source or e.title} {verb}: {' '.join(e.text.split())}" + (f" — {who}" if who else ""), (e,))
