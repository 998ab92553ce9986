"""(Static checks off) Lists the processes it can see (to signal, trace or read them): in a PID
namespace of its own only the job itself, as pid 1."""
import os

import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        raise RuntimeError(f"pids {pids[:20]} me {os.getpid()}")
