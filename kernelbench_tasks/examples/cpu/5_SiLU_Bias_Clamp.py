"""Example CPU solution for level2/5_SiLU_Bias_Clamp.

Fused single pass: each OpenMP work item is one (batch, channel) plane, so the per-channel bias
is a scalar inside the vectorised loop. sigmoid uses a vectorisable polynomial exp.
"""
import torch
import torch.nn as nn

from harness.native import load_cpp

_lib = load_cpp(r'''
#include <cstdint>

static inline float exp_approx(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float t = x * 1.44269504088896341f + 12582912.0f;  // round(x / ln2) + 1.5 * 2^23
    const float n = t - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale;
    scale.i = ((int32_t)n + 127) << 23;
    return p * scale.f;
}

extern "C" void silu_bias_clamp(const float* __restrict x, const float* __restrict bias,
                                float* __restrict y, long batch, long channels, long plane) {
    #pragma omp parallel for schedule(static)
    for (long bc = 0; bc < batch * channels; ++bc) {
        const float b = bias[bc % channels];
        const float* xp = x + bc * plane;
        float* yp = y + bc * plane;
        #pragma omp simd
        for (long i = 0; i < plane; ++i) {
            const float v = xp[i];
            float o = v / (1.0f + exp_approx(-v)) + b;
            o = o < -1.0f ? -1.0f : o;
            o = o > 1.0f ? 1.0f : o;
            yp[i] = o;
        }
    }
}
''', functions={"silu_bias_clamp": ["ptr", "ptr", "ptr", "int64", "int64", "int64"]},
    name="silu_bias_clamp")


class ModelNew(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(0.5 * torch.randn(channels, 1, 1))  # same seeded init as Model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n, c = x.shape[0], x.shape[1]
        _lib.silu_bias_clamp(x, self.bias, y, n, c, x.numel() // (n * c))
        return y
