"""Example CPU solution for level2/2_Conv2d_GroupNorm_ReLU, a partial replacement (KernelBench rules):
the library convolution stays, GroupNorm + affine + ReLU run as one fused kernel of our own.

PyTorch makes three passes over the conv output after the convolution (group statistics, normalise
with the affine, ReLU into a new tensor). The kernel does one statistics pass per (sample, group)
in double precision and one in-place normalise + affine + ReLU pass, with the (sample, group)
pairs spread over the OpenMP threads. Under --rules strict this solution is refused (the
convolution is a PyTorch compute op).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from harness.native import load_cpp

_lib = load_cpp(r'''
#include <cmath>
extern "C" void groupnorm_relu(float* y, const float* gamma, const float* beta,
                               long N, long C, long HW, long G, float eps) {
    const long cpg = C / G, len = cpg * HW;
    #pragma omp parallel for schedule(static)
    for (long ng = 0; ng < N * G; ++ng) {
        float* p = y + ng * len;
        double s = 0.0, ss = 0.0;
        #pragma omp simd reduction(+:s, ss)
        for (long i = 0; i < len; ++i) { s += p[i]; ss += (double)p[i] * p[i]; }
        const double mean = s / len, var = ss / len - mean * mean;
        const float inv = (float)(1.0 / std::sqrt(var + eps)), m = (float)mean;
        const long c0 = (ng % G) * cpg;
        for (long c = 0; c < cpg; ++c) {
            const float a = gamma[c0 + c] * inv, b = beta[c0 + c] - m * a;
            float* q = p + c * HW;
            #pragma omp simd
            for (long i = 0; i < HW; ++i) { float v = q[i] * a + b; q[i] = v > 0.f ? v : 0.f; }
        }
    }
}''', functions={"groupnorm_relu": ["ptr", "ptr", "ptr", "int64", "int64", "int64", "int64", "float32"]},
    name="groupnorm_relu")


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, num_groups: int):
        super().__init__()
        # Same modules in the same order as the reference, so the seeded initialisation matches.
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.GroupNorm(num_groups, out_channels, eps=1e-5)
        with torch.no_grad():
            self.norm.weight.add_(0.1 * torch.randn(out_channels))
            self.norm.bias.add_(0.1 * torch.randn(out_channels))

    def forward(self, x):
        y = F.conv2d(x, self.conv.weight, self.conv.bias, padding=self.conv.padding).contiguous()
        n, c, h, w = y.shape
        _lib.groupnorm_relu(y, self.norm.weight, self.norm.bias, n, c, h * w, self.norm.num_groups, self.norm.eps)
        return y
