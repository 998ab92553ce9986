import torch
import torch.nn as nn

batch_size = 128
in_features = 1024
out_features = 1024

SIZE_PROFILES = {"gpu": {"batch_size": 1024, "in_features": 8192, "out_features": 8192}}


class Model(nn.Module):
    """Fully connected layer (x @ W^T + b) followed by ReLU."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.linear(x))


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
