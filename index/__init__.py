"""Passages, embeddings and the on-disk index (FAISS + BM25 + SQLite passage table).

Importing it changes nothing: the offline defaults for model hubs (``index.embed.base.offline_defaults``)
are set where a model library first loads, and by the entry points.
"""
