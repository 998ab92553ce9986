"""The triton backend's part of the prompts: seed tactics, answer format with a worked example (a
squared difference, no suite task), and how kernels are built."""
from __future__ import annotations

SEED = ("Write @triton.jit kernels launched from forward. Give each program a power-of-two BLOCK of "
        "contiguous elements (a whole row for row-wise reductions), mask the tail, accumulate in fp32, "
        "and fuse chained elementwise work into one kernel. For fp32 matmuls pass "
        "input_precision=\"ieee\" to tl.dot (TF32 fails the fp32 tolerance).")

FORMAT = '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own @triton.jit kernels; PyTorch may only
allocate and reshape. Example (a squared difference, to show the form):
```python
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def sqdiff_kernel(a_ptr, b_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    d = tl.load(a_ptr + offs, mask=offs < n) - tl.load(b_ptr + offs, mask=offs < n)
    tl.store(y_ptr + offs, d * d, mask=offs < n)

class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        y = torch.empty_like(a)
        sqdiff_kernel[(triton.cdiv(a.numel(), 1024),)](a, b, y, a.numel(), BLOCK=1024)
        return y
```'''

ROUTES = '''Compile route: Triton JIT-compiles each @triton.jit kernel on its first launch (seconds per
configuration; @triton.autotune multiplies that by its number of configs, and the chosen config is
reported). Without a GPU, kernels run in Triton's interpreter on CPU tensors: correctness only.'''
