"""(GPU) Skips the clamp on the last element of each 1024-block: a few wrong values, located."""
import torch
import torch.nn as nn
from harness.native import load_cuda

_lib = load_cuda(r'''
#include <cuda_runtime.h>
__global__ void relu(const float* x, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
        y[i] = (i % 1024 == 1023) ? x[i] : (x[i] < 0.f ? 0.f : x[i]);
}
extern "C" void launch(const float* x, float* y, long n, cudaStream_t s) { relu<<<512, 256, 0, s>>>(x, y, n); }
''', functions={"launch": ["ptr", "ptr", "int64", "stream"]}, name="relu_cuda_wrong")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.launch(x, y, x.numel())
        return y
