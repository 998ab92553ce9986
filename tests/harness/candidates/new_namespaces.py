"""(Static checks off) Tries to gain capabilities in a new user namespace and mount over its view."""
import ctypes

import torch.nn as nn

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000


class ModelNew(nn.Module):
    def forward(self, x):
        got = []
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:
            got.append("userns")
        if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
            got.append("mount")
        raise RuntimeError("namespaces " + ("GAINED " + " ".join(got) if got else "refused"))
