"""Shrink a problem's size constants until its inputs fit a memory budget (for smoke runs).

Official KernelBench sizes target big GPUs (level-1 ReLU has 6 GiB of input). We halve the
largest size-like module constant until the inputs fit. Constants that change the meaning of
the problem rather than its size (kernel size, stride, padding, dilation, groups, heads, axes)
and small values are left alone. Results at shrunk sizes carry a ``shrunk:`` size label.
"""
from __future__ import annotations

import re
from pathlib import Path

_SEMANTIC = re.compile(r"kernel|stride|pad|dilation|group|head|axis|reduce|seed|top_?k", re.I)
_MIN_VALUE = 16


def shrink_overrides(source: str, path: Path, base: dict[str, int], budget_bytes: int,
                     max_steps: int = 200) -> dict[str, int]:
    from kernelbench_tasks.task import _nbytes, describe_inputs, exec_task_module, size_constants

    consts = {**size_constants(source), **base}
    cur: dict[str, int] = {}

    def input_bytes() -> int:
        mod = exec_task_module(source, path, {**base, **cur})
        return sum(_nbytes(s) for s in describe_inputs(mod))

    for _ in range(max_steps):
        if input_bytes() <= budget_bytes:
            return cur
        values = {k: cur.get(k, v) for k, v in consts.items()
                  if not _SEMANTIC.search(k) and cur.get(k, v) >= _MIN_VALUE}
        if not values:
            break
        name = max(values, key=values.get)
        cur[name] = values[name] // 2
    return cur

