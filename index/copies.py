"""Copies: articles that are one report carried more than once (a wire story republished, lightly edited).

An article's text becomes the set of its word 5-grams (lower-cased words: a changed headline, a
dateline or a rewritten sentence touch few of them); ``datasketch`` hashes the set into a MinHash
signature of ``PERMUTATIONS`` values, and the signature is cut into ``BANDS`` bands. Articles that
share a band are candidates (locality-sensitive hashing); a candidate whose estimated Jaccard
similarity with the new article reaches ``THRESHOLD`` — or most of the shorter one is in the longer
(``CONTAINED``) — is a copy, unless the two were published more than ``MAX_DAYS`` apart; the new
article joins the group of its most similar copy. A group is named by its first article and never merged or renamed,
so a reader of an older version reads the same names.

The band keys live in the passage table (``copy_bands``, ``copies``), so grouping a new article
reads only its candidates, never the whole index. (datasketch's ``MinHashLSH`` keeps its bands in
memory, Redis or Cassandra: none of them persists with the index, so its banding is done here, on
datasketch's signatures.) The threshold and the bands were chosen on the RealTimeQA articles
(``bench/copies.py``, bench/README.md).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Sequence

import numpy as np

from index.db import select_in
from index.types import day_number

SHINGLE = 5  # words per shingle
PERMUTATIONS = 128
BANDS, ROWS = 32, 4  # BANDS * ROWS == PERMUTATIONS; two articles at Jaccard 0.5 share a band 87% of the time
THRESHOLD = 0.5  # estimated Jaccard of the 5-gram sets at or above which two articles are one report
CONTAINED = 0.8  # or: this share of the shorter one's 5-grams is in the longer (a cut or excerpted copy)
MAX_DAYS = 31  # two dated articles further apart than this are two editions (a yearly feature, an
# explainer rewritten months later), never copies of one report
MIN_SHINGLES = 20  # a text shorter than this (a summary, a caption) is not grouped: too little to tell a copy
MAX_CANDIDATES = 200  # candidates compared per article (the ones sharing most bands)
SEED = 1
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[bytes]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


def about_its_title(title: str, text: str) -> bool:
    """Whether a text names anything its title does (a word of four letters or more); a page whose
    text is a sign-up form or a video player's messages is not the article its title names, and is
    not grouped. A text without a title is taken as it is."""
    title = re.split(r"\s[|–—-]\s(?=[^|–—-]*$)", title)[0]  # without the site's name: "… | CNN"
    words = {w for w in _WORD.findall(title.lower()) if len(w) >= 4}
    return not words or bool(words & set(_WORD.findall(text.lower())))


def signatures(texts: Sequence[str]) -> list[np.ndarray | None]:
    """The MinHash signature of each text (None for one too short to group)."""
    return [None if x is None else x[0] for x in sketches(texts)]


def sketches(texts: Sequence[str]) -> list[tuple[np.ndarray, int] | None]:
    """Each text's MinHash signature and number of shingles (None for one too short to group)."""
    from datasketch import MinHash

    sets = [shingles(t) for t in texts]
    out: list[tuple[np.ndarray, int] | None] = [None] * len(texts)
    keep = [i for i, s in enumerate(sets) if len(s) >= MIN_SHINGLES]
    if keep:
        for i, m in zip(keep, MinHash.bulk([list(sets[i]) for i in keep], num_perm=PERMUTATIONS, seed=SEED), strict=True):
            out[i] = (m.hashvalues.astype(np.uint64), len(sets[i]))
    return out


