"""(Static checks off) An honest ReLU whose timing is forged: it replaces the worker's measuring
function with one that runs the kernel once between the timing markers and reports 100 repetitions
of 0.1 microseconds each, consistent with the parent's wall-clock cross-check."""
import time

import torch
import torch.nn as nn
import harness.worker.candidate as worker
from harness.native import load_cpp
from harness.worker.timing import copy_into

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_forged")


def _forged(fn, buffers, input_sets, device, cfg, mark, audit=None, **_):
    for i in range(cfg.get("audits", 0) if audit else 0):
        copy_into(buffers, input_sets[i % len(input_sets)])
        audit(i, i % len(input_sets), fn)
    mark("timing_begin")
    t0 = time.monotonic()
    fn(*buffers)
    loop_s = time.monotonic() - t0
    mark("timing_end")
    return {"median_ms": 1e-4, "mean_ms": 1e-4, "min_ms": 1e-4, "max_ms": 1e-4, "std_ms": 0.0, "cv": 0.0,
            "reps": 100, "loop_s": loop_s, "sum_s": 1e-5, "clock": "CpuClock"}


worker.measure = _forged


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
