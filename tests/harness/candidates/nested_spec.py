"""(Static checks off) Reports a trial output spec nested {depth} lists deep (valid JSON, small file):
decoding it recursively would overflow the parent's stack."""
import json
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
        spec = {{"t": "tensor", "file": "t.bin", "dtype": "float32", "shape": [0]}}
        for _ in range({depth}):
            spec = {{"t": "list", "items": [spec]}}
        job = json.load(open(os.path.join(jd, "job.json")))
        body = json.dumps({{"trials": [spec] * job["n_trials"], "violations": [], "ops": []}})
        for where in (jd, os.path.join(jd, "out")):
            try:
                with open(os.path.join(where, "result.json"), "w") as f:
                    f.write(body)
            except OSError:
                pass
        os.write(_markers(), b"done\n")  # the markers channel the worker was handed
        os._exit(0)
