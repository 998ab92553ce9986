"""(Static checks off) An honest ReLU kernel that also slows torch.relu, which only the reference
calls: a reference timed in this process would look slow and the speedup inflated."""
import time

import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="slow_reference")
_real_relu = torch.relu


def _slow_relu(x):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.005:
        pass
    return _real_relu(x)


torch.relu = _slow_relu


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
