"""Example CPU solution for level2/3_Linear_Scale_Sigmoid, a partial replacement (KernelBench rules):
the library GEMM (torch.mm) stays, bias + scale + sigmoid run as one fused in-place kernel.

The reference's epilogue makes three more passes over the GEMM output (bias add inside addmm,
scale, sigmoid into a new tensor); the kernel makes one, vectorised with OpenMP SIMD. Under
--rules strict this solution is refused (the GEMM is a PyTorch compute op).
"""
import torch
import torch.nn as nn

from harness.native import load_cpp

_lib = load_cpp(r'''
#include <cmath>
extern "C" void bias_scale_sigmoid(float* y, const float* bias, long rows, long cols, float scale) {
    #pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; ++r) {
        float* q = y + r * cols;
        #pragma omp simd
        for (long c = 0; c < cols; ++c) q[c] = 1.f / (1.f + std::exp(-(q[c] + bias[c]) * scale));
    }
}''', functions={"bias_scale_sigmoid": ["ptr", "ptr", "int64", "int64", "float32"]}, name="bias_scale_sigmoid")


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.scale = scale

    def forward(self, x):
        y = torch.mm(x, self.linear.weight.t())
        _lib.bias_scale_sigmoid(y, self.linear.bias, y.shape[0], y.shape[1], self.scale)
        return y
