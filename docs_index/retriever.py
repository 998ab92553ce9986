"""Harness feedback -> queries -> the manual sections reflection reads.

A query is built from what an engineer would search for: the compiler's error lines (paths
stripped, identifiers intact), runtime error names, correctness symptoms, timing and resource
symptoms (spills, register pressure, slower than PyTorch), plus the backend and the task's op
type. Sections are restricted to the backend's areas, deduplicated, interleaved across the
minibatch's kernels so each failure gets its answer, and cut to a character budget.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from docs_index.index import DocsIndex, Hit

BACKEND_AREAS = {
    "cpu": frozenset({"cpu", "harness"}),
    "cuda": frozenset({"cuda", "nvcc", "ptxas", "cudart", "cuda-headers", "harness"}),
    "triton": frozenset({"triton", "triton-api", "cuda", "harness"}),
    "cupy": frozenset({"cuda", "nvcc", "cudart", "cuda-headers", "harness"}),
    "npu": frozenset({"aie"}),
}

_MESSAGE_CHARS = 2000
_ECHO = re.compile(r"\s*\d*\s+\|")  # g++/clang's echo of the source line and its caret: the diagnostic names it
_PATH = re.compile(r"(?:/[\w.\-]+)+/([\w.\-]+)")  # /tmp/x/y/k.cu -> k.cu
_CUDA_ERR = re.compile(r"\bcuda(?:Error)?[A-Z]\w+|\bCUDA_ERROR_\w+")
_OPS = ("matmul", "gemm", "conv", "softmax", "layernorm", "norm", "relu", "gelu", "sigmoid", "tanh",
        "reduction", "sum", "mean", "max", "min", "argmax", "transpose", "attention", "pool", "scan",
        "cumsum", "bfloat16", "int8", "elementwise", "activation")


def feedback_query(result: dict, backend: str, task: str = "") -> str:
    """The search text for one harness result (``EvalResult.to_dict()`` shape)."""
    parts = [backend]
    status = result.get("status", "")
    if result.get("error"):
        parts.append(_PATH.sub(r"\1", str(result["error"]).splitlines()[0])[:400])
    # the compiler's own output as the harness trimmed it (a few errors), paths and g++'s source
    # echoes stripped; Triton's quoted source and the message after its caret stay (they carry the
    # identifiers the manual explains)
    msgs = [_PATH.sub(r"\1", ln.rstrip()) for ln in str(result.get("messages") or "").splitlines()
            if ln.strip() and not _ECHO.match(ln)]
    parts.append("\n".join(ln[:300] for ln in msgs)[:_MESSAGE_CHARS])
    parts += sorted(set(_CUDA_ERR.findall(f"{result.get('error')} {result.get('messages')}")))
    mm = result.get("mismatch") or {}
    if status == "incorrect":
        parts.append("incorrect output mismatch out of tolerance")
        if mm.get("n_bad") and mm.get("n_bad") == mm.get("n_total"):
            parts.append("every element wrong")
        if mm.get("reason"):
            parts.append(str(mm["reason"]))
    for res in result.get("resources") or []:
        if (res.get("spill_store_bytes") or 0) > 0 or (res.get("spill_load_bytes") or 0) > 0:
            parts.append("register spill stores loads local memory")
        if (res.get("registers") or 0) > 128:
            parts.append("high register count occupancy launch bounds")
    speedup = result.get("speedup")
    if status == "ok" and speedup is not None and speedup < 1.0:
        parts.append("kernel slower than PyTorch memory bandwidth bound vectorize fuse")
    if result.get("profile"):
        parts.append(str(result["profile"])[:600])
    # harness notes (re-verification, autotune choices, ...) describe the harness, not the kernel's
    # problem: they are not searched for
    name = task.lower()
    parts += [op for op in _OPS if op in name]
    return "\n".join(p for p in parts if p)


@dataclass
class ManualRetriever:
    """The engine's ``manual`` hook: minibatch records -> manual sections for the reflection prompt."""

    index: DocsIndex
    backend: str | None         # None: sections of every area
    k: int = 4                 # sections per reflection
    char_budget: int = 6000    # total text of those sections
    per_query: int = 3         # candidates taken from each kernel's query
    reranker: object | None = None

    def query(self, text: str, k: int) -> list[Hit]:
        areas = BACKEND_AREAS.get(self.backend)
        if self.reranker is None:
            return self.index.query(text, k, areas=areas)
        return self.reranker.rerank(text, self.index.query(text, self.reranker.candidates, areas=areas))[:k]

    def __call__(self, records: list[dict]) -> list[dict]:
        """``records``: [{task, source, feedback, result}]; returns [{id, title, source, text, score, task}]."""
        records = [r for r in records if r.get("result") or r.get("feedback")]  # nothing to ask about
        ranked = [self.query(feedback_query(r.get("result") or {"messages": r.get("feedback", "")},
                                            self.backend or "", r.get("task", "")), self.per_query)
                  for r in records]
        chosen, seen, used = [], set(), 0
        for rank in range(self.per_query):  # round-robin: every kernel's best section before any second-best
            for rec, hits in zip(records, ranked):
                if rank >= len(hits) or len(chosen) >= self.k:
                    continue
                h = hits[rank]
                key = " ".join(h.section.text.split())[:300]
                if h.section.id in seen or key in seen or used + len(h.section.text) > self.char_budget:
                    continue
                seen |= {h.section.id, key}
                used += len(h.section.text)
                chosen.append({**h.to_dict(), "task": rec.get("task", "")})
        return chosen
