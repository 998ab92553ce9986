"""Example CPU solution for level1/6_LayerNorm.

One OpenMP work item per row: mean, then the variance around that mean (two passes over a row
that is already in cache, which is more accurate than E[x^2] - E[x]^2), then one fused
normalise + affine pass. Weight and bias are read from the same nn.LayerNorm the reference builds.
"""
import torch
import torch.nn as nn

from harness.native import load_cpp

_lib = load_cpp(r'''
extern "C" void layer_norm(const float* __restrict x, const float* __restrict w,
                           const float* __restrict b, float* __restrict y,
                           long rows, long cols, float eps) {
    #pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; ++r) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        float s = 0.f;
        #pragma omp simd reduction(+:s)
        for (long i = 0; i < cols; ++i) s += xr[i];
        const float mean = s / (float)cols;
        float v = 0.f;
        #pragma omp simd reduction(+:v)
        for (long i = 0; i < cols; ++i) { const float d = xr[i] - mean; v += d * d; }
        const float rstd = 1.0f / __builtin_sqrtf(v / (float)cols + eps);
        #pragma omp simd
        for (long i = 0; i < cols; ++i) yr[i] = (xr[i] - mean) * rstd * w[i] + b[i];
    }
}
''', functions={"layer_norm": ["ptr", "ptr", "ptr", "ptr", "int64", "int64", "float32"]},
    name="layer_norm")


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        # Same construction, same order, same seeded perturbation as the reference Model.
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        with torch.no_grad():
            self.norm.weight.add_(0.1 * torch.randn(dim))
            self.norm.bias.add_(0.1 * torch.randn(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        cols = x.shape[-1]
        _lib.layer_norm(x, self.norm.weight, self.norm.bias, y, x.numel() // cols, cols,
                        float(self.norm.eps))
        return y
