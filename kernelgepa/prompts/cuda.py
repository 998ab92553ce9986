"""The cuda backend's part of the prompts: seed tactics, answer format with a worked example (a
squared difference, no suite task), compile routes with their cost."""
from __future__ import annotations

from kernelgepa.prompts.common import NATIVE_MODELNEW

SEED = ("Write the kernel in CUDA C++ through harness.native.load_cuda with an extern \"C\" launcher that "
        "takes the stream argument. Use coalesced accesses (consecutive threads touch consecutive "
        "addresses), a grid-stride loop, and fuse chained elementwise work into one kernel.")

FORMAT = '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own CUDA kernel; PyTorch may only allocate
and reshape. Example (a squared difference, to show the form):
```python
import torch
import torch.nn as nn
from harness.native import load_cuda

_lib = load_cuda(r"""
__global__ void sqdiff_k(const float* a, const float* b, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        float d = a[i] - b[i];
        y[i] = d * d;
    }
}
extern "C" void sqdiff(const float* a, const float* b, float* y, long n, cudaStream_t s) {
    sqdiff_k<<<(unsigned)((n + 255) / 256 < 65535 ? (n + 255) / 256 : 65535), 256, 0, s>>>(a, b, y, n);
}
""", functions={"sqdiff": ["ptr", "ptr", "ptr", "int64", "stream"]})
{modelnew}```
Argument types: ptr (contiguous tensor on the GPU), int32, int64, float32, float64, stream (filled in).'''.replace("{modelnew}", NATIVE_MODELNEW)

ROUTES = '''Compile routes (builds are cached by source; both are judged the same way):
- harness.native.load_cuda(source, functions={...}, extra_cuda_cflags=[...]) (the example above): plain
  nvcc -O3 -std=c++17 -arch=<the run's arch>, no torch headers; a cold build takes about 1 s.
- torch.utils.cpp_extension.load_inline(name=..., cpp_sources=..., cuda_sources=..., functions=[...])
  (KernelBench's form, torch/extension.h available): a cold build takes 50-100 s, about 70x slower.
  Minimal form: load_inline(name="ext", cpp_sources="torch::Tensor f(torch::Tensor x);",
  cuda_sources=CU, functions=["f"]) with CU defining f and launching its __global__ kernel.
Headers: the CUDA toolkit's (<cuda_runtime.h>, <cuda_fp16.h>, <cuda_bf16.h>, <cub/cub.cuh>,
<cooperative_groups.h>, <mma.h>) and the C++ standard library (no threads, files or processes).
Extra flags: -O0..-O3, --use_fast_math, -maxrregcount=N, -Xptxas=..., -lineinfo, --expt-relaxed-constexpr,
--ftz=/--prec-div=/--prec-sqrt=/--fmad=true|false, -D/-U, -std=c++NN.'''
