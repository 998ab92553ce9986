"""(GPU) Writes the result into the input buffer and returns it."""
import torch.nn as nn
from harness.native import load_cuda

_lib = load_cuda(r'''
#include <cuda_runtime.h>
__global__ void relu(float* x, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
        x[i] = x[i] < 0.f ? 0.f : x[i];
}
extern "C" void launch(float* x, long n, cudaStream_t s) { relu<<<512, 256, 0, s>>>(x, n); }
''', functions={"launch": ["ptr", "int64", "stream"]}, name="relu_cuda_alias")


class ModelNew(nn.Module):
    def forward(self, x):
        _lib.launch(x, x.numel())
        return x
