"""Publishing a version: the one transaction that makes staged articles (or removals) visible, the
derived files built from the passage table, the manifest replaced last, and the clean-up after.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from index.build import build_version, remove_old_versions, version_files
from index.db import get_info, set_info
from index.files import fingerprint
from index.manifest import Manifest, Paths, write_manifest
from index.settings import IndexSettings


@dataclass(frozen=True)
class ModelInfo:
    """What the manifest records about the embedder."""

    name: str
    backend: str
    dim: int


def publish_staged(con: sqlite3.Connection, article_ids: list[str], version: int, model: ModelInfo,
                   remove: list[str] = ()) -> tuple[int, int, list[str]]:
    """Move staged articles into the passage table as ``version`` in one transaction, and retire the
    live articles ``remove`` in the same one (a watched folder's new and deleted files are one version).

    Returns ``(added, replaced, removed)``.
    """
    added = replaced = 0
    removed = []
    with con:
        con.execute("BEGIN IMMEDIATE")
        for aid in remove:
            row = con.execute("SELECT aid FROM articles WHERE id = ? AND removed IS NULL", (aid,)).fetchone()
            if row:
                _retire(con, row[0], version)
                removed.append(aid)
        for aid in article_ids:
            row = con.execute("SELECT content_hash, article, passages, attributions FROM staged WHERE article_id = ?",
                              (aid,)).fetchone()
            if row is None:
                continue
            h, art_json, ps_json, attr_json = row
            old = con.execute("SELECT aid FROM articles WHERE id = ? AND removed IS NULL", (aid,)).fetchone()
            if old:
                _retire(con, old[0], version)
                replaced += 1
            else:
                added += 1
            a = json.loads(art_json)
            ps = json.loads(ps_json)
            cur = con.execute(
                """INSERT INTO articles(id, content_hash, title, source, date, url, metadata, text, n_passages, added)
                   VALUES (?,?,?,?,?,?,?,?,?,?)""",
                (aid, h, a["title"], a["source"], a["date"], a["url"], json.dumps(a["metadata"], ensure_ascii=False),
                 a["text"], len(ps), version),
            )
            con.executemany(
                """INSERT INTO passages(aid, id, position, start, "end", text, key, added, sentences)
                   VALUES (?,?,?,?,?,?,?,?,?)""",
                [(cur.lastrowid, p["id"], p["position"], p["start"], p["end"], p["text"], p["key"], version,
                  p.get("sentences")) for p in ps],
            )
            if attr_json is not None:
                a_rel = json.loads(attr_json)
                con.execute("INSERT INTO attributions(aid, extractor, relations) VALUES (?,?,?)",
                            (cur.lastrowid, a_rel["extractor"], json.dumps(a_rel["relations"], ensure_ascii=False)))
        con.execute("DELETE FROM staged")
        set_version(con, version, model)
    return added, replaced, removed


def remove_articles(con: sqlite3.Connection, article_ids: list[str], version: int, model: ModelInfo) -> list[str]:
    """Mark live articles removed as of ``version`` in one transaction; returns those that were live."""
    found = []
    with con:
        con.execute("BEGIN IMMEDIATE")
        for aid in article_ids:
            row = con.execute("SELECT aid FROM articles WHERE id = ? AND removed IS NULL", (aid,)).fetchone()
            if row:
                _retire(con, row[0], version)
                found.append(aid)
        if found:
            set_version(con, version, model)
    return found


def _retire(con: sqlite3.Connection, row_id: int, version: int) -> None:
    con.execute("UPDATE articles SET removed = ? WHERE aid = ?", (version, row_id))
    con.execute("UPDATE passages SET removed = ? WHERE aid = ? AND removed IS NULL", (version, row_id))


def set_version(con: sqlite3.Connection, version: int, model: ModelInfo) -> None:
    set_info(con, "version", str(version))
    set_info(con, "model", model.name)
    if get_info(con, "dim") is None:
        set_info(con, "dim", str(model.dim))


def publish_files(con: sqlite3.Connection, paths: Paths, version: int, model: ModelInfo, chunking: dict,
                  settings: IndexSettings, previous: Manifest | None, log=lambda msg: None) -> Manifest:
    """Write the derived files of ``version`` and then the manifest that names them.

    ``previous``: the manifest of the version before (its FAISS file is updated incrementally when
    possible); None rebuilds everything from the passage table, as ``qa repair`` does.
    """
    files, kind, n_articles, n_passages = build_version(
        con, paths, version, dim=model.dim, index_type=settings.index_type,
        hnsw_threshold=settings.hnsw_threshold, hnsw_m=settings.hnsw_m, previous=previous, log=log,
    )
    manifest = Manifest(
        version=version, model=get_info(con, "model") or model.name, backend=model.backend, dim=model.dim,
        chunking=chunking, index_type=kind, articles=n_articles, passages=n_passages, files=files,
        created=datetime.now(UTC).isoformat(timespec="seconds"), extra={"files": fingerprint(paths, files)},
    )
    write_manifest(paths.manifest, manifest)
    keep = set(files.values())
    if previous is not None:
        keep |= set(previous.files.values())  # readers may still be opening the previous version
    remove_old_versions(paths, keep | set(version_files(version - 1).values()))
    collect_garbage(con, version)
    return manifest


def collect_garbage(con: sqlite3.Connection, version: int) -> None:
    """Drop rows removed before the previous version and vectors nothing refers to."""
    with con:
        old = version - 1
        con.execute("DELETE FROM passages WHERE removed IS NOT NULL AND removed <= ?", (old,))
        con.execute("DELETE FROM articles WHERE removed IS NOT NULL AND removed <= ?", (old,))
        con.execute("DELETE FROM attributions WHERE aid NOT IN (SELECT aid FROM articles)")
        staged = con.execute("SELECT COUNT(*) FROM staged").fetchone()[0]
        if not staged:
            con.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM passages)")
