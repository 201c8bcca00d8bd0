"""The audit trail: one JSON line per answer in the data home's ``audit.jsonl``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from index.types import Filters, Hit
from qa.types import Answer


def record(answer: Answer, hits: list[Hit], filters: Filters | None, written=None, user: str | None = None) -> dict:
    """What was asked, against which index version, what was retrieved and what was cited; for a
    written answer (``written``: ``qa.llm.writer.Written``) also the model, the evidence its prompt
    numbered, and the sentences the verifier dropped."""
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "question": answer.question,
        "searched": answer.searched or answer.question,
        "filters": None if filters is None else {"sources": filters.sources, "since": filters.since, "until": filters.until},
        "index_version": answer.index_version,
        "time_window": list(answer.time_window) if answer.time_window else None,
        "retrieved": [h.passage.id for h in hits],
        "cited": [c.passage_id for c in answer.citations],
        "not_found": answer.not_found,
        "mode": answer.mode,
    }
    if user:
        entry["user"] = user  # who asked, on a server with logins
    if answer.model:
        entry["model"] = answer.model
    if written is not None:
        entry["prompt_evidence"] = written.evidence_ids
        entry["dropped"] = written.unsupported
        entry["notice"] = written.notice
    return entry


def append(path: Path, entry: dict) -> None:
    """Append one entry; a read-only home loses the entry, never the answer."""
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError:
        pass
