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


def _pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with Helvetica text lines (written here, no PDF library needed)."""
    content = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({ln}) Tj 0 -16 Td" for ln in lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = "%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    return (out + f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").encode()


def test_pdf_pages_become_sections(tmp_path: Path):
    pytest.importorskip("pypdf")
    (tmp_path / "guide.pdf").write_bytes(_pdf(["Warp shuffle reductions", "use __shfl_down_sync with a full mask"]))
    (sec,) = document_sections(tmp_path / "guide.pdf")
    assert sec.title == "guide page 1" and "__shfl_down_sync" in sec.text and sec.source.endswith("guide.pdf")
