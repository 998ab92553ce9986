import torch
import torch.nn as nn

batch_size = 128
dim = 16384

SIZE_PROFILES = {"gpu": {"batch_size": 4096, "dim": 16384}}


class Model(nn.Module):
    """Elementwise ReLU: y = max(x, 0)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
