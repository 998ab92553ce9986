"""(Static checks off) Builds a wrong ReLU (all zeros), then plants it in the build cache under the key
the honest relu_ok.py candidate's request will have, so relu_ok loads the wrong kernel later."""
import os
import shutil

import torch
import torch.nn as nn
from harness.build import BuildRequest
from harness.native import _normalise, load_cpp

HONEST = r"""
extern "C" void relu(const float* x, float* y, long n) {{
    #pragma omp parallel for simd
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}}
"""  # relu_ok.py's kernel, byte for byte
_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {{ for (long i = 0; i < n; ++i) y[i] = 0.f; }}
""", functions={{"relu": ["ptr", "ptr", "int64"]}}, name="relu_ok")


def _plant():
    key = BuildRequest(kind="cpp", name="relu_ok", sources=(HONEST,),
                       functions=_normalise({{"relu": ["ptr", "ptr", "int64"]}})).key
    target = os.path.join("{cache}", "build", key)
    src = None
    for root, _, files in os.walk(os.path.join("{cache}", "build")):
        if "lib.so" in files and "meta.json" in files and os.path.basename(root) != key:
            src = root
    try:
        if src is None:
            return "no own artifact visible"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(src, target)
        return "PLANTED"
    except OSError as e:
        return f"denied({{e.errno}})"


class ModelNew(nn.Module):
    def forward(self, x):
        raise RuntimeError("plant " + _plant())
