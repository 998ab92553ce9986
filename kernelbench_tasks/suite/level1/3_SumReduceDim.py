import torch
import torch.nn as nn

batch_size = 32
dim1 = 256
dim2 = 256
reduce_dim = 1

SIZE_PROFILES = {"gpu": {"batch_size": 64, "dim1": 1024, "dim2": 1024}}


class Model(nn.Module):
    """Sum of a 3-D tensor over one dimension (default 1), keeping that dimension with size 1."""

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim, keepdim=True)


def get_inputs():
    return [torch.randn(batch_size, dim1, dim2)]


def get_init_inputs():
    return [reduce_dim]
