import torch
import torch.nn as nn

batch_size = 8
in_channels = 16
out_channels = 32
kernel_size = 3
num_groups = 8
height = 64
width = 64

SIZE_PROFILES = {"gpu": {"batch_size": 32, "in_channels": 32, "out_channels": 64,
                         "height": 128, "width": 128}}


class Model(nn.Module):
    """2-D convolution ('same' padding), then GroupNorm with affine, then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, num_groups: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.GroupNorm(num_groups, out_channels, eps=1e-5)
        with torch.no_grad():
            self.norm.weight.add_(0.1 * torch.randn(out_channels))
            self.norm.bias.add_(0.1 * torch.randn(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x)))


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, num_groups]
