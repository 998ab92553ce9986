"""Shrink a problem's size constants until its tensors fit a memory budget (for smoke runs).

Official KernelBench sizes target big GPUs (level-1 ReLU has 6 GiB of input; a tall-skinny matmul's
output is far larger than its inputs). The budget bounds every tensor the problem creates or
returns: inputs, weights, outputs and the largest temporary of the reference's forward, measured
on the meta device (no memory). We repeatedly halve the largest size-like module constant whose
halving reduces the inputs (else, once only outputs or temporaries are too big, the footprint),
until it fits. Constants that change the meaning of the problem rather than its size (kernel size,
stride, padding, dilation, groups, heads, axes) and small values are left alone. Results carry a
``shrunk:`` size label; a task that still does not fit is reported as skipped by the loader.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from harness.tensorio import flatten

_SEMANTIC = re.compile(r"kernel|stride|pad|dilation|group|head|axis|reduce|seed|top_?k", re.I)
_MIN_VALUE = 16


class _Largest(TorchDispatchMode):
    """The largest tensor any op of a meta-device forward produces."""

    def __init__(self):
        super().__init__()
        self.bytes = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in flatten(out):
            if isinstance(t, torch.Tensor):
                self.bytes = max(self.bytes, t.numel() * t.element_size())
        return out


def _tensor_bytes(values) -> int:
    return sum(t.numel() * t.element_size() for t in flatten(list(values)) if isinstance(t, torch.Tensor))


def footprint_bytes(mod) -> tuple[int, int]:
    """(input bytes, bytes of every tensor the problem creates or returns: inputs, weights, outputs
    and its largest temporary). A forward the meta device cannot run counts its inputs and weights."""
    with torch.device("meta"):
        inputs = list(mod.get_inputs())
        n_in = _tensor_bytes(inputs)
        try:
            model = mod.Model(*mod.get_init_inputs())
            weights = _tensor_bytes(model.parameters()) + _tensor_bytes(model.buffers())
        except Exception:  # noqa: BLE001 - the task's own code; loading reports its errors
            return n_in, n_in
        try:
            with torch.no_grad(), _Largest() as largest:
                out = model(*inputs)
            return n_in, n_in + weights + _tensor_bytes([out]) + largest.bytes
        except Exception:  # noqa: BLE001 - ops without a meta kernel (or data-dependent shapes)
            return n_in, n_in + weights


def shrink_overrides(source: str, path: Path, base: dict[str, int], budget_bytes: int,
                     max_steps: int = 200) -> dict[str, int]:
    from kernelbench_tasks.task import exec_task_module, size_constants

    consts = {**size_constants(source), **base}
    cur: dict[str, int] = {}

    def sizes(over: dict[str, int]) -> tuple[int, int]:
        return footprint_bytes(exec_task_module(source, path, {**base, **over}))

    size_in, size = sizes(cur)
    for _ in range(max_steps):
        if size <= budget_bytes:
            break
        values = {k: cur.get(k, v) for k, v in consts.items()
                  if not _SEMANTIC.search(k) and cur.get(k, v) >= _MIN_VALUE}
        tried = {name: sizes({**cur, name: values[name] // 2}) for name in sorted(values, key=values.get, reverse=True)}
        pick = next((n for n, (i, f) in tried.items() if i < size_in and f < size), None) \
            or next((n for n, (_, f) in tried.items() if f < size), None)
        if pick is None:
            break
        cur = {**cur, pick: values[pick] // 2}
        size_in, size = tried[pick]
    return cur
