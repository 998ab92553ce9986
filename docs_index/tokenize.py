"""Code-aware tokenization for BM25.

Compiler messages are full of identifiers that prose tokenizers shred: ``__shfl_down_sync``,
``aie::load_v``, ``cudaErrorIllegalAddress``, ``tl.arange``. Each identifier is kept whole (so an
exact match scores high) *and* split into its parts (so ``shfl`` or ``illegal address`` still
match); words are lower-cased, stop words dropped and stemmed (so ``spills`` meets ``spill``).
"""
from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_STEMMER = Stemmer.Stemmer("english")
_STOP = frozenset(STOPWORDS_EN) | {"error", "warning", "note", "line", "file"}  # in every compiler message
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:(?:::|\.|->)[A-Za-z_][A-Za-z0-9_]*)*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _parts(ident: str) -> list[str]:
    out = []
    for piece in re.split(r"::|\.|->|_+", ident):
        out.extend(m.group(0) for m in _CAMEL.finditer(piece))
    return out


@lru_cache(maxsize=65536)
def _word_tokens(ident: str) -> tuple[str, ...]:
    low = ident.lower()
    parts = [p.lower() for p in _parts(ident)]
    code_like = len(parts) > 1 or ident.startswith("_") or any(c.isdigit() for c in ident)
    out = [low.strip("_")] if code_like and len(low.strip("_")) > 1 else []
    for p in parts:
        if len(p) > 1 and p not in _STOP and not p.isdigit():
            out.append(_STEMMER.stemWord(p))
    return tuple(out)


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for m in _IDENT.finditer(text):
        tokens.extend(_word_tokens(m.group(0)))
    return tokens
