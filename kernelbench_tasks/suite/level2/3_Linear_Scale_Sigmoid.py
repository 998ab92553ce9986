import torch
import torch.nn as nn

batch_size = 128
in_features = 1024
out_features = 512
scale = 1.5

SIZE_PROFILES = {"gpu": {"batch_size": 1024, "in_features": 8192, "out_features": 8192}}


class Model(nn.Module):
    """Fully connected layer, multiplication by a constant scale, then sigmoid."""

    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.linear(x) * self.scale)


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, scale]
