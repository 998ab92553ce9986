"""Computes the wrong thing (leaky instead of ReLU)."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void leaky(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.1f * x[i];
}
""", functions={"leaky": ["ptr", "ptr", "int64"]}, name="leaky_wrong")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.leaky(x, y, x.numel())
        return y
