import torch
import torch.nn as nn

batch_size = 8
in_channels = 32
out_channels = 64
kernel_size = 3
height = 32
width = 32

SIZE_PROFILES = {"gpu": {"batch_size": 16, "in_channels": 64, "out_channels": 128,
                         "height": 128, "width": 128}}


class Model(nn.Module):
    """2-D convolution (square kernel, stride 1, 'same' zero padding, with bias) on NCHW input."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
