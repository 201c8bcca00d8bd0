"""llama-index adapter: our index as a ``BaseRetriever`` for any LlamaIndex app.

Nodes are ``TextNode``s whose text is the passage and whose metadata carries what a citation
needs (article id, title, source, date, url, character span in the article). llama-index types
stay in this module.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.callbacks import CallbackManager
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode


class QARetriever(BaseRetriever):
    """Hybrid retrieval (with filters) of an ``Assistant``, returned as llama-index nodes."""

    def __init__(self, assistant, similarity_top_k: int = 5, sources=None, since=None, until=None,
                 callback_manager: CallbackManager | None = None, **retrieval: Any):
        super().__init__(callback_manager=callback_manager)
        self._assistant = assistant
        self._k = similarity_top_k
        self._filters = {"sources": sources, "since": since, "until": until}
        self._retrieval = retrieval

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._assistant.retrieve(query_bundle.query_str, k=self._k, **self._filters, **self._retrieval)
        out = []
        for h in hits:
            p = h.passage
            node = TextNode(
                id_=p.id,
                text=p.text,
                start_char_idx=p.start,
                end_char_idx=p.end,
                metadata={
                    "article_id": p.article_id, "title": p.title, "source": p.source, "date": p.date or "",
                    "url": p.url, "start": p.start, "end": p.end, "position": p.position,
                },
                excluded_embed_metadata_keys=["start", "end", "position"],
                excluded_llm_metadata_keys=["start", "end", "position"],
            )
            out.append(NodeWithScore(node=node, score=float(h.score)))
        return out
