"""ReLU 0.4 % too large on positives: fails fp32's 1e-4 tolerance, passes KernelBench v0.1's 1e-2."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] * 1.004f : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_off")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
