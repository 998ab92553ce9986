"""A small seccomp filter for sandbox children: no sockets of any family, no tracing, no namespaces.

Built by hand as classic BPF and installed with prctl (no library needed). Refused calls fail with
EPERM rather than killing the process, so the candidate gets an ordinary error and a verdict. Calls
of a foreign ABI (32-bit or x32 entry on x86-64) are refused outright: their numbers differ.
``sched_setaffinity`` is refused too, so the CPU set the sandbox pinned a job to is the one it keeps.
"""
from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# Syscall numbers per architecture.
_SYSCALLS = {
    "x86_64": dict(socket=41, connect=42, accept=43, bind=49, listen=50, socketpair=53, accept4=288,
                   ptrace=101, process_vm_readv=310, process_vm_writev=311, kcmp=312, pidfd_getfd=438,
                   unshare=272, setns=308, mount=165, umount2=166, pivot_root=155, chroot=161,
                   move_mount=429, open_tree=428, fsopen=430, fsmount=432, mount_setattr=442,
                   io_uring_setup=425, io_uring_enter=426, io_uring_register=427, bpf=321,
                   perf_event_open=298, userfaultfd=323, keyctl=250, add_key=248, request_key=249,
                   sched_setaffinity=203, clone3=435, personality=135),
    "aarch64": dict(socket=198, connect=203, accept=202, bind=200, listen=201, socketpair=199, accept4=242,
                    ptrace=117, process_vm_readv=270, process_vm_writev=271, kcmp=272, pidfd_getfd=438,
                    unshare=97, setns=268, mount=40, umount2=39, pivot_root=41, chroot=51,
                    move_mount=429, open_tree=428, fsopen=430, fsmount=432, mount_setattr=442,
                    io_uring_setup=425, io_uring_enter=426, io_uring_register=427, bpf=280,
                    perf_event_open=241, userfaultfd=282, keyctl=219, add_key=217, request_key=218,
                    sched_setaffinity=122, clone3=435, personality=92),
}
# clone3 passes its flags in memory a filter cannot read: answer ENOSYS so libc falls back to clone,
# whose flags (first argument) are checked for new namespaces.
_CLONE_NR = {"x86_64": 56, "aarch64": 220}
_NS_FLAGS = 0x10000000 | 0x20000000 | 0x40000000 | 0x00020000 | 0x04000000 | 0x08000000 | 0x02000000 | 0x00000080

_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
_RET_ALLOW, _RET_ERRNO, _RET_KILL = 0x7FFF0000, 0x00050000, 0x80000000


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


def refused_syscalls() -> list[str]:
    return sorted(_SYSCALLS.get(platform.machine(), {}))


def _program(arch: str) -> list[tuple[int, int, int, int]]:
    nrs = _SYSCALLS[arch]
    deny = [nr for name, nr in nrs.items() if name != "clone3"]
    prog = [(_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
            (_JEQ_K, 1, 0, _AUDIT_ARCH[arch]),
            (_RET_K, 0, 0, _RET_KILL),
            (_LD_W_ABS, 0, 0, 0)]  # seccomp_data.nr
    if arch == "x86_64":
        prog += [(_JGE_K, 0, 1, 0x40000000), (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM)]  # x32 ABI
    prog.append((_JEQ_K, 0, 1, nrs["clone3"]))
    prog.append((_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS))
    prog.append((_JEQ_K, 0, 4, _CLONE_NR[arch]))
    prog.append((_LD_W_ABS, 0, 0, 16))  # args[0], low 32 bits: the clone flags
    prog.append((_JSET_K, 0, 1, _NS_FLAGS))
    prog.append((_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    for i, nr in enumerate(deny):
        prog.append((_JEQ_K, len(deny) - i, 0, nr))
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    prog.append((_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    return prog


def install() -> bool:
    """Install the filter on this thread and its future children (no_new_privs must be set). True if active."""
    arch = platform.machine()
    if arch not in _SYSCALLS:
        return False
    prog = _program(arch)
    arr = (_Filter * len(prog))(*[_Filter(c, jt, jf, k) for c, jt, jf, k in prog])
    fprog = _Prog(len(prog), arr)
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0

