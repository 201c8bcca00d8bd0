"""The on-disk index: incremental ingest, deletes, filters, integrity, crash safety, locking."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from corpus import Article
from index.errors import IndexBusy, IndexNotFound, ModelMismatch
from index.store import IndexSnapshot
from tests.conftest import ROOT, SAMPLE


def test_sample_index_is_consistent(sample):
    snap = sample.snapshot()
    assert snap.check() == []
    m = snap.manifest
    assert (m.articles, m.model, m.dim, m.index_type) == (3, "sentence-transformers/all-MiniLM-L6-v2", 384, "flat")
    assert m.chunking["max_tokens"] == 200
    assert snap.size == len(snap.all_pids()) == m.passages


def test_bm25_built_from_a_stream_in_chunks_equals_bm25s_built_from_all_texts():
    """The publish step streams passage texts into BM25 a chunk at a time; scores must not change."""
    import bm25s

    from index.lexical import Lexical, tokenize

    texts = [
        "Opposition fighters took Tel Khanzir on Sunday.",
        "",  # no tokens at all: still a document
        "The regime shelled Tel Khanzir and nearby villages.",
        "Ships left the harbour of Latakia.",
        "Jaish al-Fatah fighters entered Idlib; 43 fighters were killed.",
    ]
    pids = np.array([11, 12, 13, 14, 15])
    streamed = Lexical.build((t for t in texts), pids, chunk=2)
    whole = bm25s.BM25(k1=1.2, b=0.75)
    whole.index([t or ["\x00empty"] for t in tokenize(texts)], show_progress=False)
    for q in ["Tel Khanzir fighters", "harbour ships", "Idlib", "nothing matches zzz"]:
        toks = tokenize([q])[0]
        mine = streamed.scores(q)
        ref = [t for t in toks if t in whole.vocab_dict]
        assert np.allclose(mine, whole.get_scores(ref) if ref else 0.0)
    assert sorted(streamed.search("Tel Khanzir", 5)[0]) == [11, 13]
    with pytest.raises(ValueError, match="4 texts for 5 passages"):
        Lexical.build(iter(texts[:4]), pids)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_filtered_faiss_search_equals_brute_force_over_the_allowed(kind, monkeypatch):
    """Small filters score just the allowed vectors; wide ones walk HNSW (and fall back when short)."""
    from index import dense

    rng = np.random.default_rng(7)
    centers = rng.normal(size=(20, 32)).astype(np.float32)
    data = centers[rng.integers(0, 20, 3000)] + 0.3 * rng.normal(size=(3000, 32)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    pids = rng.permutation(100_000)[:3000].astype(np.int64)
    index = dense.new_index(kind, 32)
    index.add_with_ids(data, pids)
    q = data[0] + 0.1 * rng.normal(size=32).astype(np.float32)
    q /= np.linalg.norm(q)
    for exact_limit in (10_000, 100):  # the exact subset path, then HNSW's filtered walk (Flat: a scan)
        monkeypatch.setattr(dense, "EXACT_SUBSET", exact_limit)
        for share in (0.01, 0.2, 0.7):
            allowed = np.sort(rng.choice(pids, int(share * len(pids)), replace=False))
            got, scores = dense.search(index, q, 10, allowed)
            m = np.isin(pids, allowed)
            brute = data[m] @ q
            want = pids[m][np.argsort(-brute)[:10]]
            assert len(got) == 10 and set(got) <= set(allowed)
            overlap = len(set(got) & set(want)) / 10
            assert overlap == 1.0 if kind == "flat" or len(allowed) <= exact_limit else overlap >= 0.9
            assert np.all(np.diff(scores) <= 1e-6)
    few = np.sort(pids[:5])  # fewer allowed than k: all of them, best first
    assert set(dense.search(index, q, 10, few)[0]) == set(few)


def test_query_path_runs_the_onnx_twin_of_the_model_without_torch(sample_home, embedder):
    """Loading the torch model exports it once; later processes embed queries with onnxruntime."""
    from index.embed import SentenceTransformerEmbedder

    assert embedder._query_model_file().is_file()
    twin = SentenceTransformerEmbedder()
    texts = ["Who attacked Tel Khanzir?", "Jaish al-Fatah " * 200, "Ünïcode — “quotes”", ""]
    got = twin.embed_light(texts)
    assert twin._model is None, "the query path loaded torch"
    assert np.abs(got - embedder.embed(texts)).max() < 1e-5

    code = (
        "import sys\nfrom qa import Assistant\n"
        f"ans = Assistant(home={str(sample_home)!r}).ask('Who attacked Tel Khanzir, and why?')\n"
        "print(ans.citations[0].article_id, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["syria-direct-2015-03-tel-khanzir", "False", "False"]


def test_query_threads_setting_reaches_the_query_encoder(sample_home, monkeypatch):
    from qa import Assistant

    monkeypatch.setenv("QA_EMBED_QUERY_THREADS", "1")
    one = Assistant(home=sample_home)
    assert one.ask("Who attacked Tel Khanzir?").citations
    assert one.embedder._onnx.session.get_session_options().intra_op_num_threads == 1
    monkeypatch.delenv("QA_EMBED_QUERY_THREADS")
    auto = Assistant(home=sample_home)
    auto.ask("Who attacked Tel Khanzir?")
    want = max(1, min(len(os.sched_getaffinity(0)), 4))
    assert auto.embedder.query_threads == want
    assert auto.embedder._onnx.session.get_session_options().intra_op_num_threads == want


def test_reingest_embeds_nothing_and_changed_article_reembeds_only_its_passages(fresh, sample_copy):
    a = fresh()
    first = a.ingest(sample_copy)
    assert first.added == 3 and first.passages_embedded > 0
    again = a.ingest(sample_copy)
    assert (again.added, again.replaced, again.unchanged, again.passages_embedded) == (0, 0, 3, 0)
    f = sample_copy / "syria-direct-2015-03-kobani-villages.txt"
    f.write_text(f.read_text().replace("43 IS fighters", "44 IS fighters"))
    changed = a.ingest(sample_copy)
    assert (changed.added, changed.replaced, changed.unchanged) == (0, 1, 2)
    n_kobani = a.snapshot().article("syria-direct-2015-03-kobani-villages")["passages"]
    assert 1 <= changed.passages_embedded <= n_kobani  # only the passages whose text changed
    snap = a.snapshot()
    assert snap.check() == []
    assert any("44 IS fighters" in p.text for p in snap.passages(snap.all_pids()))
    assert not any("43 IS fighters" in p.text for p in snap.passages(snap.all_pids()))


def test_filters_reach_retrieval_through_the_assistant(fresh):
    """Filters given to ask/retrieve are applied inside both searches (the backend contract checks each)."""
    a = fresh()
    arts = [
        Article(f"n{i}", f"Harbour report {i}", f"The harbour of Qarmeed handled {i} ships this week. Officials praised the crews.",
                source="Wire A" if i % 2 else "Wire B", date=f"2024-01-{i + 1:02d}")
        for i in range(12)
    ]
    a.ingest(arts)
    hits = a.retrieve("harbour ships", k=4, sources=["Wire B"], until="2024-01-06")
    assert len(hits) == 3 and all(h.passage.source == "Wire B" and h.passage.date <= "2024-01-06" for h in hits)
    assert a.remove(["no-such-id"]) == []


def test_missing_index_says_to_ingest(fresh):
    with pytest.raises(IndexNotFound, match="qa ingest"):
        fresh().ask("anything?")


def test_other_model_is_refused_with_both_names(sample_home):
    with pytest.raises(ModelMismatch) as err:
        IndexSnapshot.open(sample_home, expected_model="intfloat/e5-small")
    assert "intfloat/e5-small" in str(err.value) and "all-MiniLM-L6-v2" in str(err.value)


def test_second_writer_is_refused_while_one_holds_the_lock(fresh):
    a = fresh()
    a.ingest(SAMPLE)
    with a.writer():
        with pytest.raises(IndexBusy, match="another ingest"):
            with a.writer():
                pass


KILL_SCRIPT = """
import sys
from qa import Assistant
from corpus import Article
a = Assistant(home=sys.argv[1], index={"batch_articles": 32})
arts = [Article(f"k{i}", f"Report {i}", " ".join(f"Sentence {j} of report {i} about the harbour." for j in range(60))) for i in range(400)]
print("start", flush=True)
a.ingest(arts)
"""


def test_ingest_killed_halfway_leaves_previous_index_usable_and_resumes(fresh, tmp_path):
    a = fresh()
    a.ingest(SAMPLE)
    before = a.ask("How many IS fighters were reportedly killed near Kobani?").to_dict()
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(a.paths.home)], cwd=ROOT, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"start"
    deadline = time.time() + 120
    import sqlite3

    while time.time() < deadline:  # wait until some batches are staged, then kill
        time.sleep(1)
        with sqlite3.connect(a.paths.db) as con:
            if con.execute("SELECT COUNT(*) FROM staged").fetchone()[0] >= 64:  # two batches of 32
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    snap = IndexSnapshot.open(a.paths.home)
    assert snap.check() == [] and snap.manifest.articles == 3
    assert a.ask("How many IS fighters were reportedly killed near Kobani?").to_dict() == before
    with sqlite3.connect(a.paths.db) as con:
        staged = con.execute("SELECT COUNT(*) FROM staged").fetchone()[0]
    assert staged >= 64  # finished batches were kept for the next run


def test_data_home_is_user_only(fresh):
    a = fresh()
    a.ingest(SAMPLE)
    assert a.paths.home.stat().st_mode & 0o777 == 0o700


def test_no_pickle_is_read_from_disk():
    """Everything on disk is SQLite, JSON, .npy/.npz (allow_pickle=False) or FAISS's own format."""
    src = "\n".join(p.read_text() for d in ("qa", "index", "corpus", "app") for p in (ROOT / d).rglob("*.py"))
    word = "pick" + "le"  # spelled apart so that this test does not match its own search
    assert f"import {word}" not in src and f"{word}.load" not in src and f"allow_{word}=True" not in src


