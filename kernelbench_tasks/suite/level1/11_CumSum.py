import torch
import torch.nn as nn

batch_size = 256
dim = 4096
scan_dim = 1

SIZE_PROFILES = {"gpu": {"batch_size": 4096, "dim": 16384}}


class Model(nn.Module):
    """Inclusive prefix sum (cumulative sum) along one dimension (default 1) of a 2-D tensor."""

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=self.dim)


def get_inputs():
    # Non-negative inputs keep every prefix sum well away from zero, so the relative tolerance
    # covers the different summation orders that parallel scans use.
    return [torch.rand(batch_size, dim)]


def get_init_inputs():
    return [scan_dim]
