"""Borrow vectors another data home already computed (``--reuse-vectors-from``).

Vectors are keyed by the hash of the text embedded, so a passage whose text the other home has
embedded can take its vector. The other home must use the same model: its recorded model name is
compared, and the first borrowed vector is recomputed here and compared as well.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.db import get_info, select_in
from index.embed import Embedder
from index.errors import IndexNotFound, ModelMismatch
from index.manifest import Paths

SAME_MODEL_COSINE = 0.99  # bf16 and fp32 runs of one model agree to ~0.999; another model is far below


class VectorDonor:
    """A read-only view of another home's vector table."""

    def __init__(self, home: Path, own_db: Path, embedder: Embedder):
        self.home = Path(home)
        self.embedder = embedder
        self._checked = False
        self._con: sqlite3.Connection | None = None
        db = Paths(self.home).db
        if not db.is_file():
            raise IndexNotFound(f"no index to reuse vectors from in {home} (missing {db.name})")
        if db.resolve() == Path(own_db).resolve():
            return  # our own home: nothing to borrow
        self._con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        model = get_info(self._con, "model")
        if model and model != embedder.name:
            self.close()
            raise ModelMismatch(f"vectors in {home} were made with {model!r}, not {embedder.name!r}; they cannot be reused")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def lend(self, need: dict[str, str], dim: int) -> list[tuple[str, bytes]]:
        """The ``(key, vector bytes)`` rows the donor has among ``need`` (key -> embedded text).

        Raises:
            ModelMismatch: the donor's vectors have another dimension or come from another model.
        """
        if self._con is None or not need:
            return []
        rows = list(select_in(self._con, "SELECT key, vec FROM vectors WHERE key IN ({qs})", list(need)))
        if not rows:
            return []
        if any(len(v) != 4 * dim for _, v in rows):
            raise ModelMismatch(f"vectors in {self.home} are not {dim}-d; they cannot be reused")
        if not self._checked:  # an unpublished donor has no model name: check one vector against ours
            key, blob = rows[0]
            mine = self.embedder.embed([need[key]])[0]
            if float(np.dot(mine, np.frombuffer(blob, dtype=np.float32))) < SAME_MODEL_COSINE:
                raise ModelMismatch(f"vectors in {self.home} differ from this model's; they cannot be reused")
            self._checked = True
        return rows
