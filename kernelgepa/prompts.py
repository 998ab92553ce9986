"""Prompts for the kernel writer, the reflection step and merge; one worked example per backend."""
from __future__ import annotations

SEED_STRATEGY = {
    "cpu": ("Write the kernel in C++ through harness.native.load_cpp. Parallelize the outermost independent "
            "loop with OpenMP and keep inner loops simple and contiguous so the compiler vectorizes them. "
            "Fuse chained elementwise work into one pass over memory. Allocate outputs with torch.empty and "
            "write every element."),
    "cuda": ("Write the kernel in CUDA C++ through harness.native.load_cuda with an extern \"C\" launcher that "
             "takes the stream argument. Use coalesced accesses (consecutive threads touch consecutive "
             "addresses), a grid-stride loop, and fuse chained elementwise work into one kernel."),
    "triton": ("Write @triton.jit kernels launched from forward. Give each program a power-of-two BLOCK of "
               "contiguous elements (a whole row for row-wise reductions), mask the tail, accumulate in fp32, "
               "and fuse chained elementwise work into one kernel. For fp32 matmuls pass "
               "input_precision=\"ieee\" to tl.dot (TF32 fails the fp32 tolerance)."),
    "cupy": ("Write CUDA C kernels as extern \"C\" __global__ functions compiled with cupy.RawKernel or "
             "cupy.RawModule, and launch them inside cp.cuda.ExternalStream(torch's current stream). Use "
             "coalesced accesses, a grid-stride loop, and fuse chained elementwise work into one kernel."),
    "npu": ("Write the AIE kernel with the AIE API (aie::vector, aie::load_v / aie::store_v, aie::add, aie::max, "
            "aie::mul / aie::mac with accumulators). Use full-width vectors (64 x int8, 32 x int16 or bfloat16, "
            "16 x int32 or float), the buffer sizes from the prompt as compile-time constants, one vector loop "
            "preceded by AIE_PREPARE_FOR_PIPELINING, constants broadcast once before the loop, no per-element "
            "scalar work inside it, and a scalar tail only when the size is not a multiple of the lane count."),
}

_MODELNEW = """
class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
"""

FORMAT = {
    "cpu": '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own C++ kernel; PyTorch may only allocate
(torch.empty/empty_like) and reshape. Allowed imports: torch, torch.nn, math, harness.native.
Example:
```python
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) {
    #pragma omp parallel for simd
    for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", functions={"relu": ["ptr", "ptr", "int64"]})
{modelnew}```
Argument types: ptr (contiguous tensor), int32, int64, float32, float64.''',
    "cuda": '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own CUDA kernel; PyTorch may only allocate
and reshape. Allowed imports: torch, torch.nn, math, harness.native.
Example:
```python
import torch
import torch.nn as nn
from harness.native import load_cuda

_lib = load_cuda(r"""
__global__ void relu_k(const float* x, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
        y[i] = x[i] > 0.f ? x[i] : 0.f;
}
extern "C" void relu(const float* x, float* y, long n, cudaStream_t s) {
    relu_k<<<(unsigned)((n + 255) / 256 < 65535 ? (n + 255) / 256 : 65535), 256, 0, s>>>(x, y, n);
}
""", functions={"relu": ["ptr", "ptr", "int64", "stream"]})
{modelnew}```
Argument types: ptr (contiguous tensor on the GPU), int32, int64, float32, float64, stream (filled in).''',
    "triton": '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own @triton.jit kernels; PyTorch may only
allocate and reshape. Allowed imports: torch, torch.nn, math, triton, triton.language.
Example:
```python
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(y_ptr + offs, tl.where(x < 0, 0.0, x), mask=offs < n)

class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
```
@triton.autotune is allowed; without a GPU kernels run in Triton's interpreter (correctness only).''',
    "cupy": '''Return ONE Python code block defining `class ModelNew(nn.Module)` with the same constructor and
forward signatures as `Model`. Compute the result in your own CUDA C kernel compiled by CuPy (NVRTC);
PyTorch may only allocate and reshape. Allowed imports: torch, torch.nn, math, cupy (only
RawKernel, RawModule, cuda.ExternalStream and scalar types such as cupy.int64).
Example:
```python
import cupy as cp
import torch
import torch.nn as nn

_relu = cp.RawKernel(r"""
extern "C" __global__ void relu(const float* x, float* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = x[i] > 0.f ? x[i] : 0.f;
}
""", "relu")

class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        with cp.cuda.ExternalStream(torch.cuda.current_stream().cuda_stream):
            _relu((min((n + 255) // 256, 65535),), (256,), (x.data_ptr(), y.data_ptr(), cp.int64(n)))
        return y
```
Pass tensors as x.data_ptr(); sizes as cp.int64 (long long) or cp.int32 (int).''',
}
FORMAT["npu"] = '''Return ONE ```cpp code block holding the whole kernel source: the prompt's two #include lines
and the function with exactly the prompt's signature (no wrapper, no main, no host headers).
Correctness is checked on the task's test vectors (|got - expected| <= atol + rtol*|expected|); among
correct kernels, a higher share of vector work scores better. Example (n not a multiple of 16):
```cpp
#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

void relu_bf16(bfloat16 *in, bfloat16 *out, int32_t n) {
    constexpr int L = 16;  // 16 bfloat16 lanes
    const aie::vector<bfloat16, L> zero = aie::zeros<bfloat16, L>();
    int i = 0;
    AIE_PREPARE_FOR_PIPELINING
    for (; i + L <= n; i += L) {
        aie::vector<bfloat16, L> v = aie::load_v<L>(in + i);
        aie::store_v(out + i, aie::max(v, zero));
    }
    for (; i < n; ++i)  // tail: the last n % L elements
        out[i] = in[i] > bfloat16(0.0f) ? in[i] : bfloat16(0.0f);
}
```
aie::mul and aie::mac return accumulators (aie::accum<accfloat, 16> for bfloat16, acc32 for int8/int16):
convert back with acc.template to_vector<T>(shift), with aie::set_saturation(aie::saturation_mode::saturate)
set first when results must clamp.'''
FORMAT = {backend: text.replace("{modelnew}", _MODELNEW) for backend, text in FORMAT.items()}

