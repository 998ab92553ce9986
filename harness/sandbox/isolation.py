"""Process isolation primitives shared by sandbox children and compiler processes.

Layers (each best-effort, each reported): an allow-listed environment (nothing secret is ever
inherited), new PID + mount namespaces with a private /proc (no outside process, so no other
process's environ, is visible), a new network namespace (only a downed loopback), a new process
group per job, all capabilities dropped with ``no_new_privs`` (so even a root child cannot ptrace
or read a non-dumpable parent), and rlimits on core dumps, file size and process count.
"""
from __future__ import annotations

import ctypes
import os
import resource
import subprocess
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4

# Variables a kernel build or run may legitimately need. Everything else (API keys, tokens,
# cloud credentials, proxies, the user's own variables) is dropped.
_ALLOWED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "CUDA_HOME", "CUDA_PATH",
                "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
                "LD_LIBRARY_PATH", "PYTHONPATH", "TRITON_INTERPRET", "PYTHONHASHSEED")

_libc = ctypes.CDLL(None, use_errno=True)


def scrubbed_env(extra: dict[str, str] | None = None, *, home: str = "/tmp") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _ALLOWED_ENV}
    env.update(HOME=home, TMPDIR=home, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    if extra:
        env.update(extra)
    return env


def compiler_env(workdir) -> dict[str, str]:
    return scrubbed_env(home=str(workdir))


def cut_network() -> str:
    """Enter a new network namespace; returns how ('netns', 'userns+netns') or '' if impossible."""
    if _libc.unshare(CLONE_NEWNET) == 0:
        return "netns"
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        return "userns+netns"
    return ""


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_privileges() -> bool:
    """Drop every capability (root keeps its uid, so the interpreter under /root stays readable,
    but loses ptrace, DAC override, mounts, raw sockets...); set no_new_privs. True if caps dropped."""
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    hdr = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    return _libc.capset(ctypes.byref(hdr), data) == 0


def set_limits(*, max_file_bytes: int, max_procs: int | None = 4096) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
    if max_procs is not None:
        soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        lim = max_procs if hard == resource.RLIM_INFINITY else min(max_procs, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (lim, lim))


def protect_parent() -> None:
    """Make this (trusted) process's memory and environ unreadable to children without CAP_SYS_PTRACE."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def isolate_compiler() -> None:
    """preexec_fn for compiler subprocesses: own process group, no network, no capabilities, bounded output."""
    os.setsid()
    cut_network()
    drop_privileges()
    set_limits(max_file_bytes=4 << 30, max_procs=None)


@dataclass(frozen=True)
class CompilerRun:
    ok: bool
    stdout: str
    output: str  # stdout and stderr together, or why the compiler did not run


def run_compiler(cmd: list[str], cwd, *, timeout_s: float, stdin: str | None = None,
                 isolate: bool = True) -> CompilerRun:
    """Run one compiler command on candidate code: scrubbed environment, work folder as home, and
    (``isolate``) the isolation of ``isolate_compiler``."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=compiler_env(cwd), input=stdin, capture_output=True, text=True,
                              errors="replace", timeout=timeout_s, preexec_fn=isolate_compiler if isolate else None)
    except subprocess.TimeoutExpired:
        return CompilerRun(False, "", f"{cmd[0]}: compile timed out after {timeout_s:.0f}s")
    except FileNotFoundError:
        return CompilerRun(False, "", f"{cmd[0]}: compiler not found on PATH")
    except OSError as e:
        return CompilerRun(False, "", f"cannot run {cmd[0]}: {e.strerror}")
    return CompilerRun(proc.returncode == 0, proc.stdout or "", (proc.stdout or "") + (proc.stderr or ""))
