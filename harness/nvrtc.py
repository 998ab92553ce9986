"""NVRTC, the runtime CUDA compiler CuPy uses, driven through ctypes: source -> cubin.

NVRTC is a plain library (no GPU, no driver needed), so CuPy candidates can be compile-checked on
any machine that has it (the ``nvidia-cuda-nvrtc`` wheel or a CUDA toolkit). The Builder runs this
file as a script in an isolated child, like any other compiler, so the candidate's ``#include``s
are resolved outside every trusted process. Standard library only: it must start fast.
"""
from __future__ import annotations

import ctypes
import glob
import os
import sys
from functools import cache

_LIB_NAMES = ("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12")


def _candidate_paths() -> list[str]:
    paths = list(_LIB_NAMES)
    roots = [os.environ.get("CUDA_HOME", ""), os.environ.get("CUDA_PATH", ""), "/usr/local/cuda"]
    paths += [os.path.join(r, "lib64", n) for r in roots if r for n in _LIB_NAMES]
    for site in sys.path:  # pip wheels: nvidia/cu13/lib (CUDA 13), nvidia/cuda_nvrtc/lib (CUDA 12)
        paths += sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib", "libnvrtc.so*")))
    return [p for p in paths if "builtins" not in p and "alt" not in os.path.basename(p)]


@cache
def load_library() -> ctypes.CDLL | None:
    for path in _candidate_paths():
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def available() -> bool:
    return load_library() is not None


def compile_cubin(source: str, arch: str, options: list[str], name: str = "kernel.cu") -> tuple[bool, str, bytes]:
    """(ok, compiler log, cubin) for ``source`` compiled for ``arch`` (e.g. sm_90)."""
    lib = load_library()
    if lib is None:
        return False, "nvrtc: library not found (pip install nvidia-cuda-nvrtc, or a CUDA toolkit)", b""
    lib.nvrtcGetErrorString.restype = ctypes.c_char_p
    prog = ctypes.c_void_p()
    rc = lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None)
    if rc:
        return False, f"nvrtc: {lib.nvrtcGetErrorString(rc).decode()}", b""
    try:
        opts = [f"-arch={arch}", *options]
        argv = (ctypes.c_char_p * len(opts))(*[o.encode() for o in opts])
        rc = lib.nvrtcCompileProgram(prog, len(opts), argv)
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        buf = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetProgramLog(prog, buf)
        log = buf.value.decode(errors="replace")
        if rc:
            return False, log or f"nvrtc: {lib.nvrtcGetErrorString(rc).decode()}", b""
        lib.nvrtcGetCUBINSize(prog, ctypes.byref(size))
        cubin = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetCUBIN(prog, cubin)
        return True, log, cubin.raw
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


def main(argv: list[str]) -> int:
    """``nvrtc.py SOURCE OUT_CUBIN ARCH [OPTION...]``: the Builder's compiler command."""
    src, out, arch, *options = argv
    with open(src) as f:
        ok, log, cubin = compile_cubin(f.read(), arch, options, os.path.basename(src))
    sys.stdout.write(log)
    if ok:
        with open(out, "wb") as f:
            f.write(cubin)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
