"""Shrink a problem's size constants until its inputs fit a memory budget (for smoke runs).

Official KernelBench sizes target big GPUs (level-1 ReLU has 6 GiB of input). We repeatedly halve
the largest size-like module constant whose halving actually reduces the input bytes, until the
inputs fit. Constants that change the meaning of the problem rather than its size (kernel size,
stride, padding, dilation, groups, heads, axes), constants that do not shape the inputs (e.g.
out_channels) and small values are left alone. Results carry a ``shrunk:`` size label; a task
that still does not fit is reported as skipped by the loader.
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

    size = input_bytes()
    for _ in range(max_steps):
        if size <= budget_bytes:
            break
        values = {k: cur.get(k, v) for k, v in consts.items()
                  if not _SEMANTIC.search(k) and cur.get(k, v) >= _MIN_VALUE}
        for name in sorted(values, key=values.get, reverse=True):
            trial = {**cur, name: values[name] // 2}
            prev, cur = cur, trial
            new = input_bytes()
            if new < size:
                size = new
                break
            cur = prev  # this constant does not shape the inputs
        else:
            break
    return cur

