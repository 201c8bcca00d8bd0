"""Every file of a data home, truncated or deleted: one line naming it from `qa check`, `qa ask`
and the web chat, never a traceback; `qa repair` rebuilds what is derived, and the answers are
then exactly those from before the damage."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from app.chat_backend import ChatBackend
from app.cli import app
from qa import Assistant
from tests.conftest import SEED_QUESTIONS, copy_of

NOT_INDEX_FILES = {"audit.jsonl", "ingest.lock"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, sample_home, embedder):
    """A copy of the sample home; each case damages a copy of it."""
    home = tmp_path_factory.mktemp("pristine") / "home"
    a = copy_of(sample_home, home, embedder)
    answers = {q: a.ask(q, as_of="2015-03-25").to_dict() for q in SEED_QUESTIONS}
    (home / "audit.jsonl").unlink(missing_ok=True)
    files = sorted(p.relative_to(home).as_posix() for p in home.rglob("*")
                   if p.is_file() and p.name not in NOT_INDEX_FILES and not p.name.endswith(("-shm", "-wal")))
    return home, answers, files


def test_the_home_holds_the_files_this_test_damages(pristine):
    _, _, files = pristine
    assert "manifest.json" in files and "passages.sqlite" in files
    assert any(f.endswith(".faiss") for f in files) and any(f.endswith(".meta.npz") for f in files)
    assert sum(".bm25/" in f for f in files) >= 4


def _damage(home, rel, how):
    f = home / rel
    if how == "delete":
        f.unlink()
    else:
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2])


def _one_error_line(result, rel):
    out = result.output.strip()
    assert result.exit_code != 0, out
    assert "Traceback" not in out, out
    lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, out
    name = rel.split("/")[-1] if not rel.startswith("data/") else rel.split("/")[1]
    assert name in lines[0] or rel.split("/")[-1] in lines[0], (rel, lines[0])
    return lines[0]


@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_each_damaged_file_is_named_and_derived_files_are_repaired(pristine, tmp_path, how, embedder):
    src, answers, files = pristine
    runner = CliRunner()
    question = next(iter(SEED_QUESTIONS))
    for rel in files:
        home = tmp_path / f"{how}-{rel.replace('/', '_')}"
        shutil.copytree(src, home)
        _damage(home, rel, how)

        _one_error_line(runner.invoke(app, ["check", "--home", str(home)]), rel)
        _one_error_line(runner.invoke(app, ["ask", question, "--home", str(home)]), rel)
        a = Assistant(home=home, embedder=embedder)
        _, html, _, err = ChatBackend(a).ask(question, None)
        assert html is None and err and "Traceback" not in err
        assert rel.split("/")[-1] in err or rel.split("/")[1] in err, (rel, err)

        repaired = runner.invoke(app, ["repair", "--home", str(home)])
        if rel == "passages.sqlite":  # the source of truth: nothing to rebuild it from
            line = _one_error_line(repaired, rel)
            assert "backup" in line or "re-ingest" in line
            continue
        assert repaired.exit_code == 0, (rel, repaired.output)
        assert runner.invoke(app, ["check", "--home", str(home)]).exit_code == 0
        fixed = Assistant(home=home, embedder=embedder)
        for q, before in answers.items():
            assert fixed.ask(q, as_of="2015-03-25").to_dict() == before, (rel, q)


def test_flipped_bytes_that_keep_the_size_are_found_by_the_checksum(pristine, tmp_path):
    src, _, files = pristine
    home = tmp_path / "flipped"
    shutil.copytree(src, home)
    rel = next(f for f in files if f.endswith(".meta.npz"))
    data = bytearray((home / rel).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (home / rel).write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["check", "--home", str(home)])
    assert result.exit_code != 0 and "checksum" in result.output and rel.split("/")[-1] in result.output
