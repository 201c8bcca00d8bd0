"""One typed settings object, grouped by stage.

Every field has a default; unknown keys are rejected; a bad value or a combination that cannot work
is refused when the settings are loaded. Environment variables override the defaults: ``QA_HOME``
and ``QA_<GROUP>_<FIELD>``, e.g. ``QA_RETRIEVAL_ALPHA=0.6`` or ``QA_SERVER_AUTH=analyst:secret``.
Keyword overrides given in code win over the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from index.settings import ChunkSettings, EmbedSettings, Group, IndexSettings
from qa.errors import SettingsError


class RetrievalSettings(Group):
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
    rerank_depth: int = Field(12, gt=0, description="fused candidates the reranker re-scores (with rerank_tokens and rerank_weight chosen on questions training held out: bench/rerank_depth.py)")
    rerank_tokens: int = Field(96, ge=32, le=512, description="wordpieces the reranker reads per candidate, the question included")
    rerank_window: Literal["passage", "sentences"] = Field("sentences", description="what the reranker reads: the passage's start, or its title and the sentences sharing the most keywords with the question")
    rerank_margin: float = Field(0.2, ge=0, le=1, description="skip reranking when the best fused candidate leads the second by at least this much (chosen with bench/rerank_margin.py: the same Recall@5 and MRR@10 as always reranking); 0: always rerank")
    rerank_weight: float = Field(0.6, ge=0, le=1, description="built-in reranker: weight of its score against the fusion score")

    @model_validator(mode="after")
    def _some_retriever(self) -> RetrievalSettings:
        if not (self.dense or self.bm25):
            raise ValueError("dense and bm25 retrieval are both off; at least one must be on")
        return self


class AnswerSettings(Group):
    mode: Literal["extractive", "llm"] = Field("extractive", description="extractive: quoted sentences; llm: a written answer whose every sentence is checked against the evidence it cites (needs an LLM, see the llm group; without one, quoted)")
    max_sentences: int = Field(4, gt=0, le=20, description="sentences in an extractive answer")
    min_relevance: float = Field(0.35, ge=0, le=1, description="below this evidence score the answer is 'not found'")
    embedded_sentences: int = Field(8, ge=0, le=200, description="candidate sentences (best by keywords, rank and time) compared with the question by meaning; the rest by keywords only")
    passage_meaning_weight: float = Field(0.5, ge=0, le=1, description="passage evidence strength: weight of its cosine to the question (the rest: keyword coverage)")
    passage_keep_ratio: float = Field(0.6, ge=0, le=1, description="passages whose evidence strength is at least this share of the best one supply sentences")
    min_sentence_words: int = Field(3, ge=1, description="shorter sentences (datelines, bylines) are never quoted")
    keyword_weight: float = Field(0.4, ge=0, description="sentence score: weight of its IDF-weighted keyword coverage of the question")
    rank_weight: float = Field(0.15, ge=0, description="sentence score: weight of 1 / (1 + rank of its passage)")
    time_weight: float = Field(0.2, ge=0, description="sentence score: bonus when its article was published in the question's time window")
    meaning_weight: float = Field(0.45, ge=0, description="sentence score: weight of its cosine to the question (embedded sentences only)")
    score_ratio: float = Field(0.8, ge=0, le=1, description="sentences scoring below this share of the best one are left out")
    redundancy: float = Field(0.9, gt=0, le=1, description="a sentence this close (cosine) to one already chosen is left out")
    event_weight: float = Field(0.3, ge=0, description="sentence score: bonus when it describes the day a time question names ('on Tuesday'); half of it for any dated sentence in a 'when' question")
    corroboration: bool = Field(True, description="find, for each cited claim, other articles that report, dispute or give other figures for it")
    corroboration_claims: int = Field(3, ge=0, le=20, description="citations of an answer that are corroborated (the first ones)")
    corroboration_k: int = Field(12, gt=0, le=100, description="passages searched per corroborated claim")
    corroboration_compared: int = Field(6, gt=0, le=50, description="other articles per claim whose best-matching sentence is compared with it by meaning (the rest are not read)")
    corroboration_related: float = Field(0.55, ge=0, le=1, description="relatedness (meaning, shared names and numbers, shared words) at which another article's sentence reports the same thing")
    stance_model: str | None = Field(None, description="a sentence-transformers NLI CrossEncoder (hub name or folder) for stance; None: the built-in cue rules")
    source_weight: float = Field(0.3, ge=0, description="sentence score: bonus when the question names who the sentence is attributed to (a name, role, outlet or leaning)")
    doer_weight: float = Field(0.3, ge=0, description="sentence score: bonus, in a 'who did it' question ('Who attacked …?'), when the sentence names the doer of that action; such a sentence leads the answer")


class LLMSettings(Group):
    provider: Literal["openai", "ollama", "llama-cpp"] = Field("openai", description="openai: any OpenAI-compatible server at url (llama.cpp's server, vLLM, LM Studio, Ollama's /v1); ollama: Ollama's own API at url; llama-cpp: a local GGUF file named by model (the llama-cpp extra)")
    url: str | None = Field(None, description="the server's base URL, e.g. http://127.0.0.1:8080/v1 (openai) or http://127.0.0.1:11434 (ollama); unset: no LLM")
    model: str | None = Field(None, description="the model name the server knows (a GGUF path for llama-cpp)")
    api_key: str | None = Field(None, description="API key sent to the server, if it wants one")
    timeout: float = Field(60.0, gt=0, le=3600, description="seconds to wait for the server; past it the answer is the quoted one, with a message")
    max_tokens: int = Field(300, gt=0, le=4096, description="longest written answer")
    temperature: float = Field(0.0, ge=0, le=2)
    context_window: int = Field(4096, ge=512, description="the model's context, in tokens")
    evidence: int = Field(8, gt=0, le=30, description="evidence sentences the prompt numbers for the model")
    history_turns: int = Field(3, ge=0, le=20, description="recent chat turns the prompt repeats")
    min_meaning: float = Field(0.30, ge=0, le=1, description="a written sentence whose cosine to every sentence it cites is below this is dropped (chosen on training question-answer statements, no evaluation data: bench/written.py --calibrate)")
    min_words: float = Field(0.22, ge=0, le=1, description="a written sentence of whose content words less than this share occur in the sentence it cites is dropped (chosen on training question-answer statements, no evaluation data: bench/written.py --calibrate)")
    new_words: bool = Field(True, description="drop a written sentence with a content word that neither the evidence it cites nor the question has (a choice the question offers, 'X or Y', only where the evidence has it); false: the other checks only (markers, numbers, names and dates, min_words, min_meaning)")
    relations: bool = Field(True, description="drop a written sentence whose words its evidence does not put together as it does (qa.llm.relations): a name beside other words than in the evidence, a verb with another subject, two cited sentences' names joined into one fact, a hedge, negation or 'more than' left out; rules of the parse, no model")
    judge: bool = Field(True, description="ask the model afresh, with only the cited evidence, whether each sentence that passed the other checks is supported; a no (or no clear answer) drops it. Catches a true name in a false relation, which word checks cannot; one short request a kept sentence")
    rewrite_followups: bool = Field(True, description="let the LLM rewrite a follow-up question from the chat history into the searched query")
    read_questions: bool = Field(False, description="let the LLM read the kind of a question the rules read as a plain fact (a timeline, a coverage question, …), in every answer mode; one model call per such question")

    @property
    def configured(self) -> bool:
        return bool(self.model if self.provider == "llama-cpp" else self.url)


class ServerSettings(Group):
    host: str = Field("127.0.0.1", description="address to bind (loopback by default)")
    port: int = Field(7860, gt=0, lt=65536)
    auth: str | None = Field(None, description="'user:password' to require a login")
    share: bool = Field(False, description="create a public Gradio share link")
    mcp: bool = Field(False, description="also serve the tools (ask, search, attributions, timeline) over MCP at /gradio_api/mcp")
    max_upload_mb: float = Field(20.0, gt=0, description="largest upload file")
    max_upload_files: int = Field(20, gt=0, description="files per upload")
    questions_per_minute: int = Field(60, ge=0, description="questions each user may ask in any minute, on a server "
                                                            "with logins (0: no limit)")

    @field_validator("auth")
    @classmethod
    def _auth_form(cls, v: str | None) -> str | None:
        if v:
            user, sep, password = v.partition(":")
            if not (sep and user and password):
                raise ValueError("auth must be 'user:password'")
        return v or None


class Settings(Group):
    home: Path = Field(default_factory=lambda: default_home(), description="data home holding the index")
    embed: EmbedSettings = EmbedSettings()
    chunk: ChunkSettings = ChunkSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    server: ServerSettings = ServerSettings()
    llm: LLMSettings = LLMSettings()

    @field_validator("home", mode="before")
    @classmethod
    def _expand(cls, v: Any) -> Path:
        return Path(v).expanduser()

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Defaults, then ``QA_*`` environment variables, then ``overrides``.

        Raises:
            SettingsError: an unknown key, a bad value or an impossible combination, named in the message.
        """
        data: dict[str, Any] = {}
        if os.environ.get("QA_HOME"):
            data["home"] = os.environ["QA_HOME"]
        groups = [name for name in cls.model_fields if name != "home"]
        for key, value in os.environ.items():
            if not key.startswith("QA_") or key == "QA_HOME":
                continue
            rest = key[3:].lower()
            for group in groups:
                if rest.startswith(group + "_"):
                    data.setdefault(group, {})[rest[len(group) + 1 :]] = value
        for key, value in overrides.items():
            if isinstance(value, BaseModel):
                value = value.model_dump()
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return _validate(data)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some groups or fields changed, e.g. ``with_(retrieval={'k': 8})``."""
        data = self.model_dump()
        for key, value in changes.items():
            data[key] = {**data[key], **value} if isinstance(value, dict) else value
        return _validate(data)


def _validate(data: dict) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(f"bad settings: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """A pydantic validation error as one line: each field, what is wrong, and the value given."""
    parts = []
    for e in exc.errors():
        where = ".".join(map(str, e["loc"]))
        msg = e["msg"].removeprefix("Value error, ")
        given = e.get("input")
        shown = "" if isinstance(given, dict | BaseModel) else f" (got {given!r})"
        parts.append(f"{where + ': ' if where else ''}{msg}{shown}")
    return "; ".join(parts)


def default_home() -> Path:
    """``$QA_HOME``, else ``$XDG_DATA_HOME/analyst-qa``, else ``~/.local/share/analyst-qa``."""
    if os.environ.get("QA_HOME"):
        return Path(os.environ["QA_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "analyst-qa"


__all__ = ["AnswerSettings", "ChunkSettings", "EmbedSettings", "IndexSettings", "LLMSettings", "RetrievalSettings",
           "ServerSettings", "Settings", "default_home", "describe"]
