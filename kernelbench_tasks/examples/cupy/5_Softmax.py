"""Example CuPy solution for level1/5_Softmax: one 256-thread block per row (RawModule).

Three passes over the row, each a block-wide reduction through shared memory: the max, then the
sum of exp(x - max) (written to y), then the scaling by 1/sum.
"""
import cupy as cp
import torch
import torch.nn as nn

_module = cp.RawModule(code=r'''
__device__ float block_reduce(float v, float* smem, bool is_max) {
    smem[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            const float o = smem[threadIdx.x + s];
            smem[threadIdx.x] = is_max ? fmaxf(smem[threadIdx.x], o) : smem[threadIdx.x] + o;
        }
        __syncthreads();
    }
    const float r = smem[0];
    __syncthreads();
    return r;
}

extern "C" __global__ void softmax_rows(const float* __restrict__ x, float* __restrict__ y, long long cols) {
    __shared__ float smem[256];
    const float* xr = x + blockIdx.x * cols;
    float* yr = y + blockIdx.x * cols;
    float m = __int_as_float(0xff800000);  // -inf (NVRTC has no <cmath> INFINITY)
    for (long long i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_reduce(m, smem, true);
    float s = 0.f;
    for (long long i = threadIdx.x; i < cols; i += blockDim.x) {
        const float e = expf(xr[i] - m);
        yr[i] = e;
        s += e;
    }
    const float inv = 1.f / block_reduce(s, smem, false);
    for (long long i = threadIdx.x; i < cols; i += blockDim.x) yr[i] *= inv;
}
''', options=("-std=c++17",))
_softmax = _module.get_function("softmax_rows")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        cols = x.shape[-1]
        with cp.cuda.ExternalStream(torch.cuda.current_stream().cuda_stream):
            _softmax((x.numel() // cols,), (256,), (x.data_ptr(), y.data_ptr(), cp.int64(cols)))
        return y
