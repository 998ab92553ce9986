"""Writes the result into the input buffer and returns it."""
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    #pragma omp parallel for simd
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_alias")


class ModelNew(nn.Module):
    def forward(self, x):
        _lib.relu(x, x, x.numel())
        return x
