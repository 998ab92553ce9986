"""(Static checks off) Writes a result file of about 60 MB (one huge list) and exits."""
import os

import torch.nn as nn

jd = os.path.dirname(os.getcwd())


def _markers():
    """The markers channel: the descriptor the worker was handed, else the FIFO by name."""
    try:
        os.fstat(3)
        return 3
    except OSError:
        return os.open(os.path.join(os.path.dirname(os.getcwd()), "markers"), os.O_WRONLY | os.O_NONBLOCK)


class ModelNew(nn.Module):
    def forward(self, x):
        body = '{"trials": [' + ",".join(["0"] * 30_000_000) + "]}"
        for where in (jd, os.path.join(jd, "out")):
            try:
                with open(os.path.join(where, "result.json"), "w") as f:
                    f.write(body)
            except OSError:
                pass
        os.write(_markers(), b"done\n")  # the markers channel the worker was handed
        os._exit(0)
