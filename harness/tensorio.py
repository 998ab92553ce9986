"""Values crossing the sandbox boundary: tensors as raw bytes plus a JSON spec, never pickles.

The parent reads what a candidate wrote, so every spec is validated (known dtype, size that
matches the file, total bytes capped) before a byte is interpreted.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from harness.untrusted import UntrustedError, read_bytes

DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
    "bfloat16": torch.bfloat16, "int64": torch.int64, "int32": torch.int32, "int16": torch.int16,
    "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool, "complex64": torch.complex64,
}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


class SpecError(ValueError):
    pass


def encode(value, directory: Path, prefix: str):
    """Write ``value`` (tensor, number, None, str, or nested list/tuple of those) under ``directory``."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        if t.dtype not in DTYPE_NAMES:
            raise SpecError(f"unsupported dtype {t.dtype}")
        name = f"{prefix}.bin"
        t.reshape(-1).view(torch.uint8).numpy().tofile(Path(directory) / name)
        return {"t": "tensor", "file": name, "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape)}
    if isinstance(value, (list, tuple)):
        return {"t": type(value).__name__,
                "items": [encode(v, directory, f"{prefix}_{i}") for i, v in enumerate(value)]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"t": "py", "v": value}
    raise SpecError(f"cannot pass a {type(value).__name__} across the sandbox boundary")


def decode(spec, directory: Path, device: str = "cpu", *, budget: list[int] | None = None):
    """Inverse of ``encode``; ``budget`` (a one-item list of remaining bytes) caps untrusted reads."""
    kind = spec.get("t") if isinstance(spec, dict) else None
    if kind == "tensor":
        return read_tensor(spec, directory, budget).to(device)
    if kind in ("list", "tuple"):
        items = [decode(s, directory, device, budget=budget) for s in spec["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "py":
        v = spec.get("v")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
    raise SpecError(f"malformed value spec: {str(spec)[:200]}")


def read_tensor(spec: dict, directory: Path, budget: list[int] | None = None) -> torch.Tensor:
    dtype = DTYPES.get(spec.get("dtype"))
    shape = spec.get("shape")
    name = str(spec.get("file", ""))
    if dtype is None or not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise SpecError(f"malformed tensor spec: {str(spec)[:200]}")
    if "/" in name or name.startswith("."):
        raise SpecError(f"bad tensor file name {name!r}")
    path = Path(directory) / name
    numel = 1
    for s in shape:
        numel *= s
    nbytes = numel * torch.empty((), dtype=dtype).element_size()
    if path.is_symlink() or not path.is_file() or os.path.getsize(path) != nbytes:
        raise SpecError(f"{name}: expected {nbytes} bytes for {spec['dtype']}{shape}")
    if budget is not None:
        budget[0] -= nbytes
        if budget[0] < 0:
            raise SpecError("outputs larger than allowed")
    if nbytes == 0:
        return torch.empty(shape, dtype=dtype)
    try:
        raw = read_bytes(path, nbytes)  # no symlink followed, no more than announced
    except UntrustedError as e:
        raise SpecError(str(e)) from None
    if len(raw) != nbytes:
        raise SpecError(f"{name}: expected {nbytes} bytes for {spec['dtype']}{shape}")
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape)


def flatten(value) -> list:
    """Outputs as a flat list (a forward may return a tensor or a tuple/list of tensors)."""
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(flatten(v))
        return out
    return [value]
