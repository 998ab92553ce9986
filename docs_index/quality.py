"""Retrieval quality on a labelled query set: recall@k and mean reciprocal rank.

A query is a hit at k when any of its relevant sections is among the first k returned; the
reciprocal rank is 1/position of the first relevant section (0 if none in the first ``depth``).
Queries go through ``ManualRetriever.query``, the same path reflection uses (backend areas, optional
re-ranking).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from docs_index.index import DocsIndex
from docs_index.retriever import ManualRetriever


@dataclass
class Quality:
    n: int
    recall: dict[int, float]
    mrr: float
    misses: list[dict] = field(default_factory=list)  # queries with no relevant section in the top 3


def load_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def evaluate(index: DocsIndex, queries: list[dict], *, ks: tuple[int, ...] = (1, 3, 5), depth: int = 10,
             reranker=None) -> Quality:
    hits_at = {k: 0 for k in ks}
    rr_sum, misses = 0.0, []
    for q in queries:
        got = [h.section.id for h in ManualRetriever(index, q["backend"], reranker=reranker).query(q["query"], depth)]
        first = next((i for i, sid in enumerate(got) if sid in set(q["relevant"])), None)
        for k in ks:
            hits_at[k] += first is not None and first < k
        rr_sum += 1.0 / (first + 1) if first is not None else 0.0
        if first is None or first >= 3:
            misses.append({"query": q["query"][:120], "relevant": q["relevant"], "top3": got[:3]})
    n = max(1, len(queries))
    return Quality(len(queries), {k: hits_at[k] / n for k in ks}, rr_sum / n, misses)
