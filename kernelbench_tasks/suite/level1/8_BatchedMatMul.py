import torch
import torch.nn as nn

batch_size = 32
m = 128
k = 128
n = 128

SIZE_PROFILES = {"gpu": {"batch_size": 128, "m": 512, "k": 256, "n": 512}}


class Model(nn.Module):
    """Batched matrix product C[b] = A[b] @ B[b], A of shape (batch, m, k), B of shape (batch, k, n)."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.bmm(A, B)


def get_inputs():
    return [torch.randn(batch_size, m, k), torch.randn(batch_size, k, n)]


def get_init_inputs():
    return []
