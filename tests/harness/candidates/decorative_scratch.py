"""Decorative: a real ReLU kernel writes a scratch buffer nobody reads; the answer comes from a
different PyTorch op than the reference's (so the op lists differ)."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_scratch")


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty_like(x)
        _lib.relu(x, scratch, x.numel())
        return torch.clamp_min(x, 0.0)
