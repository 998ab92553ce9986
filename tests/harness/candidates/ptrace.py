"""(Static checks off) Traces processes: attaches to a child of its own, to the fork server (its
parent) and reads the parent's memory with process_vm_readv."""
import ctypes
import os
import time

import torch.nn as nn

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_TRACEME, PTRACE_ATTACH = 0, 16


def _probe():
    done = []
    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    if libc.ptrace(PTRACE_ATTACH, pid, 0, 0) == 0:
        done.append("attach-child")
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    if libc.ptrace(PTRACE_ATTACH, os.getppid(), 0, 0) == 0:
        done.append("attach-parent")
    buf = ctypes.create_string_buffer(16)

    class IOVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    local = IOVec(ctypes.cast(buf, ctypes.c_void_p), 16)
    remote = IOVec(0x400000, 16)
    if libc.process_vm_readv(os.getppid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) >= 0:
        done.append("vm-read")
    if ctypes.get_errno() not in (1, 38):  # EPERM, ENOSYS: refused outright (EFAULT etc.: reached the check)
        done.append(f"vm-errno-{{ctypes.get_errno()}}")
    return done


class ModelNew(nn.Module):
    def forward(self, x):
        done = _probe()
        raise RuntimeError("ptrace " + ("WORKED " + " ".join(done) if done else "refused"))
