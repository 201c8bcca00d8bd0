"""The Ray embedding path gives the same index as the single-process path (local Ray, 2 workers)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli import app
from tests.conftest import SAMPLE

pytest.importorskip("ray")


def test_bare_ray_flag_means_a_local_ray():
    from app.cli import normalize_argv

    assert normalize_argv(["ingest", "x", "--ray"]) == ["ingest", "x", "--ray", "local"]
    assert normalize_argv(["ingest", "x", "--ray", "-q"]) == ["ingest", "x", "--ray", "local", "-q"]
    assert normalize_argv(["ingest", "x", "--ray", "ray://h:10001"]) == ["ingest", "x", "--ray", "ray://h:10001"]


def _passages(home):
    con = sqlite3.connect(home / "passages.sqlite")
    rows = con.execute(
        "SELECT p.id, v.vec FROM passages p JOIN vectors v ON v.key = p.key WHERE p.removed IS NULL ORDER BY p.id"
    ).fetchall()
    return [r[0] for r in rows], np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)


@pytest.mark.slow
def test_ray_ingest_equals_single_process(tmp_path, sample_home):
    import ray

    home = tmp_path / "ray-home"
    try:
        r = CliRunner().invoke(app, ["ingest", str(SAMPLE), "--home", str(home), "-q", "--ray-workers", "2", "--ray", "local"],
                               catch_exceptions=False)
    finally:
        ray.shutdown()
    assert r.exit_code == 0, r.output
    ids_ray, vec_ray = _passages(home)
    ids_one, vec_one = _passages(sample_home)
    assert ids_ray == ids_one
    assert np.allclose(vec_ray, vec_one, atol=1e-5)
    r = CliRunner().invoke(app, ["check", "--home", str(home)])
    assert r.exit_code == 0
