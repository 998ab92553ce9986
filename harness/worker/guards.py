"""In-child observers: which torch ops a forward ran, and poisoned memory for unwritten outputs."""
from __future__ import annotations

import ctypes
import os
import sys
from collections import Counter

import torch
from torch.utils._python_dispatch import TorchDispatchMode

_M_PERTURB = -6
_libc = ctypes.CDLL(None)
_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


class OpRecorder(TorchDispatchMode):
    """Records every aten op dispatched while active, including ops called from C++ extensions.

    ``exempt``: (file, function) pairs of library plumbing (the Triton interpreter staging kernel
    arguments) whose own torch calls are not the candidate's work. Only the ops that plumbing itself
    dispatches beyond allocation and copies (``EXEMPT_OPS``) are left out, and only when that
    function is their nearest Python caller: candidate code called from there still counts.
    """

    EXEMPT_OPS = frozenset({"aten::set_"})  # the interpreter's view onto its staged storage copy

    def __init__(self, exempt: frozenset[tuple[str, str]] = frozenset()):
        super().__init__()
        self.counts: Counter[str] = Counter()  # op -> times dispatched (the rules compare multisets)
        self.exempt = exempt

    @property
    def ops(self) -> set[str]:
        return set(self.counts)

    def __enter__(self):
        global _recording
        _recording += 1
        return super().__enter__()

    def __exit__(self, *exc):
        global _recording
        _recording -= 1
        return super().__exit__(*exc)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func._schema.name
        if not (self.exempt and name in self.EXEMPT_OPS and _nearest_caller() in self.exempt):
            self.counts[name] += 1
        return func(*args, **(kwargs or {}))


_recording = 0  # OpRecorders active: a forward is being watched
numpy_conversions = 0  # tensors turned into NumPy arrays while one was


def watch_numpy() -> None:
    """Count tensor -> NumPy conversions made while a forward is recorded: NumPy computes where the op
    recorder cannot see. Installed before the candidate is imported, so any reference it keeps to
    these methods is already the counting one."""
    for name in ("numpy", "__array__"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            global numpy_conversions
            if _recording:
                numpy_conversions += 1
            return _original(self, *args, **kwargs)
        setattr(torch.Tensor, name, counted)


def _nearest_caller() -> tuple[str, str] | None:
    """(file, function) of the innermost Python frame outside torch and this module."""
    frame = sys._getframe(2)
    while frame is not None and (frame.f_code.co_filename.startswith(_TORCH_DIR)
                                 or frame.f_code.co_filename == __file__):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_code.co_name) if frame else None


def set_cpu_poison(on: bool) -> None:
    """glibc fills freshly malloc'd memory with a junk byte (0x5A.. as float32 ~1.5e16)."""
    _libc.mallopt(_M_PERTURB, 0xA5 if on else 0)


def poison_device_cache(nbytes: int, device: torch.device) -> None:
    """Leave NaNs in the CUDA caching allocator's free blocks so torch.empty returns NaN garbage."""
    if device.type != "cuda" or nbytes <= 0:
        return
    junk = torch.full(((nbytes + 3) // 4 * 2,), float("nan"), device=device)
    del junk


def storage_span(t: torch.Tensor) -> tuple[int, int]:
    s = t.untyped_storage()
    return s.data_ptr(), s.data_ptr() + s.nbytes()


def overlaps(a: torch.Tensor, b: torch.Tensor) -> bool:
    (a0, a1), (b0, b1) = storage_span(a), storage_span(b)
    return a0 < b1 and b0 < a1 and a1 > a0 and b1 > b0
