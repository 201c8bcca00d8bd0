"""Run the embedding step on a Ray cluster (``pip install 'analyst-qa[distributed]'``).

``RayEmbedder`` is an ``Embedder``: the ingest is unchanged (same chunking, same passage ids, same
SQLite/FAISS/BM25 publishing), only the vectors are computed by a pool of Ray actors, each holding
the same model. With no address a local Ray is started on this machine; with an address
(``ray://host:10001`` or ``auto``) the same command uses a multi-node cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.embed import Embedder, make_embedder


class RayEmbedder(Embedder):
    """Embeds batches on ``workers`` Ray actors; tokens are counted locally."""

    def __init__(self, model: str = "default", backend: str = "torch", address: str | None = None,
                 workers: int = 2, threads_per_worker: int = 1):
        try:
            import ray
        except ImportError:
            from index.errors import ModelError

            raise ModelError("Ray is not installed: pip install 'analyst-qa[distributed]'") from None
        self._local = make_embedder(model, backend)
        self.name, self.backend = self._local.name, self._local.backend
        self._ray = ray
        if not ray.is_initialized():
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(num_cpus=workers * threads_per_worker, include_dashboard=False, ignore_reinit_error=True,
                         log_to_driver=False)
        actor = ray.remote(num_cpus=threads_per_worker)(_Worker)
        self._actors = [actor.remote(model, backend, threads_per_worker) for _ in range(workers)]
        self._dim: int | None = None

    @property
    def dim(self) -> int:  # type: ignore[override]
        if self._dim is None:
            self._dim = int(self._ray.get(self._actors[0].dim.remote()))
        return self._dim

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        shards = np.array_split(np.arange(len(texts)), len(self._actors))
        futures = [a.embed.remote([texts[i] for i in idx], batch_size) for a, idx in zip(self._actors, shards, strict=True) if len(idx)]
        return np.ascontiguousarray(np.vstack(self._ray.get(futures)), dtype=np.float32)

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        return self._local.max_tokens

    def embed_query(self, text: str) -> np.ndarray:
        return self._local.embed_query(text)

    def embed_light(self, texts: Sequence[str]) -> np.ndarray:
        return self._local.embed_light(texts)

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        return self._local.sentence_vectors(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._local.count_tokens(texts)

    def shutdown(self) -> None:
        for a in self._actors:
            self._ray.kill(a)


class _Worker:
    def __init__(self, model: str, backend: str, threads: int):
        import torch

        torch.set_num_threads(threads)
        self.embedder = make_embedder(model, backend)

    def dim(self) -> int:
        return self.embedder.dim

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.embedder.embed(texts, batch_size)
