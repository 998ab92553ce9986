"""(Static checks off) Floods the parent: thousands of requests whose replies it never reads (the reply
pipe fills), then an endless stream of markers and a line without an end."""
import os
import time

import torch.nn as nn


def _markers():
    """The markers channel: the descriptor the worker was handed, else the FIFO by name."""
    try:
        os.fstat(3)
        return 3
    except OSError:
        return os.open(os.path.join(os.path.dirname(os.getcwd()), "markers"), os.O_WRONLY | os.O_NONBLOCK)


class ModelNew(nn.Module):
    def forward(self, x):
        fd = _markers()
        os.set_blocking(fd, True)
        os.write(fd, b"req:device\n" * 20000)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            os.write(fd, b"phase:x\n" * 1000 + b"y" * 65536)
        raise RuntimeError("flood ended")
