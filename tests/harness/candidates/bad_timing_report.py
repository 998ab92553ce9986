"""(Static checks off) An honest ReLU whose timing report is not one: a string ("string"), a
hundred thousand repetition times ("long"), or a nesting deeper than any reader should follow ("nested")."""
import torch
import torch.nn as nn
import harness.worker.candidate as worker
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {{
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}}
""", functions={{"relu": ["ptr", "ptr", "int64"]}}, name="relu_badreport")
_measure = worker.measure


def _bad(*args, **kw):
    res = _measure(*args, **kw)
    kind = "{kind}"
    if kind == "string":
        res["times_ms"] = "fast"
    elif kind == "long":
        res["times_ms"] = [1e-4] * 100_000
    else:
        nested = []
        for _ in range(500):
            nested = [nested]
        res["times_ms"] = nested
    return res


worker.measure = _bad


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
