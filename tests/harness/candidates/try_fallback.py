"""Kernel that 'fails', then falls back to PyTorch in an except branch."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    #pragma omp parallel for simd
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_fb")


class ModelNew(nn.Module):
    def forward(self, x):
        try:
            y = torch.empty_like(x)
            _lib.relu(x.t(), y, x.numel())  # non-contiguous: the binding raises
            return y
        except ValueError:
            return torch.clamp_min(x, 0.0)
