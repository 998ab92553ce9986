"""The candidate's view of the world, built in each job's child before any job code runs.

The child (still privileged inside the fork server's namespaces) enters a private mount namespace
and changes root into a fresh tmpfs holding only: the system and Python files read-only, a few
device nodes, its job folder read-only with ``work/`` (scratch) and ``out/`` (results) writable,
the one candidate or task file its job names, a private ``/tmp``. No cache, no home folder, no other
job. It then pins itself to the sandbox's CPUs, becomes an unprivileged user, drops every capability
and installs the seccomp filter (``seccomp.py``: no sockets, no ptrace, no namespaces, no affinity
changes). Each layer is reported in the result; where the OS refuses the mount namespace from the
start (no privilege at all) the job runs with the remaining layers and says so.
"""
from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

from harness.sandbox import seccomp
from harness.sandbox.isolation import drop_privileges, rearm_parent_death_signal

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
_ST_TO_MS = {2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: 1024, 2048: 2048, 4096: 1 << 21}  # statvfs -> mount
SANDBOX_UID = 65534  # nobody
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf", "localtime")
_DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)


class ConfineError(OSError):
    """The view could not be completed: the job must not run half-confined."""


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise ConfineError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, dst: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(src and src.encode(), dst.encode(), fstype and fstype.encode(), flags,
                       data and data.encode()), f"mount {src} on {dst}")


def system_paths() -> list[str]:
    """Read-only folders the interpreter and its libraries live in (computed in the trusted server)."""
    project = str(Path(__file__).resolve().parents[2])
    paths = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/sys", project,
             sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parents[1])}
    paths |= {p for p in sys.path if p and os.path.isdir(p)}
    paths |= {p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.isdir(p)}
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if os.path.isdir(os.environ.get(var, "")):
            paths.add(os.environ[var])
    real = sorted({os.path.realpath(p) for p in paths if os.path.exists(p) and not os.path.islink(p)} - {"/"})
    kept: list[str] = []
    for p in real:  # drop folders already inside a kept one
        if not any(p == k or p.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(p)
    return kept


def _bind(root: str, src: str, *, writable: bool = False, dst: str | None = None) -> None:
    target = root + (dst or src)
    if os.path.isdir(src):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    _mount(src, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if writable else MS_RDONLY)
    locked = os.statvfs(src).f_flag
    flags |= sum(ms for st, ms in _ST_TO_MS.items() if locked & st)
    if src.startswith("/dev/"):
        flags &= ~MS_NODEV
    _mount(None, target, None, flags)


def _links(root: str) -> None:
    """Top-level symlinks of a merged-/usr layout (/bin -> usr/bin...)."""
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)


def _system_view(root: str, paths: list[str], *, scratch_bytes: int, proc: bool) -> None:
    """A private mount namespace whose tmpfs ``root`` holds the system and Python ``paths`` read-only, a
    few device nodes, a private ``/tmp`` and (``proc``) a /proc of the caller's PID namespace."""
    if _libc.unshare(CLONE_NEWNS) != 0:
        err = ctypes.get_errno()
        raise PermissionError(err, "no private mount namespace: " + os.strerror(err))
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m")
    _links(root)
    # The private /tmp first: system, project and venv folders that live under /tmp (a checkout there)
    # are bound on top of it, not hidden by it.
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={scratch_bytes}")
    for p in paths:
        _bind(root, p)
    for name in _ETC:
        if os.path.exists("/etc/" + name):
            _bind(root, "/etc/" + name)
    os.makedirs(root + "/dev", exist_ok=True)
    _mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID, "mode=755,size=64k")
    for name in _DEVICES + tuple(sorted(n for n in os.listdir("/dev") if n.startswith(("nvidia", "accel")))):
        if os.path.exists("/dev/" + name) and not os.path.isdir("/dev/" + name):
            _bind(root, "/dev/" + name, writable=True)
    os.makedirs(root + "/dev/shm", exist_ok=True)
    _mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={scratch_bytes}")
    if proc:
        os.makedirs(root + "/proc", exist_ok=True)
        try:
            _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except ConfineError:
            _bind(root, "/proc")


def enter_view(root: str, job_dir: str, job: dict, paths: list[str], *, scratch_bytes: int = 1 << 30) -> None:
    """Build the job's view under ``root`` (an empty folder) and change root into it. Raises
    ConfineError if the view cannot be completed; OSError(EPERM) from the first step if no mount
    namespace can be had at all."""
    _system_view(root, paths, scratch_bytes=scratch_bytes, proc=True)
    _bind(root, job_dir)
    for sub in ("work", "out"):
        _bind(root, os.path.join(job_dir, sub), writable=True)
    for key in ("candidate_path", "task_path", "artifact"):
        value = job.get(key)
        if isinstance(value, str) and os.path.isfile(value):
            _bind(root, os.path.realpath(value), dst=os.path.abspath(value))
    _check(_libc.chroot(root.encode()), "chroot")
    os.chdir(os.path.join(job_dir, "work"))


def enter_compile_view(root: str, workdir: str, paths: list[str]) -> None:
    """A compile's view: the system, Python and project folders read-only and its own build folder
    writable, nothing else (no cache, no reference outputs, no home), so a source cannot make the
    compiler read a file outside it (``.incbin``, computed includes). /proc only when the caller is its
    own PID namespace's init (it then lists the compile's processes alone)."""
    _system_view(root, paths, scratch_bytes=1 << 30, proc=os.getpid() == 1)
    _bind(root, workdir, writable=True)
    _check(_libc.chroot(root.encode()), "chroot")
    os.chdir(workdir)


def confine(job_dir: str, job: dict, root: str | None, paths: list[str], cpus: set[int] | None) -> dict:
    """Everything between fork and the job's first line; returns which layers are active."""
    active: dict = {"private_view": False}
    switch_uid = False
    if os.geteuid() == 0:  # hand the writable parts to the sandbox user (before they are mounted read-only)
        try:
            for sub in ("work", "out"):
                os.chown(os.path.join(job_dir, sub), SANDBOX_UID, SANDBOX_UID)
            os.chmod(job_dir, 0o711)
            switch_uid = True
        except OSError:
            pass  # a user namespace that maps only root: the view and seccomp still hold
    if root:
        try:
            enter_view(root, job_dir, job, paths)
            active["private_view"] = True
        except PermissionError as e:
            active["private_view"] = str(e)[:200]  # not silently: the result says why there is none
    if active["private_view"] is not True:
        os.chdir(os.path.join(job_dir, "work"))
    if cpus:
        os.sched_setaffinity(0, cpus)
        active["cpus"] = sorted(os.sched_getaffinity(0))
        if set(active["cpus"]) != set(cpus):  # enforced, not requested: read back before any job code
            raise ConfineError(0, f"CPU affinity is {active['cpus']}, not the sandbox's {sorted(cpus)}")
    if switch_uid:
        os.setgroups([])
        os.setgid(SANDBOX_UID)
        os.setuid(SANDBOX_UID)
        rearm_parent_death_signal()
    active["uid"] = os.geteuid()
    active["caps_dropped"] = drop_privileges()
    active["seccomp"] = seccomp.install()
    return active
