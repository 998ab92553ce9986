"""triton: ``@triton.jit`` kernels launched from ModelNew.

On a GPU the kernels are JIT-compiled, checked and timed exactly as CUDA kernels are. Without one
they run through Triton's interpreter on CPU tensors: that proves correctness on the task's
inputs but says nothing about speed, so results are ``interpreted``, never ``ok``.
"""
from __future__ import annotations

import importlib.util

import torch

from harness.backends.cpu import cpu_model
from harness.backends.cuda import CudaBackend
from harness.build import BuildRequest


class TritonBackend(CudaBackend):
    name = "triton"

    @property
    def installed(self) -> bool:
        return importlib.util.find_spec("triton") is not None

    @property
    def can_run(self) -> bool:
        return self.installed

    @property
    def interpreted(self) -> bool:
        return not torch.cuda.is_available()

    @property
    def device_type(self) -> str:  # the interpreter's device is the CPU (leased for the whole evaluation)
        return "cpu" if self.interpreted else "cuda"

    @property
    def unavailable_reason(self) -> str:
        return "" if self.installed else "triton is not installed (pip install triton)"

    def device_name(self, device: str) -> str:
        if self.interpreted:
            return f"{cpu_model()} (triton interpreter)"
        return super().device_name(device)

    def check_request(self, req: BuildRequest) -> str | None:
        return ("the triton backend runs @triton.jit kernels; native C++/CUDA builds belong to "
                "--backend cpu or cuda")
