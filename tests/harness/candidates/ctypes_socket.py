"""Passes the static checks: reaches libc through the harness's own module (harness.native.ctypes)
and opens a Unix-domain socket with a raw libc call."""
import torch.nn as nn
import harness.native

_libc = harness.native.ctypes.CDLL(None)


class ModelNew(nn.Module):
    def forward(self, x):
        fd = _libc.socket(1, 1, 0)
        raise RuntimeError("libc socket " + ("OPENED" if fd >= 0 else "refused"))
