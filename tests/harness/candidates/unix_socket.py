"""(Static checks off) Connects to Unix-domain sockets: the Docker engine's and one the test listens on."""
import socket

import torch.nn as nn


def _try(path):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(path)
        s.sendall(b"GET /version HTTP/1.0\r\n\r\n")
        return "CONNECTED"
    except OSError as e:
        return f"blocked({{e.errno}})"


class ModelNew(nn.Module):
    def forward(self, x):
        raise RuntimeError(" ".join(f"{{p}}={{_try(p)}}" for p in ("/var/run/docker.sock", "{sock_path}")))
