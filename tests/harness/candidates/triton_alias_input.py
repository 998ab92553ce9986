"""Runs a Triton ReLU in place on its input and returns the input itself."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(x_ptr + offs, tl.where(x < 0, 0.0, x), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        relu_kernel[(triton.cdiv(x.numel(), 4096),)](x, x.numel(), BLOCK=4096)
        return x
