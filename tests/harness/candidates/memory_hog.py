"""(Static checks off) Touches {gib} GiB of memory in forward, more than the sandbox allows."""
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        hog = bytearray(b"\x01") * ({gib} << 30)  # every page written, so it is really resident
        raise RuntimeError(f"allocated {{len(hog)}} bytes")
