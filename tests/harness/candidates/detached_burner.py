"""(Static checks off) Double-forks a detached process in a new session that burns CPU (for at most
60 s) after its job ends, slowing whatever the harness measures next."""
import ctypes
import os
import time

import torch.nn as nn


def _spawn():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, b"{comm}", 0, 0, 0)  # PR_SET_NAME
            end = time.monotonic() + 60
            while time.monotonic() < end:
                pass
            os._exit(0)
        os._exit(0)
    os.wait()


class ModelNew(nn.Module):
    def forward(self, x):
        _spawn()
        raise RuntimeError("burner spawned")
