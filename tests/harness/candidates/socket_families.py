"""(Static checks off) Opens a socket of every family it can name, and a socket pair."""
import socket

import torch.nn as nn

FAMILIES = {"unix": socket.AF_UNIX, "inet": socket.AF_INET, "inet6": socket.AF_INET6,
            "netlink": socket.AF_NETLINK, "packet": socket.AF_PACKET}


def _probe():
    opened = []
    for name, fam in FAMILIES.items():
        for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW, socket.SOCK_STREAM):
            try:
                socket.socket(fam, kind).close()
                opened.append(name)
                break
            except OSError:
                pass
    try:
        a, b = socket.socketpair()
        opened.append("socketpair")
    except OSError:
        pass
    return opened


class ModelNew(nn.Module):
    def forward(self, x):
        opened = _probe()
        raise RuntimeError("sockets " + ("OPENED " + " ".join(opened) if opened else "none opened"))
