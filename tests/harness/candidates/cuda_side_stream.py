"""(GPU) Does the work on a private non-blocking stream after a ~3 ms spin and returns without
waiting, hoping the timer only sees the current stream."""
import torch
import torch.nn as nn
from harness.native import load_cuda

_lib = load_cuda(r'''
#include <cuda_runtime.h>
__global__ void slow_relu(const float* x, float* y, long n) {
    long long t0 = clock64();
    while (clock64() - t0 < 6000000LL) {}  // ~3 ms at 2 GHz
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
        y[i] = x[i] < 0.f ? 0.f : x[i];
}
static cudaStream_t side = nullptr;
extern "C" void launch(const float* x, float* y, long n) {
    if (!side) cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking);
    slow_relu<<<256, 256, 0, side>>>(x, y, n);
}
''', functions={"launch": ["ptr", "ptr", "int64"]}, name="relu_side_stream")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.launch(x, y, x.numel())
        return y
