"""What a built kernel links against: PyTorch's kernels below the dispatcher are refused.

The op recorder sees every call that goes through PyTorch's dispatcher (``torch::relu``,
``at::_ops::relu::call``). A kernel library that calls ``at::native::relu``, ``at::cpu::relu`` or
``at::cuda::relu`` directly runs PyTorch's own implementation where no recorder can see it, so the
work would count as the candidate's. The built artifact's undefined symbols say what it calls,
whatever the source text looked like (macros, token pasting, declarations written by hand).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

# Namespaces holding PyTorch's per-backend kernels and their direct entry points.
_BELOW_DISPATCHER = re.compile(
    r"^at::(native|cpu|meta|mps|mkldnn|compositeexplicitautograd\w*|compositeimplicitautograd\w*)::")
# at::cuda also holds stream, device and handle utilities; only its op entry points are kernels.
_AT_CUDA = re.compile(r"^at::cuda::(\w+)\(")


@cache
def _aten_op_names() -> frozenset[str]:
    import torch

    return frozenset(n.split("::", 1)[1].split(".")[0] for n in torch._C._dispatch_get_all_op_names()
                     if n.startswith("aten::"))


def undefined_symbols(artifact: str) -> list[str] | None:
    """Demangled undefined dynamic symbols of a shared object, or None when nm is unavailable."""
    nm = shutil.which("nm")
    if not nm:
        return None
    run = subprocess.run([nm, "-D", "-C", "--undefined-only", artifact], capture_output=True, text=True,
                         timeout=60)
    if run.returncode != 0:
        return None
    return [line.split(None, 1)[-1].strip() for line in run.stdout.splitlines() if line.strip()]


def below_dispatcher(symbols: list[str]) -> list[str]:
    """The symbols that call PyTorch kernels without going through the dispatcher."""
    out = []
    for s in symbols:
        m = _AT_CUDA.match(s)
        if _BELOW_DISPATCHER.match(s) or (m and m.group(1) in _aten_op_names()):
            out.append(s)
    return out


def check_artifact(artifact: str) -> str | None:
    """Why a built kernel library may not be loaded, or None."""
    symbols = undefined_symbols(artifact)
    if symbols is None:
        return None
    bad = below_dispatcher(symbols)
    if bad:
        return (f"the kernel calls PyTorch's own kernels below the dispatcher, where the op record cannot see "
                f"them: {', '.join(bad[:3])}")
    return None
