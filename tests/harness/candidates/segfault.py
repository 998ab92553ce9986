"""Writes through a null pointer."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void boom(const float* x, float* y, long n) {
    float* p = nullptr;
    for (long i = 0; i < n; ++i) p[i * 1024] = x[i];
}
""", functions={"boom": ["ptr", "ptr", "int64"]}, name="boom")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.boom(x, y, x.numel())
        return y
