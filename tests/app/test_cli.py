"""The `qa` command line, in-process, in a temporary home."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from app.cli import app
from tests.conftest import SAMPLE, write

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_ingest_ask_stats_remove_check(tmp_path):
    home = tmp_path / "home"
    r = run("ingest", SAMPLE, "--home", home, "--quiet")
    assert r.exit_code == 0, r.output
    assert "3 added" in r.output
    r = run("ingest", SAMPLE, "--home", home, "--json")
    assert json.loads(r.stdout.strip().splitlines()[-1])["unchanged"] == 3
    r = run("ingest", SAMPLE, "--home", tmp_path / "twin", "--json", "--reuse-vectors-from", home)
    twin = json.loads(r.stdout.strip().splitlines()[-1])
    assert twin["added"] == 3 and twin["passages_embedded"] == 0 and twin["vectors_borrowed"] > 0
    r = run("ask", "How many IS fighters were reportedly killed near Kobani?", "--home", home, "--json", "-k", "3")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["citations"][0]["article_id"] == "syria-direct-2015-03-kobani-villages"
    assert any("43" in c["quote"] for c in d["citations"])
    r = run("ask", "Who attacked Tel Khanzir?", "--home", home)
    assert "**Sources**" in r.stdout and "[1]" in r.stdout
    r = run("stats", "--home", home, "--json", "--articles")
    s = json.loads(r.stdout)
    assert s["articles"] == 3 and s["sources"] == ["Syria Direct"] and len(s["article_list"]) == 3
    r = run("check", "--home", home)
    assert r.exit_code == 0 and r.stdout.startswith("ok: 3 articles")
    r = run("remove", "syria-direct-2015-03-idlib-defection", "--home", home)
    assert r.exit_code == 0 and "removed 1" in r.stdout
    r = run("remove", "nope", "--home", home)
    assert r.exit_code == 1 and "no such article: nope" in r.output


def test_errors_are_one_line_and_non_zero(tmp_path):
    home = tmp_path / "empty"
    r = run("ask", "anything?", "--home", home)
    assert r.exit_code == 1
    assert r.output.strip().startswith("error:") and "qa ingest" in r.output
    assert "Traceback" not in r.output
    r = run("ingest", tmp_path / "missing", "--home", home)
    assert r.exit_code == 1 and "no such file or folder" in r.output
    r = run("check", "--home", home)
    assert r.exit_code == 1 and "error:" in r.output


def test_empty_question_and_bad_filter(tmp_path, sample_home):
    r = run("ask", "   ", "--home", sample_home)
    assert r.exit_code == 1 and "question is empty" in r.output
    r = run("ask", "x" * 100_000, "--home", sample_home)
    assert r.exit_code == 1 and "limit" in r.output
    r = run("ask", "Who?", "--home", sample_home, "--since", "soon")
    assert r.exit_code == 1 and "since" in r.output


def test_bad_files_warn_and_the_rest_ingests(tmp_path):
    folder = tmp_path / "in"
    write(folder / "good.txt", "A title\nThe harbour of Qarmeed reopened on Monday after repairs.")
    (folder / "bin.txt").write_bytes(b"\x00\xff\x00")
    write(folder / "empty.md", "")
    r = run("ingest", folder, "--home", tmp_path / "home", "--quiet")
    assert r.exit_code == 0
    assert "warning: skipped" in r.output and "bin.txt" in r.output and "empty.md" in r.output
    assert "1 added" in r.output
    only_bad = tmp_path / "bad"
    (only_bad / "x.txt").parent.mkdir()
    (only_bad / "x.txt").write_bytes(b"\x00")
    r = run("ingest", only_bad, "--home", tmp_path / "home2", "--quiet")
    assert r.exit_code == 2


def test_corrupt_index_check_fails_with_reason(tmp_path):
    home = tmp_path / "home"
    run("ingest", SAMPLE, "--home", home, "--quiet")
    m = json.loads((home / "manifest.json").read_text())
    (home / "data" / m["files"]["faiss"]).write_bytes(b"garbage")
    r = run("check", "--home", home)
    assert r.exit_code == 1 and "data/v000001.faiss is damaged" in r.output and "qa repair" in r.output


def test_help_is_fast_to_import():
    import subprocess
    import sys
    import time

    t = time.time()
    out = subprocess.run([sys.executable, "-c", "import qa, sys; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"  # importing qa loads no model library
    assert time.time() - t < 30
