import torch
import torch.nn as nn
import torch.nn.functional as F

batch_size = 4
seq_len = 128
d_model = 256

SIZE_PROFILES = {"gpu": {"batch_size": 16, "seq_len": 1024, "d_model": 1024}}


class Model(nn.Module):
    """Pre-LayerNorm transformer MLP: x + Linear(4d->d)(GELU(Linear(d->4d)(LayerNorm(x))))."""

    def __init__(self, d_model: int):
        super().__init__()
        self.norm = nn.LayerNorm(d_model, eps=1e-5)
        self.fc1 = nn.Linear(d_model, 4 * d_model)
        self.fc2 = nn.Linear(4 * d_model, d_model)
        with torch.no_grad():
            self.norm.weight.add_(0.1 * torch.randn(d_model))
            self.norm.bias.add_(0.1 * torch.randn(d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(self.norm(x))
        h = F.gelu(h)
        return x + self.fc2(h)


def get_inputs():
    return [torch.randn(batch_size, seq_len, d_model)]


def get_init_inputs():
    return [d_model]
