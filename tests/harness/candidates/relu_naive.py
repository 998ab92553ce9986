"""Honest ReLU in one plain loop on one thread: what prep_hidden_work computes, done in forward."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_naive")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
