"""(Static checks off) Leaves a process behind that does all it can to survive its job: a new session,
a double fork, no parent-death signal, every catchable signal ignored. The job then ends at once."""
import ctypes
import os
import signal
import time

import torch.nn as nn


def _spawn():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            libc = ctypes.CDLL(None)
            libc.prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG: none
            libc.prctl(15, b"{comm}", 0, 0, 0)  # PR_SET_NAME
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_IGN)
            end = time.monotonic() + 60
            while time.monotonic() < end:
                time.sleep(0.05)
            os._exit(0)
        os._exit(0)
    os.wait()


class ModelNew(nn.Module):
    def forward(self, x):
        _spawn()
        raise RuntimeError("survivor spawned")
