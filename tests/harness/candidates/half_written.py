"""Leaves the second half of the output unwritten (torch.empty garbage)."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu_half(const float* x, float* y, long n) {
    for (long i = 0; i < n / 2; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu_half": ["ptr", "ptr", "int64"]}, name="relu_half")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu_half(x, y, x.numel())
        return y
