import torch
import torch.nn as nn

batch_size = 512
dim = 4096
eps = 1e-6

SIZE_PROFILES = {"gpu": {"batch_size": 8192, "dim": 8192}}


class Model(nn.Module):
    """RMSNorm over the last dimension: y = x / sqrt(mean(x^2) + eps) * weight."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)
        return x / rms * self.weight


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [dim, eps]
