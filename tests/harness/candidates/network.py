"""(Static checks off) Tries to connect to a server the test runs on loopback."""
import socket
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        try:
            s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
            s.sendall(b"leak")
            outcome = "CONNECTED"
        except OSError as e:
            outcome = f"blocked ({{e.__class__.__name__}})"
        raise RuntimeError("network " + outcome)
