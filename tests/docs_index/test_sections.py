from pathlib import Path

import pytest

from docs_index.sections import MAX_CHARS, DocumentError, document_sections, html_sections, markdown_sections


def test_markdown_splits_by_headings_and_keeps_explicit_ids_and_source():
    md = ("# Guide\nintro\n\n## Coalescing {#cuda.coalescing}\nconsecutive threads, consecutive addresses\n"
          "```cpp\n## not a heading inside code\n```\n### Bank conflicts\npad the tile\n")
    secs = markdown_sections(md, "/docs/guide.md")
    assert [s.title for s in secs] == ["Guide", "Coalescing", "Bank conflicts"]
    assert secs[1].id == "cuda.coalescing" and secs[1].area == "cuda"
    assert "## not a heading inside code" in secs[1].text
    assert secs[2].id == "guide.bank-conflicts" and secs[2].area == "user" and secs[2].source == "/docs/guide.md"


def test_long_sections_are_split_with_distinct_ids():
    body = "\n\n".join(f"paragraph {i} " + "word " * 80 for i in range(30))
    secs = markdown_sections(f"## Big\n{body}", "big.md")
    assert len(secs) > 1 and all(len(s.text) <= MAX_CHARS + 500 for s in secs)
    assert len({s.id for s in secs}) == len(secs) and secs[1].title == "Big (part 2)"


def test_html_chunks_by_headings_and_drops_scripts():
    page = ("<html><head><title>x</title><script>var secret=1</script></head><body><h1>Warp shuffles</h1>"
            "<p>Use __shfl_down_sync &amp; a full mask.</p><h2>Reductions</h2><p>tree then warp</p></body></html>")
    secs = html_sections(page, "cuda.html")
    assert [s.title for s in secs] == ["Warp shuffles", "Reductions"]
    assert "__shfl_down_sync & a full mask" in secs[0].text and "secret" not in " ".join(s.text for s in secs)


def test_bad_documents_give_one_line(tmp_path: Path):
    (tmp_path / "a.docx").write_text("x")
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    for name in ("a.docx", "empty.md", "bad.pdf"):
        with pytest.raises(DocumentError) as e:
            document_sections(tmp_path / name)
        assert "\n" not in str(e.value) and name in str(e.value)


def test_pdf_pages_become_sections(tmp_path: Path):
    pypdf = pytest.importorskip("pypdf")
    w = pypdf.PdfWriter()
    w.add_blank_page(200, 200)
    w.write(tmp_path / "blank.pdf")
    with pytest.raises(DocumentError, match="no text"):  # a scanned/blank PDF has no text to index
        document_sections(tmp_path / "blank.pdf")
