"""Hostile and broken input, fuzzed: every case ends in a result or a clear error, never a crash.

Case counts: ``QA_FUZZ_SCALE`` multiplies them (bench/fuzz.py runs a larger scale).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import Article, Skipped, load_articles
from corpus.load import SUFFIXES
from qa.assistant import check_question, make_filters
from qa.errors import BadFilter, BadQuestion

SCALE = float(os.environ.get("QA_FUZZ_SCALE", "1"))
COUNTS: dict[str, int] = {}  # cases each fuzz test ran, checked by the ``counted`` fixture after it


def n(base: int) -> int:
    return max(1, int(base * SCALE))


def fuzz(base: int, name: str):
    """Hypothesis settings for ``n(base)`` cases; the test records each case under ``name``."""
    def wrap(fn):
        fn = settings(max_examples=n(base), deadline=None, suppress_health_check=list(HealthCheck), database=None)(fn)
        fn.fuzz_cases, fn.fuzz_name = base, name
        return fn

    return wrap


def _counted(name):
    COUNTS[name] = COUNTS.get(name, 0) + 1


@pytest.fixture(autouse=True)
def counted(request):
    """After each fuzz test: it really ran as many cases as it asked for (no silent early stop)."""
    base = getattr(request.function, "fuzz_cases", None)
    name = getattr(request.function, "fuzz_name", None)
    COUNTS.pop(name, None)
    yield
    if base is not None:
        assert COUNTS.get(name, 0) >= n(base), f"{name}: {COUNTS.get(name, 0)} cases run, {n(base)} asked for"


def _check_result(items):
    for item in items:
        assert isinstance(item, Article | Skipped)
        if isinstance(item, Skipped):
            assert item.reason and item.path
        else:
            assert item.text.strip() and item.id


@fuzz(2000, "bytes")
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(sorted(SUFFIXES)))
def test_random_bytes_as_any_file_type(tmp_path_factory, data, suffix):
    _counted("bytes")
    d = tmp_path_factory.mktemp("fz")
    (d / f"f{suffix}").write_bytes(data)
    _check_result(load_articles(d).articles + load_articles(d).skipped)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
record = st.dictionaries(
    st.sampled_from(["id", "title", "text", "body", "source", "date", "url", "metadata", "extra"]) | st.text(max_size=6),
    json_values, max_size=7,
)


@fuzz(2000, "jsonl")
@given(rows=st.lists(record | json_values, min_size=1, max_size=6))
def test_jsonl_with_wrong_or_missing_fields(tmp_path_factory, rows):
    _counted("jsonl")
    d = tmp_path_factory.mktemp("fz")
    (d / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (d / "b.json").write_text(json.dumps(rows), encoding="utf-8")
    r = load_articles(d)
    _check_result(r.articles + r.skipped)
    assert len(r.articles) + len(r.skipped) >= 1


@fuzz(1000, "text")
@given(text=st.text(max_size=2000), front=st.booleans(), md=st.booleans())
def test_text_files_with_random_unicode_and_front_matter(tmp_path_factory, text, front, md):
    _counted("text")
    d = tmp_path_factory.mktemp("fz")
    body = (f"---\n{text[:200]}\n---\n" if front else "") + text
    (d / ("a.md" if md else "a.txt")).write_bytes(body.encode("utf-8", errors="replace"))
    r = load_articles(d)
    _check_result(r.articles + r.skipped)


@fuzz(2500, "questions")
@given(q=st.one_of(st.text(max_size=3000), st.binary(max_size=50), st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=3)))
def test_questions_of_any_shape(q):
    _counted("questions")
    try:
        out = check_question(q)
    except BadQuestion as exc:
        assert str(exc)
    else:
        assert out.strip() and len(out) <= 2000 and all(c.isprintable() or c in "\n\t" for c in out)


anything = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(), st.lists(st.one_of(st.text(max_size=10), st.integers()), max_size=3),
                     st.dates().map(str), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@fuzz(2500, "filters")
@given(sources=anything, since=anything, until=anything)
def test_filter_values_of_the_wrong_type(sources, since, until):
    _counted("filters")
    try:
        f = make_filters(sources, since, until)
    except BadFilter as exc:
        assert str(exc)
    else:
        assert f is None or f.active


@fuzz(30, "ask")
@given(q=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300))
def test_ask_with_random_unicode_never_crashes(sample, q):
    _counted("ask")
    try:
        ans = sample.ask(q, rerank=False)
    except BadQuestion:
        return
    assert ans.text
    for c in ans.citations:
        assert c.quote in c.passage


def test_enormous_lines_and_bombs_are_refused_or_bounded(tmp_path):
    (tmp_path / "long.txt").write_text("word " * 400_001, encoding="utf-8")  # one 2 MB line
    (tmp_path / "huge.jsonl").write_text(json.dumps({"id": "h", "text": "x" * 2_500_000}), encoding="utf-8")
    with gzip.open(tmp_path / "bomb.jsonl.gz", "wb", compresslevel=9) as fh:
        for _ in range(80):
            fh.write(b" " * 1_000_000)  # 80 MB of blanks in ~80 KB
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    r = load_articles(tmp_path)
    reasons = {Path(s.path.split(":")[0]).name: s.reason for s in r.skipped}
    assert "limit" in reasons["huge.jsonl"]
    assert "zip bomb" in reasons["bomb.jsonl.gz"]
    assert reasons["deep.json"] == "JSON nested too deeply"
    assert "2,000,005 characters, over the 2,000,000 limit" in reasons["long.txt"]  # one 2 MB line: over the article limit
    assert not r.articles


def test_control_characters_are_cleaned_from_text(tmp_path):
    (tmp_path / "c.txt").write_text("Title\x07\nBody \x1b[31m red \x00 text", encoding="utf-8")
    r = load_articles(tmp_path)
    assert r.skipped and "binary" in r.skipped[0].reason  # NUL: refused as binary
    (tmp_path / "c.txt").write_text("Title\nBody \x1b[31m red \x0b text", encoding="utf-8")
    a = load_articles(tmp_path).articles[0]
    assert "\x1b" not in a.text and "\x0b" not in a.text and "red" in a.text
