"""The settings groups of the index layer: embedding, chunking, the on-disk index.

``qa.settings.Settings`` composes these with the question-answering groups into the one settings
object; the index layer takes its own groups from there and has no second copy of any default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_ALIASES = frozenset({"default", DEFAULT_MODEL, "all-MiniLM-L6-v2"})
MAX_SEQ = 256  # wordpieces the embedder reads, [CLS] and [SEP] included; longer inputs are cut
MAX_PASSAGE_TOKENS = MAX_SEQ - 2


def backend_problem(model: str, backend: str) -> str | None:
    """Why ``backend`` cannot run ``model``, or None (the int8 export exists only for the default model)."""
    if backend == "onnx-int8" and model not in DEFAULT_ALIASES:
        return f"the onnx-int8 backend ships only for the default model, not {model!r}; use backend torch for other models"
    return None


class Group(BaseModel):
    """A frozen settings group: unknown keys are refused, every field has a default."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


class EmbedSettings(Group):
    model: str = Field("default", description="sentence-transformers model: 'default' (bundled all-MiniLM-L6-v2), a hub name or a local folder")
    backend: Literal["torch", "torch-bf16", "onnx-int8"] = Field("torch", description="how the model runs")
    device: str = Field("cpu", description="torch device")
    batch_size: int = Field(64, gt=0, description="texts per forward pass")
    query_threads: int = Field(0, ge=0, le=64, description="threads that embed a question and its answer sentences; 0: all cores, at most 4")
    sentence_int8: bool = Field(True, description="answer and corroboration sentences through an int8 copy of the model (torch backends with an ONNX export; faster where the CPU has int8 dot products, nearly the same vectors: bench/README.md); questions and passages stay float32")
    allow_downloads: bool = Field(False, description="let hub model names download (off: fully offline)")

    @model_validator(mode="after")
    def _backend_fits_model(self) -> EmbedSettings:
        problem = backend_problem(self.model, self.backend)
        if problem:
            raise ValueError(problem)
        return self


class ChunkSettings(Group):
    max_tokens: int = Field(200, ge=16, le=MAX_PASSAGE_TOKENS,
                            description=f"passage size in wordpieces, title included (at most {MAX_PASSAGE_TOKENS}: the embedder reads {MAX_SEQ} with its two special tokens)")
    overlap_tokens: int = Field(32, ge=0, description="whole sentences repeated between passages, up to this many wordpieces")

    @model_validator(mode="after")
    def _overlap_fits(self) -> ChunkSettings:
        if self.overlap_tokens >= self.max_tokens:
            raise ValueError(f"overlap_tokens ({self.overlap_tokens}) must be below max_tokens ({self.max_tokens})")
        return self

    @property
    def signature(self) -> dict:
        """What the manifest records (and what makes an article's passages change)."""
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens, "title_prefix": True}


class IndexSettings(Group):
    index_type: Literal["auto", "flat", "hnsw"] = Field("auto", description="FAISS index type; auto = flat below hnsw_threshold")
    hnsw_threshold: int = Field(100_000, gt=0, description="passages from which 'auto' builds HNSW")
    hnsw_m: int = Field(32, gt=1, description="HNSW graph degree")
    ef_search: int = Field(128, gt=0, description="HNSW search breadth (scaled up for filtered searches)")
    lock_timeout: float = Field(0.0, ge=0, description="seconds an ingest waits for another one to finish")
    batch_articles: int = Field(256, gt=0, description="articles embedded and staged per batch (the unit a killed ingest resumes from)")
    batch_passages: int = Field(1024, gt=0, description="passages embedded and committed at a time inside a batch")
    attribution: bool = Field(True, description="find who says what (source, cue, content) in each new or changed article at ingest; off: faster ingest, answers carry no attribution")
