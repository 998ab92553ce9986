"""Process isolation primitives shared by sandbox children and compiler processes.

Layers (each best-effort, each reported): an allow-listed environment (nothing secret is ever
inherited), new PID + mount namespaces with a private /proc (no outside process, so no other
process's environ, is visible), a new network namespace (only a downed loopback), a new process
group per job, all capabilities dropped with ``no_new_privs`` (so even a root child cannot ptrace
or read a non-dumpable parent), and rlimits on core dumps, file size and process count.
"""
from __future__ import annotations

import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_SET_PDEATHSIG = 1

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


def trusted_path() -> str:
    """The fixed PATH compilers are looked up in and run with: system folders and the CUDA toolkit,
    never the caller's PATH (a folder on it could hold a planted ``g++``)."""
    cuda = [os.path.join(os.environ[v], "bin") for v in ("CUDA_HOME", "CUDA_PATH") if os.environ.get(v)]
    return os.pathsep.join([*cuda, "/usr/local/cuda/bin", "/usr/local/bin", "/usr/bin", "/bin"])


@functools.cache
def tool(name: str) -> str | None:
    """Absolute path of a compiler (resolved once, on the fixed PATH), or None if it is not installed."""
    if os.path.isabs(name):
        return name
    return shutil.which(name, path=trusted_path())


def compiler_env(workdir) -> dict[str, str]:
    return scrubbed_env({"PATH": trusted_path()}, home=str(workdir))


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
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
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
    """Run one compiler command on candidate code: the compiler by absolute path, scrubbed environment
    with a fixed PATH, work folder as home, and (``isolate``) the isolation of ``isolate_compiler``.
    The compile's whole process group is killed when it ends, so nothing it started outlives it."""
    exe = tool(cmd[0])
    if exe is None:
        return CompilerRun(False, "", f"{cmd[0]}: compiler not found on PATH")
    # Files, not pipes: a process the compile leaves behind holding a pipe open would keep us waiting.
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        fin.write((stdin or "").encode())
        fin.seek(0)
        try:
            proc = subprocess.Popen([exe, *cmd[1:]], cwd=cwd, env=compiler_env(cwd), stdin=fin, stdout=fout,
                                    stderr=ferr, preexec_fn=isolate_compiler if isolate else None,
                                    start_new_session=not isolate)
        except OSError as e:
            return CompilerRun(False, "", f"cannot run {cmd[0]}: {e.strerror}")
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return CompilerRun(False, "", f"{cmd[0]}: compile timed out after {timeout_s:.0f}s")
        finally:
            _kill_group(proc)
        out, err = (_read(f) for f in (fout, ferr))
    return CompilerRun(proc.returncode == 0, out, out + err)


def _read(f, limit: int = 16 << 20) -> str:
    f.seek(0)
    return f.read(limit).decode(errors="replace")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.kill()
    proc.wait()
