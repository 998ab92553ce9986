import torch
import torch.nn as nn

batch_size = 512
dim = 4096

SIZE_PROFILES = {"gpu": {"batch_size": 8192, "dim": 8192}}


class Model(nn.Module):
    """nn.LayerNorm over the last dimension (eps=1e-5) with a learnable elementwise affine."""

    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        # Move the affine parameters away from the identity (seeded) so that they matter.
        with torch.no_grad():
            self.norm.weight.add_(0.1 * torch.randn(dim))
            self.norm.bias.add_(0.1 * torch.randn(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [dim]