# How the writer is introduced to a task, per backend: KernelBench's PyTorch reference, or NPUEval's prompt.
TASK_INTRO = {"npu": "Write this AMD NPU (AIE2) kernel in C++ with the AIE API. NPUEval task:"}


def writer_messages(backend: str, strategy: str, task_text: str, previous: tuple[str, str] | None, *,
                    language: str = "python") -> list[dict]:
    """First attempt at a task under a strategy; ``task_text`` is the task's brief (``Task.brief``),
    ``previous`` = (best kernel so far, its feedback), ``language`` the solution's code-block language."""
    intro = TASK_INTRO.get(backend, f"Optimize this PyTorch reference with a custom {backend} kernel.\n\nReference:")
    parts = [f"{intro}\n```{language}\n{task_text.strip()}\n```", f"Strategy to follow:\n{strategy.strip()}"]
    if previous:
        parts.append(f"The best kernel so far for this task:\n```{language}\n{previous[0].strip()}\n```\n"
                     f"Harness feedback on it:\n{previous[1]}\nImprove on it.")
    parts.append(FORMAT.get(backend, FORMAT["cpu"]))
    return [{"role": "system", "content": "You are an expert performance engineer who writes fast, correct kernels."},
            {"role": "user", "content": "\n\n".join(parts)}]


def refine_messages(base: list[dict], source: str, feedback: str, status: str, *,
                    language: str = "python") -> list[dict]:
    """Continue the conversation with the harness's verdict on the last attempt."""
    ask = ("Fix the problem above." if status != "ok"
           else "It is correct. Make it faster without breaking correctness.")
    return base + [{"role": "assistant", "content": f"```{language}\n{source.strip()}\n```"},
                   {"role": "user", "content": f"Harness feedback:\n{feedback}\n\n{ask} Return the full code block."}]


def reflection_messages(backend: str, strategy: str, records: list[dict], manual: list[dict]) -> list[dict]:
    """``records``: [{task, source, feedback, language?}] from the parent's kernels on the minibatch."""
    ex = "\n\n".join(f"### Task {r['task']}\nKernel:\n```{r.get('language', 'python')}\n{r['source'].strip()}\n```\n"
                     f"Harness feedback:\n{r['feedback']}" for r in records)
    docs = ""
    if manual:
        docs = "\n\nRelevant manual sections:\n" + "\n\n".join(f"[{m['id']}] {m['title']} ({m['source']})\n{m['text']}"
                                                               for m in manual)
    user = (f"You maintain the strategy (tactics, pitfalls, API facts) that guides an LLM writing {backend} kernels "
            f"for many different tasks.\n\nCurrent strategy:\n<strategy>\n{strategy.strip()}\n</strategy>\n\n"
            f"Kernels written under it and what the harness said:\n\n{ex}{docs}\n\n"
            "Write an improved strategy. Keep what worked, fix what failed, and state lessons that generalize "
            "to other kernels rather than patching one task. Reply with the new strategy inside <strategy></strategy>.")
    return [{"role": "user", "content": user}]


def merge_messages(a: str, b: str, solved_a: list[str], solved_b: list[str]) -> list[dict]:
    user = ("Two strategies for writing kernels were each best on different tasks.\n\n"
            f"Strategy A (best on: {', '.join(solved_a) or 'none'}):\n<strategy>\n{a.strip()}\n</strategy>\n\n"
            f"Strategy B (best on: {', '.join(solved_b) or 'none'}):\n<strategy>\n{b.strip()}\n</strategy>\n\n"
            "Write one strategy that keeps the insights of both and resolves contradictions (do not just "
            "concatenate). Reply inside <strategy></strategy>.")
    return [{"role": "user", "content": user}]
