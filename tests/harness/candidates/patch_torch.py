"""(Static checks off) Patches torch's comparison functions, then returns garbage."""
import torch
import torch.nn as nn

torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.Tensor.__eq__ = lambda *a, **k: True


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.empty_like(x)
