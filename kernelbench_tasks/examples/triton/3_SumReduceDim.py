"""Example Triton solution for level1/3_SumReduceDim (sum over the middle of three dimensions).

Viewed as (outer, reduce, inner), each program owns BLOCK_I contiguous inner columns of one outer
index and walks down the reduced dimension BLOCK_R rows at a time, so every load is coalesced
along the inner axis; the fp32 accumulator is summed over rows once at the end.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_mid_kernel(x_ptr, y_ptr, reduce, inner, BLOCK_R: tl.constexpr, BLOCK_I: tl.constexpr):
    outer = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK_I + tl.arange(0, BLOCK_I)
    col_mask = cols < inner
    acc = tl.zeros((BLOCK_R, BLOCK_I), dtype=tl.float32)
    base = x_ptr + outer * reduce * inner
    for r0 in range(0, reduce, BLOCK_R):
        rows = r0 + tl.arange(0, BLOCK_R)
        mask = (rows[:, None] < reduce) & col_mask[None, :]
        acc += tl.load(base + rows[:, None] * inner + cols[None, :], mask=mask, other=0.0)
    tl.store(y_ptr + outer * inner + cols, tl.sum(acc, axis=0), mask=col_mask)


class ModelNew(nn.Module):
    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        shape = list(x.shape)
        reduce = shape[self.dim]
        outer = 1
        for s in shape[: self.dim]:
            outer *= s
        inner = x.numel() // (outer * reduce)
        shape[self.dim] = 1
        y = torch.empty(shape, dtype=x.dtype, device=x.device)
        block_i = min(256, triton.next_power_of_2(inner))
        sum_mid_kernel[(outer, triton.cdiv(inner, block_i))](x, y, reduce, inner, BLOCK_R=32, BLOCK_I=block_i)
        return y
