"""The cpu backend's part of the prompts: seed tactics, the answer format with a worked example, the
compile routes with their cost. The example computes (a - b)^2, which is no suite task."""
from __future__ import annotations

from kernelgepa.prompts.common import NATIVE_MODELNEW

SEED = ("Write the kernel in C++ through harness.native.load_cpp. Parallelize the outermost independent "
        "loop with OpenMP and keep inner loops simple and contiguous so the compiler vectorizes them. "
        "Fuse chained elementwise work into one pass over memory. Allocate outputs with torch.empty and "
        "write every element.")

FORMAT = '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own C++ kernel; PyTorch may only allocate
(torch.empty/empty_like) and reshape. Example (a squared difference, to show the form):
```python
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void sqdiff(const float* a, const float* b, float* y, long n) {
    #pragma omp parallel for simd
    for (long i = 0; i < n; ++i) { float d = a[i] - b[i]; y[i] = d * d; }
}
""", functions={"sqdiff": ["ptr", "ptr", "ptr", "int64"]})
{modelnew}```
Argument types: ptr (contiguous tensor), int32, int64, float32, float64.'''.replace("{modelnew}", NATIVE_MODELNEW)

ROUTES = '''Compile routes (builds are cached by source; both are judged the same way):
- harness.native.load_cpp(source, functions={...}, extra_cflags=[...]) (the example above): plain g++ -O3
  -march=native -fopenmp -std=c++17, no torch headers; a cold build takes about 0.1 s here.
- torch.utils.cpp_extension.load_inline(name=..., cpp_sources=..., functions=[...]) (KernelBench's form,
  torch/extension.h available): a cold build takes about 27 s here, some 300x slower. Minimal form:
  load_inline(name="ext", cpp_sources=SRC, functions=["f"]) with SRC defining torch::Tensor f(torch::Tensor x).
Headers: the C++ standard library (no threads, files or processes), <omp.h>, <immintrin.h>.
Extra flags: -O0..-O3/-Ofast, -march=/-mtune=/-m..., -f... (not -fplugin), -D/-U, -std=c++NN, -fopenmp.'''
