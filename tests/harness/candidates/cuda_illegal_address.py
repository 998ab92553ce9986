"""(GPU) Writes far outside its output buffer: an illegal-address fault that poisons the CUDA context."""
import torch
import torch.nn as nn
from harness.native import load_cuda

_lib = load_cuda(r'''
#include <cuda_runtime.h>
__global__ void oob(float* y, long n) { y[n + (1L << 36)] = 1.f; }
extern "C" void launch(float* y, long n, cudaStream_t s) { oob<<<1, 1, 0, s>>>(y, n); }
''', functions={"launch": ["ptr", "int64", "stream"]}, name="cuda_oob")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.launch(y, y.numel())
        return y
