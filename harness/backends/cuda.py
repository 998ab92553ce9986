"""cuda: CUDA kernels against PyTorch on an NVIDIA GPU; without one, compile-only with nvcc."""
from __future__ import annotations

import shutil

import torch

from harness.backends.base import Backend
from harness.build import BuildRequest


class CudaBackend(Backend):
    name = "cuda"
    device_type = "cuda"

    @property
    def can_run(self) -> bool:
        return torch.cuda.is_available()

    @property
    def not_run_reason(self) -> str:
        if shutil.which("nvcc") is None:
            return "no GPU and no nvcc"
        return "compiled, not run (no GPU)"

    def devices(self) -> list[str]:
        n = torch.cuda.device_count() if self.can_run else 0
        return [f"cuda:{i}" for i in range(n)] or ["cpu"]

    def device_name(self, device: str) -> str:
        if self.can_run and device.startswith("cuda"):
            return torch.cuda.get_device_name(torch.device(device))
        return "no-gpu"

    def check_request(self, req: BuildRequest) -> str | None:
        if not req.needs_cuda and req.kind == "cpp":
            return "the cuda backend expects CUDA kernels (load_cuda or load_inline with cuda_sources)"
        return None
