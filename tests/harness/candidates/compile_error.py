"""C++ with a syntax error: the compiler's own message must come back."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    for (long i = 0; i < n; ++i) y[i] = undeclared_name[i]
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="broken")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
