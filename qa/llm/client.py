"""Language models through llama-index's LLM interfaces; llama-index types stay in this module.

Three ways in, chosen by ``settings.llm.provider``:

- ``openai``: any OpenAI-compatible server at ``llm.url`` (llama.cpp's ``llama-server``, vLLM,
  LM Studio, Ollama's ``/v1``, ``transformers serve``), via ``llama-index-llms-openai-like``;
- ``ollama``: Ollama's own API at ``llm.url`` (``llama-index-llms-ollama``);
- ``llama-cpp``: a local GGUF file (``llm.model``) in this process (``llama-index-llms-llama-cpp``,
  the optional ``llama-cpp`` extra: it compiles llama-cpp-python).

Nothing here is imported by the quoted (default) path.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

from qa.errors import QAError
from qa.settings import LLMSettings


class LLMUnavailable(QAError):
    """The configured LLM could not be reached, timed out, or is not installed."""


class LLM:
    """A chat model: ``stream(messages)`` yields text pieces; ``complete(messages)`` returns the text."""

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self.name = settings.model or settings.url or "llm"
        self._llm = _build(settings)
        self._short = None  # the same server, asked for a few tokens (``first_word``)

    def stream(self, messages: list[dict]) -> Iterator[str]:
        """Text pieces as the model writes them.

        Raises:
            LLMUnavailable: the server is down, answers with an error, or is slower than ``llm.timeout``.
        """
        return self._stream(self._llm, messages)

    def _stream(self, client, messages: list[dict]) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        try:
            for part in client.stream_chat(chat):
                if part.delta:
                    yield part.delta
        except Exception as exc:  # every client library has its own errors: one message for the user
            raise LLMUnavailable(f"the language model at {self.settings.url or self.settings.model} "
                                 f"did not answer: {_reason(exc)}") from None

    def complete(self, messages: list[dict]) -> str:
        """The whole reply, within ``llm.timeout`` seconds.

        Raises:
            LLMUnavailable: as ``stream``.
        """
        return "".join(with_deadline(lambda: self.stream(messages), self.settings.timeout))

    def first_word(self, messages: list[dict]) -> str:
        """A reply of a few words at most (for a yes or no), within ``llm.timeout`` seconds.

        A server is asked for at most 4 tokens and its reply is read to the end: llama-cpp-python's
        server can stall when a client leaves in the middle of a reply. A model in this process is
        stopped after the first word.

        Raises:
            LLMUnavailable: as ``stream``.
        """
        if self.settings.provider == "llama-cpp":
            pieces = lambda: _first_word(self._stream(self._llm, messages))  # noqa: E731
        else:
            if self._short is None:
                self._short = _build(self.settings.model_copy(update={"max_tokens": 4}))
            pieces = lambda: self._stream(self._short, messages)  # noqa: E731
        return "".join(with_deadline(pieces, self.settings.timeout))


def _first_word(pieces: Iterator[str]) -> Iterator[str]:
    """``pieces`` up to the end of the first word (the rest of a yes/no reply is not waited for)."""
    text = ""
    for p in pieces:
        text += p
        yield p
        if _WORD_DONE.search(text):
            return


_WORD_DONE = re.compile(r"[A-Za-z]+[^A-Za-z]")


def with_deadline(pieces: Callable[[], Iterator[str]], seconds: float,
                  on_piece: Callable[[str], None] | None = None) -> list[str]:
    """Collect ``pieces()`` on a worker thread, giving up after ``seconds`` (a stalled server
    never hangs the caller); ``on_piece`` sees each piece as it comes.

    Raises:
        LLMUnavailable: past the deadline, or what ``pieces`` raised.
    """
    got: list[str] = []
    err: list[BaseException] = []
    stop = threading.Event()

    def run() -> None:
        try:
            for p in pieces():
                if stop.is_set():
                    return
                got.append(p)
                if on_piece is not None:
                    on_piece(p)
        except BaseException as exc:  # handed to the caller below
            err.append(exc)

    t = threading.Thread(target=run, daemon=True, name="qa-llm")
    t.start()
    t.join(seconds)
    if t.is_alive():
        stop.set()
        raise LLMUnavailable(f"the language model did not finish within {seconds:g} s (setting llm.timeout)")
    if err:
        if isinstance(err[0], LLMUnavailable):
            raise err[0]
        raise LLMUnavailable(f"the language model failed: {_reason(err[0])}")
    return got


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def _build(s: LLMSettings):
    try:
        if s.provider == "openai":
            from llama_index.llms.openai_like import OpenAILike

            return OpenAILike(
                model=s.model or "default", api_base=s.url, api_key=s.api_key or "none", is_chat_model=True,
                context_window=s.context_window, max_tokens=s.max_tokens, temperature=s.temperature,
                timeout=s.timeout, max_retries=0,
            )
        if s.provider == "ollama":
            from llama_index.llms.ollama import Ollama

            return Ollama(model=s.model or "", base_url=s.url or "http://localhost:11434", request_timeout=s.timeout,
                          temperature=s.temperature, context_window=s.context_window,
                          additional_kwargs={"num_predict": s.max_tokens})
        from llama_index.llms.llama_cpp import LlamaCPP

        return LlamaCPP(model_path=s.model, temperature=s.temperature, max_new_tokens=s.max_tokens,
                        context_window=s.context_window, verbose=False)
    except ImportError as exc:
        extra = {"openai": "llama-index-llms-openai-like", "ollama": "llama-index-llms-ollama",
                 "llama-cpp": "analyst-qa[llama-cpp]"}[s.provider]
        raise LLMUnavailable(f"the {s.provider} LLM client is not installed (pip install {extra}): {exc}") from None
    except Exception as exc:  # a bad model path, a malformed URL
        raise LLMUnavailable(f"could not set up the {s.provider} LLM: {_reason(exc)}") from None