def _vectors(home) -> dict[str, bytes]:
    import sqlite3

    con = sqlite3.connect(home / "passages.sqlite")
    try:
        return dict(con.execute("SELECT key, vec FROM vectors"))
    finally:
        con.close()


def test_vectors_are_reused_from_another_home_of_the_same_model(fresh, sample_home):
    a = fresh()
    report = a.ingest(SAMPLE, reuse_vectors_from=sample_home)
    assert report.added == 3 and report.passages_embedded == 0
    assert report.vectors_borrowed == len(_vectors(sample_home)) > 0
    assert _vectors(a.paths.home) == _vectors(sample_home)  # byte for byte
    assert a.snapshot().check() == []
    assert a.ask("Who attacked Tel Khanzir?").citations[0].article_id == "syria-direct-2015-03-tel-khanzir"


def test_vectors_of_another_model_are_refused_and_nothing_is_written(fresh, sample_home, tmp_path):
    import shutil
    import sqlite3

    donor = tmp_path / "donor"
    donor.mkdir()
    shutil.copy(sample_home / "passages.sqlite", donor / "passages.sqlite")
    con = sqlite3.connect(donor / "passages.sqlite")
    with con:  # an unfinished home of another model: no model name, vectors that are not ours
        con.execute("DELETE FROM info")
        rows = con.execute("SELECT key, vec FROM vectors").fetchall()
        con.executemany("UPDATE vectors SET vec = ? WHERE key = ?",
                        [(np.frombuffer(v, dtype=np.float32)[::-1].tobytes(), k) for k, v in rows])
    con.close()
    a = fresh()
    with pytest.raises(ModelMismatch, match="differ from this model"):
        a.ingest(SAMPLE, reuse_vectors_from=donor)
    assert _vectors(a.paths.home) == {}
    con = sqlite3.connect(donor / "passages.sqlite")
    with con:
        con.execute("INSERT INTO info(key, value) VALUES ('model', 'someone/other-model')")
    con.close()
    with pytest.raises(ModelMismatch, match="other-model"):
        a.ingest(SAMPLE, reuse_vectors_from=donor)
    with pytest.raises(IndexNotFound, match="no index to reuse"):
        a.ingest(SAMPLE, reuse_vectors_from=tmp_path / "nowhere")
    assert a.ingest(SAMPLE).added == 3  # the home is still fine for a plain ingest


