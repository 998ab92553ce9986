"""CuPy inside the sandbox child: ``RawKernel``/``RawModule`` sources are compiled by the harness
(NVRTC, outside this process, cached) and the candidate's CuPy loads the resulting cubin.

On a compile-only run (no GPU or no CuPy) a stand-in ``cupy`` module records the sources so they
are still compiled, and hands out stubs: nothing runs, and the verdict says ``compiled_only``.
"""
from __future__ import annotations

import re
import sys
import types
from typing import Callable

from harness.build import BuildRequest
from harness.native import _NotBuilt

_DEFAULTS = {"backend": "nvrtc", "translate_cucomplex": False, "jitify": False, "enable_cooperative_groups": False}


def install(resolve: Callable[[BuildRequest], str | None], *, run: bool) -> None:
    """Route the candidate's RawKernel/RawModule through ``resolve`` (the parent's build)."""
    if run:
        import cupy as module
        loader = module.RawModule
    else:
        module, loader = types.ModuleType("cupy"), None
        module.__getattr__ = lambda attr: _NotBuilt(f"cupy.{attr}")
        sys.modules["cupy"] = module

    def build(code, options, name: str):
        if not isinstance(code, str):
            raise TypeError("cupy: kernel code must be a string")
        name = name if re.fullmatch(r"[A-Za-z_]\w{0,63}", name) else "module"
        path = resolve(BuildRequest(kind="nvrtc", name=name, sources=(code,),
                                    extra_cuda_cflags=tuple(map(str, options or ()))))
        return None if path is None or loader is None else loader(path=path)

    def raw_kernel(code, name, options=(), **kwargs):
        _refuse_options(kwargs)
        mod = build(code, options, str(name))
        return _NotBuilt(str(name)) if mod is None else mod.get_function(name)

    def raw_module(*, code=None, path=None, options=(), name_expressions=None, **kwargs):
        _refuse_options(kwargs)
        if code is None or path is not None or name_expressions:
            raise ValueError("cupy.RawModule: the harness compiles RawModule(code=..., options=...) with "
                             "extern \"C\" kernels; path= and name_expressions= are not supported")
        mod = build(code, options, "module")
        return _NotBuilt("module") if mod is None else mod

    module.RawKernel, module.RawModule = raw_kernel, raw_module


def _refuse_options(kwargs: dict) -> None:
    for key, value in kwargs.items():
        if key not in _DEFAULTS or value != _DEFAULTS[key]:
            raise ValueError(f"cupy: option {key}={value!r} is not supported by the harness "
                             f"(supported: code, name, options)")
