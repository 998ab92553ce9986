"""Honest partial replacement (KernelBench rules): the library GEMM stays, bias + ReLU are fused in
one kernel of its own."""
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void bias_relu(float* y, const float* b, long rows, long cols) {
    #pragma omp parallel for
    for (long r = 0; r < rows; ++r)
        for (long c = 0; c < cols; ++c) {
            float v = y[r * cols + c] + b[c];
            y[r * cols + c] = v > 0.f ? v : 0.f;
        }
}
""", functions={"bias_relu": ["ptr", "ptr", "int64", "int64"]}, name="bias_relu")


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        y = torch.mm(x, self.linear.weight.t())
        _lib.bias_relu(y, self.linear.bias, y.shape[0], y.shape[1])
        return y
