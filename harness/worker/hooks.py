"""How a candidate's build calls resolve inside the sandbox.

``harness.native.load_*`` and ``torch.utils.cpp_extension.load_inline`` hand their request to the
parent, which compiles it outside this process (or finds it in its cache), and then load the
artifact built for that exact request.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util

from torch.utils import cpp_extension

from harness import native
from harness.build import BuildRequest


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, str):
        return (x,)
    if isinstance(x, dict):
        return tuple(x)
    return tuple(x)


def request_from_load_inline(name, cpp_sources, cuda_sources=None, functions=None, extra_cflags=None,
                             extra_cuda_cflags=None, extra_ldflags=None, extra_include_paths=None,
                             **_ignored) -> BuildRequest:
    if extra_include_paths:
        raise ValueError("load_inline: extra_include_paths is not allowed in the harness")
    return BuildRequest(kind="load_inline", name=str(name), sources=_as_tuple(cpp_sources),
                        cuda_sources=_as_tuple(cuda_sources), functions=_as_tuple(functions),
                        extra_cflags=_as_tuple(extra_cflags), extra_cuda_cflags=_as_tuple(extra_cuda_cflags))


class BuildFailed(RuntimeError):
    pass


class ObservedExtension:
    """A ``load_inline`` module whose functions the ablation run can observe (``native._observer``);
    otherwise each call passes straight through."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, attr):
        value = getattr(self._module, attr)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            if native._observer is not None:
                return native._observer(value, args, kwargs)
            return value(*args, **kwargs)
        call.__name__ = attr
        return call


def install_builds(artifacts: dict[str, str], ask) -> dict:
    """Route build calls to prebuilt ``artifacts`` or, failing that, ``ask(request) -> reply`` the
    parent to build them. A reply with ``run: false`` (compile-only machine) yields a stub.
    Returns a state dict whose ``not_run`` says whether any stub was handed out and whose
    ``resolve(request) -> artifact path | None`` serves other build routes (CuPy)."""
    state = {"not_run": False, "requests": 0}

    def artifact(req: BuildRequest) -> str | None:
        path = artifacts.get(req.key)
        if path:
            return path
        state["requests"] += 1
        reply = ask(req)
        if reply.get("error"):
            raise BuildFailed(f"build of '{req.name}' failed: {reply['error']}")
        if not reply.get("run", True):
            state["not_run"] = True
            return None
        return reply["artifact"]

    def load_inline(*args, **kwargs):
        req = request_from_load_inline(*args, **kwargs)
        path = artifact(req)
        if path is None:
            return native._NotBuilt(req.name)
        loader = importlib.machinery.ExtensionFileLoader(req.name, path)
        spec = importlib.util.spec_from_file_location(req.name, path, loader=loader)
        mod = importlib.util.module_from_spec(spec)
        loader.exec_module(mod)
        return ObservedExtension(mod)

    native._resolver = artifact
    cpp_extension.load_inline = load_inline
    state["resolve"] = artifact
    return state