def _day(iso: str | None) -> int | None:
    d = day_number(iso)
    return d if d >= 0 else None


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (the band number is part of it: equal rows of two bands differ)."""
    rows = sig.reshape(BANDS, ROWS)
    return [int.from_bytes(hashlib.blake2b(b.tobytes() + bytes([i]), digest_size=8).digest(), "big", signed=True)
            for i, b in enumerate(rows)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def is_copy(a: tuple, b: tuple) -> tuple[bool, float]:
    """Whether two articles, each ``(signature, shingles, day)``, are one report; and their estimated Jaccard.

    One report: dated within ``MAX_DAYS`` of each other (or undated), and a Jaccard of ``THRESHOLD``
    or more, or ``CONTAINED`` of the shorter one's shingles in the longer (estimated from the
    Jaccard and the two set sizes: |A and B| = J (|A| + |B|) / (1 + J))."""
    (sa, na, da), (sb, nb, db) = a, b
    if da is not None and db is not None and abs(da - db) > MAX_DAYS:
        return False, 0.0
    j = similarity(sa, sb)
    inside = j * (na + nb) / (1 + j) / max(min(na, nb), 1)
    return j >= THRESHOLD or inside >= CONTAINED, j


class CopyFinder:
    """Groups articles of one passage table as they are added (``group``), and reports the groups."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def group(self, aids: Iterable[int]) -> int:
        """Group the articles ``aids`` (rows of ``articles``) not grouped yet; returns how many joined a
        group of copies. Each is compared with the live articles grouped before it, and with each other."""
        todo = [r for r in select_in(self.con, "SELECT aid, text, date, title FROM articles WHERE aid IN ({qs}) AND aid "
                                               "NOT IN (SELECT aid FROM copies) ORDER BY aid", list(dict.fromkeys(aids)))]
        joined = 0
        cache: dict[int, tuple | None] = {}
        with self.con:
            texts = [t if about_its_title(title, t) else "" for _, t, _, title in todo]
            for (aid, _, day, _), sk in zip(todo, sketches(texts), strict=True):
                me = None if sk is None else (*sk, _day(day))
                cache[aid] = me
                grp = aid
                if me is not None:
                    keys = band_keys(me[0])
                    best = self._best(aid, me, keys, cache)
                    if best is not None:
                        grp, joined = best, joined + 1
                    self.con.executemany("INSERT INTO copy_bands(band, aid) VALUES (?, ?)", [(k, aid) for k in keys])
                self.con.execute("INSERT OR REPLACE INTO copies(aid, grp) VALUES (?, ?)", (aid, grp))
        return joined

    def group_ungrouped(self, batch: int = 500) -> int:
        """Group every live article not grouped yet (new ones, or an index written before copies were
        kept); returns how many joined a group of copies."""
        joined = 0
        while aids := [r[0] for r in self.con.execute(
                """SELECT a.aid FROM articles a LEFT JOIN copies c ON c.aid = a.aid
                   WHERE a.removed IS NULL AND c.aid IS NULL ORDER BY a.aid LIMIT ?""", (batch,))]:
            joined += self.group(aids)
        return joined

    def _best(self, aid: int, me: tuple, keys: list[int], cache: dict) -> int | None:
        """The group of the live candidate most like ``me`` among those it is a copy of (``is_copy``), or None."""
        cands = self._candidates(aid, keys)
        if not cands:
            return None
        missing = [c for c in cands if c not in cache]
        if missing:
            rows = list(select_in(self.con, "SELECT aid, text, date, title FROM articles WHERE aid IN ({qs})", missing))
            texts = [t if about_its_title(title, t) else "" for _, t, _, title in rows]
            for (c, _, day, _), sk in zip(rows, sketches(texts), strict=True):
                cache[c] = None if sk is None else (*sk, _day(day))
        scored = []
        for c in cands:
            if cache.get(c) is not None:
                copy, j = is_copy(me, cache[c])
                if copy:
                    scored.append((j, c))
        if not scored:
            return None
        _, c = max(scored, key=lambda x: (x[0], -x[1]))
        return self.con.execute("SELECT grp FROM copies WHERE aid = ?", (c,)).fetchone()[0]

    def _candidates(self, aid: int, keys: list[int]) -> list[int]:
        qs = ",".join("?" * len(keys))
        rows = self.con.execute(
            f"""SELECT b.aid FROM copy_bands b JOIN articles a ON a.aid = b.aid
                WHERE b.band IN ({qs}) AND b.aid != ? AND a.removed IS NULL
                GROUP BY b.aid ORDER BY COUNT(*) DESC, b.aid LIMIT ?""", [*keys, aid, MAX_CANDIDATES]).fetchall()
        return [r[0] for r in rows]
