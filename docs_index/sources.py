"""Where sections come from: the project's corpus, what the machine has, and user documents.

Each source knows how to fingerprint itself cheaply (so an index is rebuilt only when a source
changes) and how to produce its sections. A source that is absent on this machine (no CUDA
toolkit, no Triton) yields nothing and a note, never an error.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from docs_index.sections import Section, document_sections, markdown_sections

CORPUS_DIR = Path(__file__).parent / "corpus"

# Headers whose doc comments explain device intrinsics, half/bfloat16 math and runtime errors.
CUDA_HEADERS = ("cuda_fp16.h", "cuda_bf16.h", "cuda_fp8.h", "sm_20_intrinsics.h", "sm_30_intrinsics.h",
                "sm_32_intrinsics.h", "sm_60_atomic_functions.h", "sm_61_intrinsics.h", "driver_types.h",
                "cuda_runtime_api.h", "crt/math_functions.h", "crt/sm_70_rt.h", "crt/sm_80_rt.h",
                "crt/sm_90_rt.h", "cuda_pipeline_primitives.h")


@dataclass
class Source:
    name: str
    fingerprint: Callable[[], str]
    load: Callable[[], list[Section]]
    notes: list[str] = field(default_factory=list)


def _hash_files(paths: list[Path], *, content: bool) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        st = p.stat()
        h.update(f"{p}:{st.st_size}:{'' if content else st.st_mtime_ns}".encode())
        if content:
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


# ---- the project's own corpus -----------------------------------------------------------------
_UNTAGGED = "untagged"


def corpus_source() -> Source:
    files = sorted(CORPUS_DIR.glob("*.md"))

    def load() -> list[Section]:
        out = []
        for f in files:
            # only sections with an explicit {#area.slug} id: a file's lead paragraph is not an answer
            out += [s for s in markdown_sections(f.read_text(), f"kernelgepa:{f.name}", area=_UNTAGGED)
                    if s.area != _UNTAGGED]
        return out
    return Source("corpus", lambda: _hash_files(files, content=True), load)


# ---- CUDA toolkit headers ---------------------------------------------------------------------
def cuda_include_dir() -> Path | None:
    cands = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"]
    nvcc = shutil.which("nvcc")
    if nvcc:
        cands.append(str(Path(nvcc).resolve().parent.parent))
    for c in cands:
        if c and (Path(c) / "include" / "cuda_runtime_api.h").is_file():
            return Path(c) / "include"
    return None


_DOC = re.compile(r"/\*\*(.*?)\*/\s*([^;{]*?[;{=,])", re.S)
_DOXY_DROP = re.compile(r"\\internal.*?\\endinternal", re.S)
_NAME = re.compile(r"([A-Za-z_]\w*)\s*(?:\(|=|,|$)")


def _clean_doc(doc: str) -> str:
    doc = _DOXY_DROP.sub("", doc)
    doc = re.sub(r"^\s*\*\s?", "", doc, flags=re.M)
    doc = re.sub(r"\\(?:brief|details|returns?|ingroup\s+\S+|param\[\w+\]|param|p|c|b|note|sa|notefnerr.*|"
                 r"note_init_rt|note_callback|retval)\b", "", doc)
    doc = re.sub(r"\\[a-zA-Z_]+", "", doc)
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n", doc)).strip()


def header_sections(path: Path) -> list[Section]:
    """Doc comment + the declaration it documents -> one section named after the declared symbol.

    Overloads with the same doc comment (half and half2 variants) become one section.
    """
    out, seen, texts = [], set(), set()
    for m in _DOC.finditer(path.read_text(errors="replace")):
        raw, decl = m.group(1), " ".join(m.group(2).split())
        if "\\defgroup" in raw or "\\addtogroup" in raw or decl.startswith(("/*", "#")):
            continue
        names, doc = _NAME.findall(decl), _clean_doc(raw)
        if not names or len(names[0]) < 3 or len(doc) < 20 or (names[0], doc) in texts:
            continue
        texts.add((names[0], doc))
        base = f"cuda-headers.{path.stem}.{names[0]}"
        sid, n = base, 2
        while sid in seen:
            sid, n = f"{base}~{n}", n + 1
        seen.add(sid)
        out.append(Section(sid, f"{names[0]} ({path.name})", f"{doc}\n{decl.rstrip('{=,').strip()}", str(path),
                           "cuda-headers"))
    return out


def cuda_headers_source() -> Source:
    inc = cuda_include_dir()
    files = [inc / h for h in CUDA_HEADERS if inc and (inc / h).is_file()]
    notes = [] if inc else ["CUDA toolkit headers not found (set CUDA_HOME); skipped"]

    def load() -> list[Section]:
        return [s for f in files for s in header_sections(f)]
    return Source("cuda-headers", lambda: _hash_files(files, content=False), load, notes)


# ---- installed kernel packages' docstrings ----------------------------------------------------
def triton_source() -> Source:
    """``triton.language`` docstrings. The fingerprint is the installed version (no import: opening a
    fresh index stays cheap); triton is imported only when the index is (re)built."""
    try:
        version = importlib.metadata.version("triton")
    except importlib.metadata.PackageNotFoundError:
        return Source("triton-api", lambda: "absent", lambda: [], ["triton not installed; skipped"])
    src = Source("triton-api", lambda: f"triton-{version}", lambda: [])

    def load() -> list[Section]:
        try:
            import triton.language as tl
        except Exception as e:  # noqa: BLE001 - a broken install: a note, not an error
            src.notes.append(f"triton not importable ({type(e).__name__}); skipped")
            return []
        out = []
        for name in sorted(dir(tl)):
            obj = getattr(tl, name, None)
            doc = getattr(obj, "__doc__", None)
            if name.startswith("_") or not doc or not callable(obj) or len(doc.strip()) < 30:
                continue
            out.append(Section(f"triton-api.{name}", f"triton.language.{name}", inspect.cleandoc(doc)[:1800],
                               f"triton {version} docstring", "triton-api"))
        return out
    src.load = load
    return src


# ---- user documents ---------------------------------------------------------------------------
def user_source(paths: list[Path]) -> Source:
    existing = [p for p in paths if p.is_file()]
    notes = [f"{p}: no longer exists; skipped" for p in paths if not p.is_file()]

    def load() -> list[Section]:
        return [s for p in existing for s in document_sections(p)]
    return Source("user", lambda: _hash_files(existing, content=False), load, notes)


def default_sources(user_paths: list[Path]) -> list[Source]:
    return [corpus_source(), cuda_headers_source(), triton_source(), user_source(user_paths)]
