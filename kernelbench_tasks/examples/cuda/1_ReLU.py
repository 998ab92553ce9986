"""Example CUDA solution for level1/1_ReLU through harness.native.load_cuda.

A grid-stride kernel; when both pointers are 16-byte aligned it moves float4s (one 128-bit load
and store per thread per step), with a scalar kernel for the tail and unaligned views. The host
launcher runs on torch's current stream (the 'stream' argument is filled in by the harness).
"""
import torch
import torch.nn as nn

from harness.native import load_cuda

_lib = load_cuda(r'''
#include <cstdint>
#include <cuda_runtime.h>

__global__ void relu_vec4_kernel(const float4* __restrict__ x, float4* __restrict__ y, long n4) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n4; i += (long)gridDim.x * blockDim.x) {
        float4 v = x[i];  // `v < 0 ? 0 : v` keeps NaN, like torch.relu
        v.x = v.x < 0.f ? 0.f : v.x;
        v.y = v.y < 0.f ? 0.f : v.y;
        v.z = v.z < 0.f ? 0.f : v.z;
        v.w = v.w < 0.f ? 0.f : v.w;
        y[i] = v;
    }
}

__global__ void relu_kernel(const float* __restrict__ x, float* __restrict__ y, long start, long n) {
    for (long i = start + blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        const float v = x[i];
        y[i] = v < 0.f ? 0.f : v;
    }
}

static int grid_for(long work, int threads) {
    long blocks = (work + threads - 1) / threads;
    const long cap = 65535L * 8;  // grid-stride loops cover the rest
    if (blocks > cap) blocks = cap;
    return blocks < 1 ? 1 : (int)blocks;
}

extern "C" void launch_relu(const float* x, float* y, long n, cudaStream_t stream) {
    if (n <= 0) return;
    const int threads = 256;
    long done = 0;
    if ((((uintptr_t)x | (uintptr_t)y) & 15) == 0) {
        const long n4 = n / 4;
        if (n4 > 0)
            relu_vec4_kernel<<<grid_for(n4, threads), threads, 0, stream>>>(
                reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y), n4);
        done = n4 * 4;
    }
    if (done < n)
        relu_kernel<<<grid_for(n - done, threads), threads, 0, stream>>>(x, y, done, n);
}
''', functions={"launch_relu": ["ptr", "ptr", "int64", "stream"]}, name="relu_cuda")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        _lib.launch_relu(x, y, x.numel())
        return y
