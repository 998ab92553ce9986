"""Example CPU solution for level1/10_RMSNorm: per row, a sum of squares then one scaling pass."""
import torch
import torch.nn as nn

from harness.native import load_cpp

_lib = load_cpp(r'''
extern "C" void rms_norm(const float* __restrict x, const float* __restrict w, float* __restrict y,
                         long rows, long cols, float eps) {
    #pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; ++r) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        float ss = 0.f;
        #pragma omp simd reduction(+:ss)
        for (long i = 0; i < cols; ++i) ss += xr[i] * xr[i];
        const float inv = 1.0f / __builtin_sqrtf(ss / (float)cols + eps);
        #pragma omp simd
        for (long i = 0; i < cols; ++i) yr[i] = xr[i] * inv * w[i];
    }
}
''', functions={"rms_norm": ["ptr", "ptr", "ptr", "int64", "int64", "float32"]}, name="rms_norm")


class ModelNew(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(dim))  # same seeded init as Model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        cols = x.shape[-1]
        _lib.rms_norm(x, self.weight, y, x.numel() // cols, cols, float(self.eps))
        return y
