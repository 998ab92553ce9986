"""cpu: C++ kernels (OpenMP/SIMD) against PyTorch on the CPU - the full loop runs anywhere."""
from __future__ import annotations

import platform
from functools import cache

from harness.backends.base import Backend
from harness.build import BuildRequest


@cache
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class CpuBackend(Backend):
    name = "cpu"
    device_type = "cpu"

    def device_name(self, device: str) -> str:
        return cpu_model()

    def check_request(self, req: BuildRequest) -> str | None:
        if req.needs_cuda:
            return "the cpu backend builds C++ only; this candidate has CUDA sources (use --backend cuda)"
        return None
