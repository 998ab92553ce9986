"""Triton inside the sandbox child: interpreter mode without a GPU, autotuning, the interpreter's
own tensor bookkeeping, and Triton errors reduced to the candidate's offending line.

Imported by the worker only; candidates cannot import it (static checks), so nothing here can be
switched off by the code it judges.
"""
from __future__ import annotations

import linecache
import os
import sys
import traceback

# Triton's interpreter stages every kernel argument through these functions (a storage copy, an
# ``aten::set_`` view onto it, a copy back). That is launch plumbing, not the candidate computing
# with PyTorch, so the op recorder ignores torch ops whose nearest Python caller is one of them.
_INTERPRETER_STAGING = ("_init_args_hst", "_to_cpu", "_restore_args_dev", "_from_cpu")


def configure(interpret: bool) -> None:
    """Call before the candidate is imported: ``@triton.jit`` reads TRITON_INTERPRET when it decorates."""
    if not interpret:
        os.environ.pop("TRITON_INTERPRET", None)
        return
    os.environ["TRITON_INTERPRET"] = "1"
    try:
        from triton.runtime.autotuner import Autotuner
    except ImportError:
        return
    # Without a GPU there is no driver to benchmark configs with: the interpreter checks
    # correctness only, so autotuning settles on the first config without timing anything.
    Autotuner.do_bench = property(lambda self: _untimed_bench)


def _untimed_bench(kernel_call, quantiles=None):
    return [0.0, 0.0, 0.0]


def bookkeeping_callers() -> frozenset[tuple[str, str]]:
    """(file, function) pairs whose own torch calls the op recorder leaves out."""
    if "triton" not in sys.modules or os.environ.get("TRITON_INTERPRET") != "1":
        return frozenset()
    from triton.runtime import interpreter

    return frozenset((interpreter.__file__, name) for name in _INTERPRETER_STAGING)


def autotune_choices(module) -> dict[str, str]:
    """Config each autotuned kernel in the candidate module settled on (reported, not judged)."""
    if module is None or "triton" not in sys.modules:
        return {}
    from triton.runtime.autotuner import Autotuner

    return {name: str(obj.best_config) for name, obj in vars(module).items()
            if isinstance(obj, Autotuner) and getattr(obj, "best_config", None) is not None}


def describe_error(exc: BaseException, candidate_path: str) -> dict | None:
    """For an error raised by Triton: {"status", "message"} naming the candidate's line, else None."""
    if "triton" not in sys.modules:
        return None
    from triton.compiler.errors import CompilationError
    from triton.errors import TritonError

    chain, e = [], exc
    while e is not None and e not in chain:
        chain.append(e)
        e = e.__cause__ or e.__context__
    if not any(isinstance(x, TritonError) for x in chain):
        return None
    root = chain[-1]
    if isinstance(root, CompilationError):
        where = _compiled_line(root, candidate_path)
        detail = root.error_message or type(root).__name__
        return {"status": "compile_error", "message": f"triton compile error{where}: {detail}"}
    frames = [f for x in chain for f in traceback.extract_tb(x.__traceback__) if f.filename == candidate_path]
    kernel_frames = [f for f in traceback.extract_tb(root.__traceback__) if f.filename == candidate_path]
    frame = (kernel_frames or frames or [None])[-1]
    where = f" at line {frame.lineno} ({frame.name}): {frame.line.strip()}" if frame else ""
    # An error raised inside triton.language is the front end rejecting the kernel (shapes, types,
    # constexpr rules): the compiler would refuse it too. Anything else failed while running.
    last = traceback.extract_tb(root.__traceback__)
    frontend = bool(last) and f"{os.sep}triton{os.sep}language{os.sep}" in last[-1].filename
    detail = str(root).strip().splitlines()[0] if str(root).strip() else ""
    return {"status": "compile_error" if frontend else "runtime_error",
            "message": f"triton {'kernel error' if frontend else 'interpreter error'}{where}: "
                       f"{type(root).__name__}{': ' + detail if detail else ''}"}


def _compiled_line(err, candidate_path: str) -> str:
    """The compiler numbers lines from the kernel's ``def``; find that def in the candidate file."""
    lineno = getattr(err.node, "lineno", None)
    if not err.src or not lineno:
        return ""
    src_lines = err.src.split("\n")
    first = src_lines[0].strip()
    lines = linecache.getlines(candidate_path)
    start = next((i for i, line in enumerate(lines, 1) if line.strip() == first), None)
    text = src_lines[lineno - 1].strip() if lineno <= len(src_lines) else ""
    if start is None:
        return f" in kernel line {lineno}: {text}"
    return f" at line {start + lineno - 1}: {text}"
