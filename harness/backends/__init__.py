"""Backend registry: ``get_backend(name)``."""
from __future__ import annotations

from harness.backends.base import Backend


def get_backend(name: str) -> Backend:
    if name == "cpu":
        from harness.backends.cpu import CpuBackend
        return CpuBackend()
    if name == "cuda":
        from harness.backends.cuda import CudaBackend
        return CudaBackend()
    if name == "npu":
        from harness.backends.npu import NpuBackend
        return NpuBackend()
    raise ValueError(f"unknown backend {name!r} (available: {', '.join(BACKENDS)})")


BACKENDS = ("cpu", "cuda", "npu")
__all__ = ["Backend", "get_backend", "BACKENDS"]
