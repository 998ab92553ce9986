"""The on-disk section index: BM25 (bm25s) over code-aware tokens, rebuilt only when sources change.

Layout of an index directory::

    manifest.json     format version, each source's fingerprint, notes, section count, build time
    sections.jsonl    one Section per line, in index order
    bm25/             the bm25s matrices
    user_docs.json    documents added with ``kernelgepa index add`` (absolute paths)
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from docs_index.sections import Section
from docs_index.sources import Source, default_sources
from docs_index.tokenize import tokenize

FORMAT_VERSION = 1  # bump when tokenization or section extraction changes: old indexes rebuild


def default_index_dir() -> Path:
    if os.environ.get("KERNELGEPA_DOCS_INDEX"):
        return Path(os.environ["KERNELGEPA_DOCS_INDEX"])
    root = os.environ.get("KERNELGEPA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kernelgepa")
    return Path(root) / "docs_index"


@dataclass(frozen=True)
class Hit:
    section: Section
    score: float

    def to_dict(self) -> dict:
        return {**self.section.to_dict(), "score": round(self.score, 4)}


class DocsIndex:
    def __init__(self, sections: list[Section], bm25: bm25s.BM25, manifest: dict):
        self.sections, self.bm25, self.manifest = sections, bm25, manifest
        self._areas = np.array([s.area for s in sections])

    # ---- building and persistence ---------------------------------------------------------------
    @classmethod
    def build(cls, sources: list[Source]) -> "DocsIndex":
        t0 = time.perf_counter()
        sections: list[Section] = []
        seen: set[str] = set()
        for src in sources:
            for s in src.load():
                if s.id not in seen:  # the first source to claim an id keeps it
                    seen.add(s.id)
                    sections.append(s)
        bm25 = bm25s.BM25()
        if sections:
            bm25.index([tokenize(f"{s.title}\n{s.title}\n{s.text}") for s in sections], show_progress=False)
        manifest = {"version": FORMAT_VERSION, "fingerprints": _fingerprints(sources),
                    "notes": [n for s in sources for n in s.notes], "sections": len(sections),
                    "build_s": round(time.perf_counter() - t0, 3)}
        return cls(sections, bm25, manifest)

    def save(self, directory: Path) -> None:
        """Write to a temporary sibling, then swap it in: a reader never sees half an index."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build.", dir=directory))
        try:
            (tmp / "sections.jsonl").write_text("".join(json.dumps(s.to_dict()) + "\n" for s in self.sections))
            if self.sections:
                self.bm25.save(str(tmp / "bm25"), show_progress=False)
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=1))
            for name in ("sections.jsonl", "bm25", "manifest.json"):
                old = directory / name
                if old.is_dir():
                    shutil.rmtree(old)
                if (tmp / name).exists():
                    os.replace(tmp / name, old)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> "DocsIndex":
        directory = Path(directory)
        manifest = json.loads((directory / "manifest.json").read_text())
        sections = [Section(**json.loads(line)) for line in (directory / "sections.jsonl").read_text().splitlines()]
        bm25 = bm25s.BM25.load(str(directory / "bm25"), show_progress=False) if sections else bm25s.BM25()
        return cls(sections, bm25, manifest)

    @classmethod
    def open(cls, directory: Path | None = None, *, rebuild: bool = False) -> "DocsIndex":
        """The index in ``directory``, rebuilt first if any source changed since it was built."""
        directory = Path(directory or default_index_dir())
        sources = default_sources(user_docs(directory))
        if not rebuild and (directory / "manifest.json").is_file():
            try:
                idx = cls.load(directory)
                if idx.manifest.get("version") == FORMAT_VERSION and \
                        idx.manifest.get("fingerprints") == _fingerprints(sources):
                    return idx
            except (OSError, ValueError, KeyError, TypeError):
                pass  # unreadable or from another version: rebuild below
        idx = cls.build(sources)
        idx.save(directory)
        return idx

    # ---- querying -----------------------------------------------------------------------------
    def query(self, text: str, k: int = 5, *, areas: frozenset[str] | None = None) -> list[Hit]:
        """Top-k sections by BM25; ``areas`` keeps only sections for those areas (``user`` always kept)."""
        tokens = list(dict.fromkeys(tokenize(text)))  # a term repeated in a long message is still one term
        if not self.sections or not tokens:
            return []
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float64)
        if areas is not None:
            scores = np.where(np.isin(self._areas, list(areas | {"user"})), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(self.sections[i], float(scores[i])) for i in top if scores[i] > 0]


def _fingerprints(sources: list[Source]) -> dict[str, str]:
    return {s.name: s.fingerprint() for s in sources}


def user_docs(directory: Path) -> list[Path]:
    f = Path(directory) / "user_docs.json"
    try:
        return [Path(p) for p in json.loads(f.read_text())]
    except (OSError, ValueError):
        return []


def add_user_docs(directory: Path, paths: list[Path]) -> list[Path]:
    """Remember documents for the index (validated by the caller); returns the full list."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    known = user_docs(directory)
    for p in paths:
        p = p.resolve()
        if p not in known:
            known.append(p)
    (directory / "user_docs.json").write_text(json.dumps([str(p) for p in known], indent=1))
    return known
