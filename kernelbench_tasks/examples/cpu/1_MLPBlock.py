"""Example CPU solution for level3/1_MLPBlock, a partial replacement (KernelBench rules): both GEMMs
stay in the library (torch.mm), everything around them is fused into two kernels of our own.

- LayerNorm + affine in one pass per row (statistics in double), writing the GEMM's input;
- after the first GEMM: bias + exact (erf) GELU in place, one pass instead of two;
- after the second GEMM: bias + residual add in place, one pass instead of two.
Under --rules strict this solution is refused (the GEMMs are PyTorch compute ops).
"""
import torch
import torch.nn as nn

from harness.native import load_cpp

_lib = load_cpp(r'''
#include <cmath>
extern "C" void layernorm(const float* x, const float* w, const float* b, float* y, long rows, long d, float eps) {
    #pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; ++r) {
        const float* p = x + r * d; float* q = y + r * d;
        double s = 0.0, ss = 0.0;
        #pragma omp simd reduction(+:s, ss)
        for (long i = 0; i < d; ++i) { s += p[i]; ss += (double)p[i] * p[i]; }
        const double mean = s / d;
        const float inv = (float)(1.0 / std::sqrt(ss / d - mean * mean + eps)), m = (float)mean;
        #pragma omp simd
        for (long i = 0; i < d; ++i) q[i] = (p[i] - m) * inv * w[i] + b[i];
    }
}
extern "C" void bias_gelu(float* h, const float* b, long rows, long d) {
    #pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; ++r) {
        float* q = h + r * d;
        #pragma omp simd
        for (long i = 0; i < d; ++i) { float v = q[i] + b[i]; q[i] = 0.5f * v * (1.f + std::erf(v * 0.70710678118654752f)); }
    }
}
extern "C" void bias_residual(float* y, const float* b, const float* x, long rows, long d) {
    #pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; ++r) {
        float* q = y + r * d; const float* p = x + r * d;
        #pragma omp simd
        for (long i = 0; i < d; ++i) q[i] += b[i] + p[i];
    }
}''', functions={"layernorm": ["ptr", "ptr", "ptr", "ptr", "int64", "int64", "float32"],
                 "bias_gelu": ["ptr", "ptr", "int64", "int64"],
                 "bias_residual": ["ptr", "ptr", "ptr", "int64", "int64"]}, name="mlp_epilogues")


class ModelNew(nn.Module):
    def __init__(self, d_model: int):
        super().__init__()
        # Same modules in the same order as the reference, so the seeded initialisation matches.
        self.norm = nn.LayerNorm(d_model, eps=1e-5)
        self.fc1 = nn.Linear(d_model, 4 * d_model)
        self.fc2 = nn.Linear(4 * d_model, d_model)
        with torch.no_grad():
            self.norm.weight.add_(0.1 * torch.randn(d_model))
            self.norm.bias.add_(0.1 * torch.randn(d_model))

    def forward(self, x):
        d = x.shape[-1]
        rows = x.numel() // d
        x2 = x.reshape(rows, d)
        n = torch.empty_like(x2)
        _lib.layernorm(x2, self.norm.weight, self.norm.bias, n, rows, d, self.norm.eps)
        h = torch.mm(n, self.fc1.weight.t())
        _lib.bias_gelu(h, self.fc1.bias, rows, h.shape[1])
        y = torch.mm(h, self.fc2.weight.t())
        _lib.bias_residual(y, self.fc2.bias, x2, rows, d)
        return y.reshape(x.shape)
