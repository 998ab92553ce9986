"""Documents -> small titled sections: the unit retrieval returns and reflection reads.

Markdown and HTML are chunked by headings, plain text by blank-line blocks, PDF (with the
optional ``pypdf``) page by page; every section keeps its source path and title. A Markdown
heading may carry an explicit id (``## Title {#cuda.coalescing}``); otherwise the id is derived
from the source name and the title, so re-adding a document gives the same ids.
"""
from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

MAX_CHARS = 1800  # longer sections are split: reflection gets a character budget, not whole chapters

_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*(?:\{#([\w.\-:]+)\})?\s*$")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    text: str
    source: str
    area: str = "user"  # which backend's reflection may use it: cuda, nvcc, cpu, aie, ..., or user

    def to_dict(self) -> dict:
        return asdict(self)


class DocumentError(Exception):
    """A document that cannot be read or has no text: one line for the user."""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "section"


def _split_long(title: str, body: str) -> list[tuple[str, str]]:
    if len(body) <= MAX_CHARS:
        return [(title, body)]
    parts, cur = [], ""
    for para in re.split(r"\n\s*\n", body):
        if cur and len(cur) + len(para) > MAX_CHARS:
            parts.append(cur)
            cur = ""
        cur = f"{cur}\n\n{para}" if cur else para
    parts.append(cur)
    return [(title if i == 0 else f"{title} (part {i + 1})", p) for i, p in enumerate(parts)]


def _area_of(section_id: str, default: str) -> str:
    return section_id.split(".", 1)[0] if "." in section_id else default


def _assemble(chunks: list[tuple[str, str | None, str]], source: str, stem: str, area: str) -> list[Section]:
    """(title, explicit id or None, body) -> sections with unique ids."""
    out, seen = [], set()
    for title, sid, body in chunks:
        body = body.strip()
        if not body:
            continue
        for i, (t, b) in enumerate(_split_long(title, body)):
            base = sid or f"{stem}.{slug(title)}"
            ident = base if i == 0 else f"{base}~{i + 1}"
            n = 2
            while ident in seen:
                ident, n = f"{base}~{n}", n + 1
            seen.add(ident)
            out.append(Section(ident, t, b, source, _area_of(ident, area) if sid else area))
    return out


def markdown_sections(text: str, source: str, *, area: str = "user") -> list[Section]:
    stem = slug(Path(source).stem)
    chunks: list[tuple[str, str | None, str]] = []
    title, sid, lines = Path(source).stem, None, []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        m = None if in_fence else _HEADING.match(line)
        if m:
            chunks.append((title, sid, "\n".join(lines)))
            title, sid, lines = m.group(2), m.group(3), []
        else:
            lines.append(line)
    chunks.append((title, sid, "\n".join(lines)))
    return _assemble(chunks, source, stem, area)


class _HTMLChunker(HTMLParser):
    _SKIP = {"script", "style", "nav", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[tuple[str, str | None, str]] = []
        self.title, self.buf, self.heading, self.skip = "", [], None, 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skip += 1
        elif re.fullmatch(r"h[1-4]", tag):
            self.chunks.append((self.title, None, "".join(self.buf)))
            self.buf, self.heading = [], []
        elif tag in ("p", "br", "li", "pre", "div", "tr"):
            self.buf.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif re.fullmatch(r"h[1-4]", tag) and self.heading is not None:
            self.title, self.heading = " ".join("".join(self.heading).split()), None

    def handle_data(self, data):
        if self.skip:
            return
        (self.heading if self.heading is not None else self.buf).append(data)


def html_sections(text: str, source: str, *, area: str = "user") -> list[Section]:
    p = _HTMLChunker()
    p.title = Path(source).stem
    p.feed(text)
    p.chunks.append((p.title, None, "".join(p.buf)))
    chunks = [(html.unescape(t), i, re.sub(r"\n\s*\n+", "\n\n", b)) for t, i, b in p.chunks]
    return _assemble(chunks, source, slug(Path(source).stem), area)


def text_sections(text: str, source: str, *, area: str = "user") -> list[Section]:
    """Plain text has no headings: blocks between blank lines, grouped up to the size limit."""
    stem = slug(Path(source).stem)
    return _assemble([(Path(source).stem, None, text)], source, stem, area)


def pdf_sections(path: Path, *, area: str = "user") -> list[Section]:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise DocumentError(f"{path}: PDF needs the optional extra: pip install 'kernelgepa[docs]'") from None
    try:
        pages = [(p.extract_text() or "") for p in PdfReader(str(path)).pages]
    except Exception as e:  # noqa: BLE001 - any malformed PDF is one line for the user
        raise DocumentError(f"{path}: cannot read PDF ({type(e).__name__}: {e})") from None
    stem = slug(path.stem)
    return _assemble([(f"{path.stem} page {i + 1}", None, t) for i, t in enumerate(pages)], str(path), stem, area)


def document_sections(path: Path, *, area: str = "user") -> list[Section]:
    """Sections of one user document, chosen by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        secs = pdf_sections(path, area=area)
    else:
        try:
            text = path.read_text(errors="replace")
        except OSError as e:
            raise DocumentError(f"{path}: {e.strerror}") from None
        if suffix in (".md", ".markdown"):
            secs = markdown_sections(text, str(path), area=area)
        elif suffix in (".html", ".htm"):
            secs = html_sections(text, str(path), area=area)
        elif suffix in (".txt", ".rst", ".text", ""):
            secs = text_sections(text, str(path), area=area)
        else:
            raise DocumentError(f"{path}: unsupported document type {suffix!r} (use .md, .html, .txt or .pdf)")
    if not secs:
        raise DocumentError(f"{path}: no text found")
    return secs
