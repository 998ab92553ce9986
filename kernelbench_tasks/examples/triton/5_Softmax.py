"""Example Triton solution for level1/5_Softmax: one program per row, the whole row in registers.

Rows are a few thousand floats, so one block covers a row: max, exp(x - max), sum, scale, one
read and one write of global memory. Masked lanes load -inf so they add exp(-inf) = 0 to the sum.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(x_ptr, y_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float("inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    tl.store(y_ptr + row * cols + offs, e / tl.sum(e, axis=0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        cols = x.shape[-1]
        block = triton.next_power_of_2(cols)
        softmax_kernel[(x.numel() // cols,)](x, y, cols, BLOCK=block, num_warps=16 if block >= 8192 else 8)
        return y
