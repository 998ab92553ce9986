"""(GPU) A kernel that never finishes."""
import torch
import torch.nn as nn
from harness.native import load_cuda

_lib = load_cuda(r'''
#include <cuda_runtime.h>
__global__ void spin(float* y) { volatile int k = 0; while (true) { k = k + 1; } }
extern "C" void launch(float* y, cudaStream_t s) { spin<<<1, 32, 0, s>>>(y); }
''', functions={"launch": ["ptr", "stream"]}, name="cuda_spin")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.launch(y)
        return y
