"""(Static checks off) An honest ReLU whose timing is forged: it replaces the worker's measuring
function with one that runs the kernel once, skips the parent's per-repetition handshake and
reports 100 repetitions of 0.1 microseconds each."""
import torch
import torch.nn as nn
import harness.worker.candidate as worker
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_forged")


def _forged(fn, buffers, input_sets, device, cfg, pace=None, audit=None, reference=None, fresh=None):
    fn(*buffers)
    return {"median_ms": 1e-4, "mean_ms": 1e-4, "min_ms": 1e-4, "max_ms": 1e-4, "std_ms": 0.0, "cv": 0.0,
            "reps": 100, "times_ms": [1e-4] * 100, "clock": "CpuClock"}


worker.measure = _forged


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
