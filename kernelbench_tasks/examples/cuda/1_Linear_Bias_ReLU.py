"""Example CUDA solution for level2/1_Linear_Bias_ReLU, a partial replacement (KernelBench rules): the
GEMM stays in cuBLAS (torch.mm), bias + ReLU are fused into one in-place epilogue kernel.

The reference's epilogue reads and writes the GEMM output twice (bias inside addmm's epilogue is
free, but ReLU is a second full pass into a new tensor); here one pass over float4s adds the bias
and clamps, on torch's current stream. Under --rules strict this solution is refused.
"""
import torch
import torch.nn as nn

from harness.native import load_cuda

_lib = load_cuda(r'''
#include <cuda_runtime.h>

__global__ void bias_relu_vec4(float4* __restrict__ y, const float4* __restrict__ b, long rows, long cols4) {
    const long n = rows * cols4;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        float4 v = y[i];
        const float4 c = b[i % cols4];
        v.x = fmaxf(v.x + c.x, 0.f); v.y = fmaxf(v.y + c.y, 0.f);
        v.z = fmaxf(v.z + c.z, 0.f); v.w = fmaxf(v.w + c.w, 0.f);
        y[i] = v;
    }
}

__global__ void bias_relu(float* __restrict__ y, const float* __restrict__ b, long rows, long cols) {
    const long n = rows * cols;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
        y[i] = fmaxf(y[i] + b[i % cols], 0.f);
}

extern "C" void launch_bias_relu(float* y, const float* b, long rows, long cols, cudaStream_t stream) {
    const int threads = 256;
    const bool vec = cols % 4 == 0 && ((reinterpret_cast<unsigned long>(y) | reinterpret_cast<unsigned long>(b)) & 15) == 0;
    const long work = vec ? rows * cols / 4 : rows * cols;
    long blocks = (work + threads - 1) / threads;
    if (blocks > 65535L * 8) blocks = 65535L * 8;
    if (blocks < 1) return;
    if (vec)
        bias_relu_vec4<<<(int)blocks, threads, 0, stream>>>(reinterpret_cast<float4*>(y),
                                                            reinterpret_cast<const float4*>(b), rows, cols / 4);
    else
        bias_relu<<<(int)blocks, threads, 0, stream>>>(y, b, rows, cols);
}
''', functions={"launch_bias_relu": ["ptr", "ptr", "int64", "int64", "stream"]}, name="bias_relu_cuda")


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.mm(x.contiguous(), self.linear.weight.t())
        _lib.launch_bias_relu(y, self.linear.bias, y.shape[0], y.shape[1])
        return y
