"""Test-vector bytes and NPUEval's correctness rule.

Buffers travel as raw little-endian bytes in the kernel's element type; bfloat16 is the top half
of a float32. The rule (NPUEval's): cast both arrays to float32; element i passes if
``|got - expected| <= atol + rtol * |expected|``. Equal values pass even when infinite (the strict
formula would reject ``inf == inf``); a NaN never passes.
"""
from __future__ import annotations

import numpy as np

from harness.result import Mismatch
from npueval_tasks.task import Buffer

NUMPY_DTYPES = {"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
                "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32}
SHOW_POSITIONS = 5


def to_bytes(buf: Buffer) -> bytes:
    values = np.asarray(buf.values, dtype=np.float64)
    if buf.dtype == "bfloat16":
        bits = values.astype(np.float32).view(np.uint32)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # nearest-even (exact for bf16 values)
        return rounded.astype("<u2").tobytes()
    return values.astype(NUMPY_DTYPES[buf.dtype]).astype(np.dtype(NUMPY_DTYPES[buf.dtype]).newbyteorder("<")).tobytes()


def from_bytes(dtype: str, raw: bytes) -> np.ndarray:
    """float32 view of a buffer's elements."""
    if dtype == "bfloat16":
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, dtype=np.dtype(NUMPY_DTYPES[dtype]).newbyteorder("<")).astype(np.float32)


def compare(expected: Buffer, got: np.ndarray, *, atol: float, rtol: float) -> Mismatch | None:
    """None if every element passes NPUEval's rule; else the worst element and the first few bad ones."""
    exp = np.asarray(expected.values, dtype=np.float64).astype(np.float32)
    if got.shape != exp.shape:
        return Mismatch(0, 0, f"output has {got.size} elements, expected {exp.size}")
    exp64 = exp.astype(np.float64)
    diff = np.abs(got.astype(np.float64) - exp64)
    ok = (diff <= atol + rtol * np.abs(exp64)) | (got == exp)
    ok &= ~np.isnan(got)
    if ok.all():
        return None
    bad = np.flatnonzero(~ok)
    diff = np.where(np.isnan(diff), np.inf, diff)
    worst = int(np.argmax(np.where(ok, -1.0, diff)))
    first = ", ".join(f"[{i}] expected {exp[i]:.6g}, got {got[i]:.6g}" for i in bad[:SHOW_POSITIONS])
    more = f" (+{bad.size - SHOW_POSITIONS} more)" if bad.size > SHOW_POSITIONS else ""
    rel = np.abs(exp64).clip(1e-12)
    return Mismatch(0, 0, f"{expected.name}: |got-expected| > {atol:g} + {rtol:g}*|expected| at {first}{more}",
                    max_abs_err=float(diff[worst]), max_rel_err=float(np.max(np.where(ok, 0.0, diff / rel))),
                    rel_l2=float(np.linalg.norm(np.where(np.isinf(diff), 0.0, diff)) / max(np.linalg.norm(exp), 1e-30)),
                    where=[worst], expected=float(exp[worst]), got=float(got[worst]), n_bad=int(bad.size),
                    n_total=int(exp.size))
