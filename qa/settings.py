"""One typed settings object, grouped by stage.

Every field has a default; unknown keys are rejected. Environment variables override the defaults:
``QA_HOME`` and ``QA_<GROUP>_<FIELD>``, e.g. ``QA_RETRIEVAL_ALPHA=0.6`` or
``QA_SERVER_AUTH=analyst:secret``. Keyword overrides given in code win over the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qa.errors import SettingsError


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


class EmbedSettings(_Group):
    model: str = Field("default", description="sentence-transformers model: 'default' (bundled all-MiniLM-L6-v2), a hub name or a local folder")
    backend: Literal["torch", "torch-bf16", "onnx-int8"] = Field("torch", description="how the model runs")
    device: str = Field("cpu", description="torch device")
    batch_size: int = Field(64, gt=0, description="texts per forward pass")
    query_threads: int = Field(0, ge=0, le=64, description="threads that embed a question and its answer sentences; 0: all cores, at most 4")
    allow_downloads: bool = Field(False, description="let hub model names download (off: fully offline)")


class ChunkSettings(_Group):
    max_tokens: int = Field(200, ge=16, le=512, description="passage size in wordpieces, title included")
    overlap_tokens: int = Field(32, ge=0, description="whole sentences repeated between passages, up to this many wordpieces")


class IndexSettings(_Group):
    index_type: Literal["auto", "flat", "hnsw"] = Field("auto", description="FAISS index type; auto = flat below hnsw_threshold")
    hnsw_threshold: int = Field(100_000, gt=0, description="passages from which 'auto' builds HNSW")
    hnsw_m: int = Field(32, gt=1, description="HNSW graph degree")
    ef_search: int = Field(128, gt=0, description="HNSW search breadth")
    lock_timeout: float = Field(0.0, ge=0, description="seconds an ingest waits for another one to finish")
    batch_articles: int = Field(256, gt=0, description="articles embedded and staged per batch (the unit a killed ingest resumes from)")


class RetrievalSettings(_Group):
    k: int = Field(5, gt=0, le=100, description="passages returned")
    dense: bool = Field(True, description="use the embedding search")
    bm25: bool = Field(True, description="use BM25 keyword search")
    fusion: Literal["weighted", "rrf"] = Field("weighted", description="how dense and BM25 results are combined")
    alpha: float = Field(0.5, ge=0, le=1, description="weight of the dense score in weighted fusion")
    rrf_k: int = Field(60, gt=0, description="reciprocal rank fusion constant")
    candidates: int = Field(50, gt=0, description="candidates taken from each retriever")
    dedupe: bool = Field(True, description="collapse near-duplicate passages (wire copies)")
    dedupe_threshold: float = Field(0.97, gt=0, le=1, description="cosine above which passages are duplicates")
    time_boost: float = Field(0.2, ge=0, le=1, description="bonus for passages published in the window a question's relative time names ('this week'); 0: off")
    recent_days: int = Field(31, ge=0, description="questions without time words prefer articles of the last N days before as_of (news is asked about while it is news); 0: only time words set a window")
    rerank: bool = Field(True, description="run the reranking stage")
    rerank_model: str | None = Field(None, description="a sentence-transformers CrossEncoder (hub name or folder); None: the built-in reranker")
    rerank_depth: int = Field(20, gt=0, description="fused candidates the reranker re-scores")
    rerank_weight: float = Field(0.5, ge=0, le=1, description="built-in reranker: weight of its score against the fusion score")


class AnswerSettings(_Group):
    max_sentences: int = Field(4, gt=0, le=20, description="sentences in an extractive answer")
    min_relevance: float = Field(0.35, ge=0, le=1, description="below this evidence score the answer is 'not found'")
    embedded_sentences: int = Field(16, ge=0, le=200, description="candidate sentences (best by keywords, rank and time) compared with the question by meaning; the rest by keywords only")


class ServerSettings(_Group):
    host: str = Field("127.0.0.1", description="address to bind (loopback by default)")
    port: int = Field(7860, gt=0, lt=65536)
    auth: str | None = Field(None, description="'user:password' to require a login")
    share: bool = Field(False, description="create a public Gradio share link")
    max_upload_mb: float = Field(20.0, gt=0, description="largest upload file")
    max_upload_files: int = Field(20, gt=0, description="files per upload")


class Settings(_Group):
    home: Path = Field(default_factory=lambda: default_home(), description="data home holding the index")
    embed: EmbedSettings = EmbedSettings()
    chunk: ChunkSettings = ChunkSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    server: ServerSettings = ServerSettings()

    @field_validator("home", mode="before")
    @classmethod
    def _expand(cls, v: Any) -> Path:
        return Path(v).expanduser()

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Defaults, then ``QA_*`` environment variables, then ``overrides``.

        Raises:
            SettingsError: an unknown key or a bad value, named in the message.
        """
        data: dict[str, Any] = {}
        if os.environ.get("QA_HOME"):
            data["home"] = os.environ["QA_HOME"]
        groups = {name: f.annotation for name, f in cls.model_fields.items() if name != "home"}
        for key, value in os.environ.items():
            if not key.startswith("QA_") or key == "QA_HOME":
                continue
            rest = key[3:].lower()
            for group in groups:
                if rest.startswith(group + "_"):
                    data.setdefault(group, {})[rest[len(group) + 1 :]] = value
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            elif isinstance(value, BaseModel):
                data[key] = value.model_dump()
            else:
                data[key] = value
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            msgs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors())
            raise SettingsError(f"bad settings: {msgs}") from None

    def with_(self, **changes: Any) -> Settings:
        """A copy with some groups or fields changed, e.g. ``with_(retrieval={'k': 8})``."""
        data = self.model_dump()
        for key, value in changes.items():
            if isinstance(value, dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        try:
            return Settings.model_validate(data)
        except ValidationError as exc:
            raise SettingsError(f"bad settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


def default_home() -> Path:
    """``$QA_HOME``, else ``$XDG_DATA_HOME/analyst-qa``, else ``~/.local/share/analyst-qa``."""
    if os.environ.get("QA_HOME"):
        return Path(os.environ["QA_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "analyst-qa"
