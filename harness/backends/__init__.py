"""Backend registry: ``get_backend(name)``; ``BACKENDS`` lists the names (the CLI's choices)."""
from __future__ import annotations

import importlib

from harness.backends.base import Backend

_CLASSES = {"cpu": ("harness.backends.cpu", "CpuBackend"), "cuda": ("harness.backends.cuda", "CudaBackend"),
            "triton": ("harness.backends.triton", "TritonBackend"), "cupy": ("harness.backends.cupy", "CupyBackend"),
            "npu": ("harness.backends.npu", "NpuBackend")}
BACKENDS = tuple(_CLASSES)


def get_backend(name: str) -> Backend:
    if name not in _CLASSES:
        raise ValueError(f"unknown backend {name!r} (available: {', '.join(BACKENDS)})")
    module, cls = _CLASSES[name]
    return getattr(importlib.import_module(module), cls)()


__all__ = ["Backend", "get_backend", "BACKENDS"]
