"""(Static checks off) An honest ReLU that slows the reference timed beside it by 100 ms a repetition
(patching the harness's twin, not torch, so the twin's own tamper check sees nothing): the paired
speedup would be inflated."""
import time

import torch
import torch.nn as nn
from harness.native import load_cpp
from harness.worker.twin import ReferenceTwin

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    #pragma omp parallel for simd
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_slow_twin")
_call = ReferenceTwin.__call__


def _slow(self, *args):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.1:
        pass
    return _call(self, *args)


ReferenceTwin.__call__ = _slow


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
