"""Retrieval quality on the labelled set (benchmarks/docs_index_queries.jsonl: real compiler,
runtime, Triton, AIE and profiler messages, each labelled with the sections that answer it)."""
from pathlib import Path

from docs_index import feedback_query
from docs_index.quality import evaluate, load_queries

QUERIES = Path(__file__).resolve().parents[2] / "benchmarks" / "docs_index_queries.jsonl"


def test_the_labelled_set_is_big_varied_and_its_labels_exist(docs_index):
    qs = load_queries(QUERIES)
    ids = {s.id for s in docs_index.sections}
    assert len(qs) >= 40 and len({q["kind"] for q in qs}) >= 6
    assert all(q["relevant"] and set(q["relevant"]) <= ids for q in qs)


def test_bm25_recall_at_3_reaches_the_target(docs_index):
    q = evaluate(docs_index, load_queries(QUERIES))
    assert q.recall[3] >= 0.8, q.misses


def test_queries_built_from_harness_feedback_reach_it_too(docs_index):
    """The path reflection takes: the message as a harness result, through feedback_query."""
    qs = [{**q, "query": feedback_query({"status": "compile_error", "messages": q["query"]}, q["backend"])}
          for q in load_queries(QUERIES)]
    assert evaluate(docs_index, qs).recall[3] >= 0.8
