"""Passages, embeddings and the on-disk index (FAISS + BM25 + SQLite passage table).

Model hubs are off unless the user opts in (``QA_EMBED_ALLOW_DOWNLOADS=1``): a mistake then fails at
once instead of hanging on a network that is not there.
"""

import os

if os.environ.get("QA_EMBED_ALLOW_DOWNLOADS", "").lower() not in {"1", "true", "yes"}:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
