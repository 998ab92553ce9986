"""The cupy backend's part of the prompts: seed tactics, answer format with a worked example (a
squared difference, no suite task), and how kernels are built (NVRTC)."""
from __future__ import annotations

SEED = ("Write CUDA C kernels as extern \"C\" __global__ functions compiled with cupy.RawKernel or "
        "cupy.RawModule, and launch them inside cp.cuda.ExternalStream(torch's current stream). Use "
        "coalesced accesses, a grid-stride loop, and fuse chained elementwise work into one kernel.")

FORMAT = '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own CUDA C kernel compiled by CuPy (NVRTC);
PyTorch may only allocate and reshape. Example (a squared difference, to show the form):
```python
import cupy as cp
import torch
import torch.nn as nn

_sqdiff = cp.RawKernel(r"""
extern "C" __global__ void sqdiff(const float* a, const float* b, float* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float d = a[i] - b[i];
        y[i] = d * d;
    }
}
""", "sqdiff")

class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        y = torch.empty_like(a)
        n = a.numel()
        with cp.cuda.ExternalStream(torch.cuda.current_stream().cuda_stream):
            _sqdiff((min((n + 255) // 256, 65535),), (256,), (a.data_ptr(), b.data_ptr(), y.data_ptr(), cp.int64(n)))
        return y
```
Pass tensors as x.data_ptr(); sizes as cp.int64 (long long) or cp.int32 (int).'''

ROUTES = '''Compile route: cupy.RawKernel / RawModule compile with NVRTC (about 0.1 s cold, cached by source);
only cupy.RawKernel, RawModule, cuda.ExternalStream and scalar types (cupy.int64, ...) may be used.
Headers: NVRTC's built-ins (<cuda_fp16.h>, <cuda_bf16.h>); no host or standard-library headers.'''
