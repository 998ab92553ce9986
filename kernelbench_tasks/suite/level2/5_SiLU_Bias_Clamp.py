import torch
import torch.nn as nn

batch_size = 32
channels = 64
height = 32
width = 32

SIZE_PROFILES = {"gpu": {"batch_size": 128, "channels": 128, "height": 64, "width": 64}}


class Model(nn.Module):
    """SiLU (x * sigmoid(x)), plus a per-channel bias parameter, clamped to [-1, 1]."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(0.5 * torch.randn(channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x * torch.sigmoid(x) + self.bias, min=-1.0, max=1.0)


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels]
