"""The fast candidate route: kernels written without torch headers, bound through ctypes.

A candidate writes ``extern "C"`` functions taking raw pointers and sizes and declares their argument
types; the harness compiles them with plain g++ / nvcc (no ``torch/extension.h``: seconds instead
of the 30-70 s a ``load_inline`` build costs) and ``ModelNew.forward`` calls them with tensors::

    from harness.native import load_cpp
    lib = load_cpp('''
        extern "C" void relu(const float* x, float* y, long n) {
            #pragma omp parallel for
            for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
        }''', functions={"relu": ["ptr", "ptr", "int64"]})
    ...
    y = torch.empty_like(x); lib.relu(x, y, x.numel())

Argument types: ``ptr`` (a contiguous tensor on the backend's device; its data pointer is passed),
``int32``, ``int64``, ``float32``, ``float64`` and, for CUDA, ``stream``: filled in automatically with
torch's current stream (the candidate does not pass it).

Inside the harness the worker decides how requests resolve (record during capture, load the
prebuilt artifact during the run); used directly in a script, requests are compiled on the spot.
"""
from __future__ import annotations

import ctypes
from typing import Callable

from harness.build import ARG_TYPES, BuildRequest

_CTYPES = {"ptr": ctypes.c_void_p, "int32": ctypes.c_int32, "int64": ctypes.c_int64,
           "float32": ctypes.c_float, "float64": ctypes.c_double, "stream": ctypes.c_void_p}

# Set by the harness worker before the candidate is imported; None means "compile here and now".
_resolver: Callable[[BuildRequest], str | None] | None = None
# Set by the harness worker during its ablation run only (harness.worker.ablation): every kernel
# call goes through it as ``_observer(call, args, kwargs)``.
_observer: Callable | None = None


def _resolve(req: BuildRequest) -> str | None:
    if _resolver is not None:
        return _resolver(req)
    from harness.build import Builder, default_cache_dir

    res = Builder(default_cache_dir(), isolate=False).build(req)
    if not res.ok:
        raise RuntimeError(f"build of {req.name} failed:\n{res.log}")
    return res.artifact


def _normalise(functions: dict[str, list[str]]) -> tuple:
    if not isinstance(functions, dict) or not functions:
        raise TypeError("functions must be a non-empty dict {name: [argtype, ...]}")
    out = []
    for name, args in functions.items():
        bad = [a for a in args if a not in ARG_TYPES]
        if bad:
            raise TypeError(f"{name}: unknown argument type(s) {bad}; use {list(ARG_TYPES)}")
        out.append((str(name), tuple(args)))
    return tuple(out)


class _Function:
    __slots__ = ("_fn", "_args", "_name", "_device")

    def __init__(self, fn, name: str, args: tuple[str, ...], device: str):
        fn.restype = None
        fn.argtypes = [_CTYPES[a] for a in args]
        self._fn, self._name, self._args, self._device = fn, name, args, device

    def __call__(self, *values):
        if _observer is not None:
            return _observer(self._launch, values, {})
        return self._launch(*values)

    def _launch(self, *values):
        user_args = [a for a in self._args if a != "stream"]
        if len(values) != len(user_args):
            raise TypeError(f"{self._name}() takes {len(user_args)} arguments ({user_args}), got {len(values)}")
        it = iter(values)
        conv = []
        for kind in self._args:
            if kind == "stream":
                import torch
                conv.append(torch.cuda.current_stream().cuda_stream)
                continue
            v = next(it)
            if kind == "ptr":
                if not hasattr(v, "data_ptr"):
                    raise TypeError(f"{self._name}: expected a tensor for a 'ptr' argument, got {type(v).__name__}")
                if not v.is_contiguous():
                    raise ValueError(f"{self._name}: tensor argument is not contiguous (call .contiguous())")
                if v.device.type != self._device:
                    raise ValueError(f"{self._name}: tensor is on {v.device}, kernel expects {self._device}")
                v = v.data_ptr()
            conv.append(v)
        self._fn(*conv)


class _NotBuilt:
    """Stand-in returned while the harness only records what to build."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        def fail(*_a, **_k):
            raise RuntimeError(f"{self._name}.{attr} called before the kernel was built")
        return fail


class NativeLibrary:
    def __init__(self, path: str, req: BuildRequest, device: str):
        self._lib = ctypes.CDLL(path)
        for name, args in req.functions:
            setattr(self, name, _Function(getattr(self._lib, name), name, args, device))


def _load(kind: str, source: str, functions: dict, name: str, cflags, cuda_cflags):
    req = BuildRequest(kind=kind, name=name, sources=(source,), functions=_normalise(functions),
                       extra_cflags=tuple(cflags), extra_cuda_cflags=tuple(cuda_cflags))
    path = _resolve(req)
    if path is None:
        return _NotBuilt(name)
    return NativeLibrary(path, req, "cpu" if kind == "cpp" else "cuda")


def load_cpp(source: str, functions: dict[str, list[str]], *, name: str = "kernel",
             extra_cflags: list[str] = ()):
    """Compile C++ (OpenMP and SIMD intrinsics allowed; -O3 -march=native -fopenmp by default)."""
    return _load("cpp", source, functions, name, extra_cflags, ())


def load_cuda(source: str, functions: dict[str, list[str]], *, name: str = "kernel",
              extra_cuda_cflags: list[str] = ()):
    """Compile CUDA C++ with nvcc; host-side ``extern "C"`` launchers take device pointers."""
    return _load("cuda", source, functions, name, (), extra_cuda_cflags)
