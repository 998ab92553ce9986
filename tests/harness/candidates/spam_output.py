"""Prints 50 MB to stdout before computing an honest result."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
#include <cstdio>
extern "C" void relu(const float* x, float* y, long n) {
    for (int k = 0; k < 500000; ++k) std::printf("spam spam spam spam spam spam spam spam spam spam spam spam spam spam spam spam spam spam spam\n");
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_spam")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
