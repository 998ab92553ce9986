"""cupy: CUDA C kernels compiled at run time with NVRTC (CuPy RawKernel/RawModule), launched from
ModelNew on torch tensors.

The harness compiles each RawKernel/RawModule source itself with NVRTC, outside the candidate's
process, and the candidate's CuPy loads the cubin. Running needs a CUDA GPU and CuPy (the ``gpu``
extra); without a GPU a machine that has NVRTC can still compile-check (``compiled_only``), and
one without NVRTC says so instead of pretending.
"""
from __future__ import annotations

import importlib.util

import torch

from harness import nvrtc
from harness.backends.cuda import CudaBackend
from harness.build import BuildRequest


class CupyBackend(CudaBackend):
    name = "cupy"

    @property
    def can_run(self) -> bool:
        return torch.cuda.is_available() and importlib.util.find_spec("cupy") is not None

    @property
    def not_run_reason(self) -> str:
        if torch.cuda.is_available():
            return "compiled with NVRTC, not run: CuPy is not installed (pip install '.[gpu]')"
        return "compiled with NVRTC, not run: the cupy backend needs a CUDA GPU"

    @property
    def unavailable_reason(self) -> str:
        if self.can_run or nvrtc.available():
            return ""
        return ("the cupy backend needs a CUDA GPU with CuPy (pip install '.[gpu]'); for a compile-only "
                "check here it needs NVRTC (pip install nvidia-cuda-nvrtc), which is not installed either")

    def check_request(self, req: BuildRequest) -> str | None:
        if req.kind != "nvrtc":
            return "the cupy backend compiles CuPy RawKernel/RawModule sources; use --backend cuda for load_cuda"
        return None
