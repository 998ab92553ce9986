"""Example CPU solution for level1/1_ReLU: one OpenMP-parallel, vectorised pass over the data."""
import torch
import torch.nn as nn

from harness.native import load_cpp

_lib = load_cpp(r'''
extern "C" void relu(const float* __restrict x, float* __restrict y, long n) {
    // `x < 0 ? 0 : x` keeps NaN as NaN, like torch.relu; compiles to a vector max.
    #pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
}
''', functions={"relu": ["ptr", "ptr", "int64"]}, name="relu")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
