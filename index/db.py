"""The passage table (SQLite): articles, passages, vectors, staged work; versioned rows.

A row is visible at index version ``v`` when ``added <= v`` and (``removed`` is null or
``removed > v``). Publishing a new version is one transaction, so a reader of version ``v`` never
sees half of ``v + 1``, and an ingest killed at any moment leaves the last version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    aid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL, source TEXT NOT NULL, date TEXT, url TEXT NOT NULL,
    metadata TEXT NOT NULL, text TEXT NOT NULL, n_passages INTEGER NOT NULL,
    added INTEGER NOT NULL, removed INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS articles_live ON articles(id) WHERE removed IS NULL;
CREATE INDEX IF NOT EXISTS articles_removed ON articles(removed);
CREATE TABLE IF NOT EXISTS passages (
    pid INTEGER PRIMARY KEY,
    aid INTEGER NOT NULL REFERENCES articles(aid),
    id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL, key TEXT NOT NULL,
    added INTEGER NOT NULL, removed INTEGER,
    sentences TEXT
);
CREATE INDEX IF NOT EXISTS passages_aid ON passages(aid);
CREATE INDEX IF NOT EXISTS passages_added ON passages(added);
CREATE INDEX IF NOT EXISTS passages_removed ON passages(removed);
CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS staged (
    article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, article TEXT NOT NULL,
    passages TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS copies (
    aid INTEGER PRIMARY KEY REFERENCES articles(aid), grp INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS copies_grp ON copies(grp);
CREATE TABLE IF NOT EXISTS copy_bands (band INTEGER NOT NULL, aid INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS copy_bands_band ON copy_bands(band);
CREATE TABLE IF NOT EXISTS attributions (
    aid INTEGER PRIMARY KEY REFERENCES articles(aid),
    extractor TEXT NOT NULL, relations TEXT NOT NULL
);
"""

VISIBLE = "{t}.added <= :v AND ({t}.removed IS NULL OR {t}.removed > :v)"


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the passage table; a reader opens it read-only."""
    if readonly:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30)
    else:
        con = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.executescript(SCHEMA)
        _migrate(con)
    con.execute("PRAGMA busy_timeout=30000")
    return con


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a passage table written by an earlier release up to this schema (columns only ever added)."""
    staged = {r[1] for r in con.execute("PRAGMA table_info(staged)")}
    if "attributions" not in staged:
        con.execute("ALTER TABLE staged ADD COLUMN attributions TEXT")
    passages = {r[1] for r in con.execute("PRAGMA table_info(passages)")}
    if "sentences" not in passages:  # sentence boundaries, kept since 0.x: filled in by the next write
        con.execute("ALTER TABLE passages ADD COLUMN sentences TEXT")


def db_version(con: sqlite3.Connection) -> int:
    row = con.execute("SELECT value FROM info WHERE key='version'").fetchone()
    return int(row[0]) if row else 0


def get_info(con: sqlite3.Connection, key: str) -> str | None:
    row = con.execute("SELECT value FROM info WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def set_info(con: sqlite3.Connection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO info(key, value) VALUES (?, ?)", (key, value))


SQL_VARS = 900  # host parameters per statement, well under SQLite's limit


def select_in(con: sqlite3.Connection, sql: str, values: Sequence, params: Sequence = ()) -> Iterator[tuple]:
    """Rows of ``sql`` whose ``{in}`` placeholder is an ``IN (...)`` list of ``values``, in batches.

    ``params`` are positional parameters that come before the list.
    """
    values = list(values)
    for i in range(0, len(values), SQL_VARS):
        part = values[i : i + SQL_VARS]
        yield from con.execute(sql.format(qs=",".join("?" * len(part))), [*params, *part])
