"""A scripted LLM for end-to-end engine tests: which kernel each strategy writes for each task.

Strategies are labelled by their first word. SEED-A solves ReLU; SEED-B solves only Softmax, with a
deliberately slow kernel (score floor 0.5); BAD compiles nothing; LEAKY (offered only when the parent
is SEED-A) writes SEED-A's exact ReLU kernel (so the two score identically) and solves LeakyReLU -
broken first, fixed after the compiler's feedback; MERGED adds a fast Softmax to LEAKY's kernels. Every gate decision
and frontier membership below is decided by correctness, not by measured speedups.
"""
from __future__ import annotations

import re

from kernelbench_tasks import EXAMPLES_DIR

FAST = {t: (EXAMPLES_DIR / "cpu" / f"{t}.py").read_text() for t in ("1_ReLU", "2_LeakyReLU", "5_Softmax")}


def broken(task: str) -> str:
    return f'''import torch
import torch.nn as nn
from harness.native import load_cpp
_lib = load_cpp(r"""
extern "C" void k_{task[2:]}(const float* x, float* y, long n) {{ y[0] = undeclared_name_{task[2:]}; }}
""", functions={{"k_{task[2:]}": ["ptr", "ptr", "int64"]}}, name="broken_{task[2:]}")
class ModelNew(nn.Module):
    def __init__(self, *args):
        super().__init__()
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.k_{task[2:]}(x, y, x.numel())
        return y
'''


SLOW_SOFTMAX = '''import torch
import torch.nn as nn
from harness.native import load_cpp
_lib = load_cpp(r"""
#include <cmath>
extern "C" void softmax_slow(const float* x, float* y, long rows, long cols) {
    for (int rep = 0; rep < 40; ++rep)
        for (long r = 0; r < rows; ++r) {
            const float* xr = x + r * cols; float* yr = y + r * cols;
            double m = xr[0];
            for (long c = 1; c < cols; ++c) m = xr[c] > m ? xr[c] : m;
            double s = 0;
            for (long c = 0; c < cols; ++c) s += std::exp((double)xr[c] - m);
            for (long c = 0; c < cols; ++c) yr[c] = (float)(std::exp((double)xr[c] - m) / s);
        }
}
""", functions={"softmax_slow": ["ptr", "ptr", "int64", "int64"]}, name="softmax_slow")
class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        _lib.softmax_slow(x, y, x.shape[0], x.shape[1])
        return y
'''

PLAN = {  # strategy label -> task -> (first reply, reply after feedback)
    "SEED-A": {"1_ReLU": ("fast", "fast"), "2_LeakyReLU": ("broken", "broken"), "5_Softmax": ("broken", "broken")},
    "SEED-B": {"1_ReLU": ("broken", "broken"), "2_LeakyReLU": ("broken", "broken"), "5_Softmax": ("slow", "slow")},
    "BAD": {t: ("broken", "broken") for t in FAST},
    "LEAKY": {"1_ReLU": ("fast", "fast"), "2_LeakyReLU": ("broken", "fixed"), "5_Softmax": ("broken", "broken")},
    # MERGED reuses LEAKY's exact kernels where LEAKY already succeeded, so its one real gain
    # (a fast Softmax) decides the merge gate, not timing noise between equivalent kernels.
    "MERGED": {"1_ReLU": ("fast", "fast"), "2_LeakyReLU": ("fixed", "fixed"), "5_Softmax": ("fast", "fast")},
}


def _task_of(prompt: str) -> str:
    named = re.search(r"^Task: (\S+)", prompt, re.M)  # the writer prompt names its task
    if named:
        return named.group(1)
    if "negative_slope" in prompt:
        return "2_LeakyReLU"
    if "softmax" in prompt.lower():
        return "5_Softmax"
    return "1_ReLU"


def _code(kind: str, task: str) -> str:
    src = {"fast": FAST[task], "fixed": FAST[task] + "# fixed after the compiler's feedback\n",
           "slow": SLOW_SOFTMAX, "broken": broken(task)}[kind]
    return f"Here is the kernel.\n```python\n{src}```\n"


class KernelWorld:
    def __init__(self):
        self.reflections = 0

    def __call__(self, messages: list[dict]) -> str:
        first = messages[1]["content"] if len(messages) > 1 else messages[0]["content"]  # after the system prompt
        last = messages[-1]["content"]
        if "Write one strategy that keeps the insights of both" in last:
            return "<strategy>\nMERGED: fuse every pass, vectorize inner loops.\n</strategy>"
        if "You maintain the strategy" in last:
            self.reflections += 1
            current = re.search(r"<strategy>\s*(\S+)", last).group(1).rstrip(":")
            label = "LEAKY" if current == "SEED-A" and self.reflections > 1 else "BAD"
            return f"<strategy>\n{label}: lessons learned from the feedback.\n</strategy>"
        label = re.search(r"Strategy to follow:\n(\S+)", first).group(1).rstrip(":")
        task = _task_of(first)
        kinds = PLAN[label][task]
        refining = last.startswith("Harness feedback")
        return _code(kinds[1] if refining else kinds[0], task)
