"""The ablation run: does the candidate's own kernel output reach its result?

Under KernelBench's rules a candidate may keep PyTorch compute ops, so a "kernel" could be
decorative: launched, but with the answer computed by PyTorch beside it. One extra forward runs
with every custom kernel call observed: whatever a call wrote into its tensor arguments, and any
tensor it returned, is perturbed right after the call (random noise of the data's own magnitude,
no NaNs to test for). The parent compares that forward's output with the expected one: still
correct means the kernels did nothing the result depends on.

Observed routes: ``harness.native`` functions, ``load_inline`` extension functions and Triton
launches. CuPy launches are not observed (they take raw pointers; which ones a kernel writes is
unknowable from here), so the parent never ablates the CuPy backend.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import torch

from harness import native
from harness.tensorio import flatten


class KernelObserver:
    """Calls a kernel and perturbs what it produced. ``calls`` counts the kernel calls seen."""

    def __init__(self):
        self.calls = 0
        self._gen = torch.Generator().manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)

    def __call__(self, fn, args: tuple, kwargs: dict):
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
        before = [t.clone() for t in tensors]
        out = fn(*args, **kwargs)
        self.calls += 1
        if tensors and tensors[0].device.type == "cuda":
            torch.cuda.synchronize(tensors[0].device)
        written = [t for t, b in zip(tensors, before) if not torch.equal(t, b)]
        returned = [o for o in flatten(out) if isinstance(o, torch.Tensor)] if out is not None else []
        for t in {id(t): t for t in (*written, *returned)}.values():
            self._perturb(t)
        return out

    def _perturb(self, t: torch.Tensor) -> None:
        with torch.no_grad():
            if t.dtype == torch.bool:
                t.logical_not_()
            elif t.is_floating_point():
                noise = torch.randn(t.shape, generator=self._gen).to(device=t.device, dtype=t.dtype)
                t.add_(noise * (float(t.abs().max()) + 1.0))
            elif not t.is_complex():
                t.add_(torch.randint(1, 100, t.shape, generator=self._gen).to(device=t.device, dtype=t.dtype))


def _observed_triton_run(original):
    def run(self, *args, **kwargs):
        obs = native._observer
        if obs is None or kwargs.get("warmup"):
            return original(self, *args, **kwargs)
        return obs(lambda *a, **k: original(self, *a, **k), args, kwargs)
    return run


@contextmanager
def ablated():
    """Within: every observed kernel call goes through a fresh :class:`KernelObserver` (yielded)."""
    observer = KernelObserver()
    patched = []
    try:
        from triton.runtime import interpreter, jit
        for cls in (jit.JITFunction, interpreter.InterpretedFunction):
            patched.append((cls, cls.run))
            cls.run = _observed_triton_run(cls.run)
    except ImportError:
        pass
    native._observer = observer
    try:
        yield observer
    finally:
        native._observer = None
        for cls, run in patched:
            cls.run = run
