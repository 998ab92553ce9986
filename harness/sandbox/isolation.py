"""Process isolation primitives shared by sandbox children and compiler processes.

Layers (each best-effort, each reported): an allow-listed environment (nothing secret is ever
inherited), new PID + mount namespaces with a private /proc (no outside process, so no other
process's environ, is visible), a new network namespace (only a downed loopback), a new process
group per job, all capabilities dropped with ``no_new_privs`` (so even a root child cannot ptrace
or read a non-dumpable parent), and rlimits on core dumps, file size and process count.
"""
from __future__ import annotations

import atexit
import ctypes
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_SET_PDEATHSIG = 1

# Variables a kernel build or run may legitimately need. Everything else (API keys, tokens,
# cloud credentials, proxies, the user's own variables) is dropped.
_ALLOWED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "CUDA_HOME", "CUDA_PATH",
                "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
                "LD_LIBRARY_PATH", "PYTHONPATH", "TRITON_INTERPRET", "PYTHONHASHSEED")

_libc = ctypes.CDLL(None, use_errno=True)
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


def own_pid_namespace() -> bool | str:
    """Move what runs next into a new PID namespace, as its init: when it exits, the kernel kills every
    process left in the namespace (double-forked, in a new session, anything). The caller forks; the
    child returns True and goes on; the parent stays behind, waits and exits as the child did, so
    whoever watches it sees the job's own exit code or signal. Returns why not where the OS refuses
    (the caller then goes on alone, unnamespaced)."""
    if _libc.unshare(CLONE_NEWPID) != 0:
        return "no PID namespace per job: " + os.strerror(ctypes.get_errno())
    pid = os.fork()
    if pid == 0:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the waiting parent killed: so is the job
        return True
    code = 70
    try:  # never returns: this process must not go on as the caller
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig != signal.SIGKILL:
                signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else code
    finally:
        os._exit(code)


def rearm_parent_death_signal() -> None:
    """Die with the parent. Set again after a uid change, which clears it."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


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
    """preexec_fn for compiler subprocesses: own process group, no network, and a new PID namespace for
    what it starts. ``compile_reaper.py``, exec'd next, builds the private view and drops capabilities
    (in a fresh single-threaded process, not in this fork of a possibly threaded parent)."""
    os.setsid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    cut_network()  # as an unprivileged user this enters a user namespace, where the next step is allowed
    _libc.unshare(CLONE_NEWPID)


@functools.cache
def _compile_view() -> tuple[str, str]:
    """(empty folder the compile view is built on, the read-only folders it holds), fixed once by this
    trusted process before any candidate source is compiled."""
    from harness.sandbox.confine import system_paths

    root, creator = tempfile.mkdtemp(prefix="kgepa-cview-"), os.getpid()
    # one per process that compiles: removed when it exits (not by a forked child exiting)
    atexit.register(lambda: os.getpid() == creator and shutil.rmtree(root, ignore_errors=True))
    return root, json.dumps(system_paths())


@functools.cache
def compile_isolation() -> dict:
    """Which layers compiles get on this machine: ``compile_pid_namespace`` and ``compile_private_view``,
    each True or why not (recorded in every result's isolation info)."""
    with tempfile.TemporaryDirectory(prefix="kgepa-probe-") as workdir, \
            tempfile.NamedTemporaryFile(prefix="kgepa-probe-") as outside:
        probe = run_compiler([sys.executable, "-I", "-S", "-c",
                              f"import os; print(os.getpid(), os.path.exists({outside.name!r}))"], workdir, timeout_s=60)
    words = probe.stdout.split()
    why = (probe.output.strip().splitlines() or ["the probe did not run"])[-1][:200]
    return {"compile_pid_namespace": True if words[:1] == ["1"] else "no PID namespace per compile: " + why,
            "compile_private_view": True if words[1:2] == ["False"] else "no private view per compile: " + why}


@dataclass(frozen=True)
class CompilerRun:
    ok: bool
    stdout: str
    output: str  # stdout and stderr together, or why the compiler did not run


def run_compiler(cmd: list[str], cwd, *, timeout_s: float, stdin: str | None = None,
                 isolate: bool = True, ro_paths: tuple = ()) -> CompilerRun:
    """Run one compiler command on candidate code: the compiler by absolute path, scrubbed environment
    with a fixed PATH, work folder as home, and (``isolate``) the isolation of ``isolate_compiler`` and
    ``compile_reaper.py``: a PID namespace killed as a whole when the compiler exits, and a private view
    of the system folders, the compiler's own install folder, ``ro_paths`` (a toolchain's headers) and
    ``cwd``. The compile's whole process group is killed when it ends, so nothing it started outlives it."""
    exe = tool(cmd[0])
    if exe is None:
        return CompilerRun(False, "", f"{cmd[0]}: compiler not found on PATH")
    argv = [exe, *cmd[1:]]
    if isolate:
        view_root, paths = _compile_view()
        own = [os.path.dirname(os.path.dirname(os.path.realpath(exe))), *map(str, ro_paths)]
        paths = json.dumps(json.loads(paths) + [p for p in own if os.path.isdir(p) and p != "/"])
        reaper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compile_reaper.py")
        argv = [sys.executable, "-I", "-S", reaper, _PROJECT_ROOT, view_root, paths, os.path.abspath(cwd), *argv]
    # Files, not pipes: a process the compile leaves behind holding a pipe open would keep us waiting.
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        fin.write((stdin or "").encode())
        fin.seek(0)
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=compiler_env(cwd), stdin=fin, stdout=fout,
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