def test_sentence_boundaries_are_stored_with_each_passage_and_filled_in_for_older_tables(sample_home, tmp_path, embedder):
    import sqlite3

    from corpus.text.sentences import sentence_spans
    from tests.conftest import SAMPLE, copy_of

    a = copy_of(sample_home, tmp_path / "home", embedder)
    con = sqlite3.connect(a.paths.db)
    pids = [r[0] for r in con.execute("SELECT pid FROM passages WHERE removed IS NULL")]
    ps = a.snapshot().passages(pids)
    assert ps and all(p.sentences for p in ps)
    for p in ps:
        pieces = [p.text[x:y] for x, y in p.sentences]
        assert all(s and s == s.strip() for s in pieces)
        assert [p.text[x:y] for x, y in sentence_spans(p.text)] == pieces  # what splitting the passage now finds
    before = a.ask("How many IS fighters were reportedly killed near Kobani?").to_dict()
    with con:
        con.execute("UPDATE passages SET sentences = NULL")  # a table written before boundaries were kept
    con.close()
    a._snap = None
    assert all(p.sentences is None for p in a.snapshot().passages([p.pid for p in ps]))
    assert a.ask("How many IS fighters were reportedly killed near Kobani?").text == before["text"]  # split per question
    report = a.ingest(SAMPLE)  # the next write fills them in, without a new version
    assert report.unchanged == 3 and report.version == a.snapshot().manifest.version
    a._snap = None  # an open snapshot keeps what it read (splitting per question); a new one reads them
    again = a.snapshot().passages([p.pid for p in ps])
    assert [p.sentences for p in again] == [p.sentences for p in ps]
