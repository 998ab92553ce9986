"""(Static checks off) Writes the job's result file itself at import time (the expected outputs copied
from the reference cache when it can see them, a tiny timing, no ops), says "done" and exits."""
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


def _forge():
    job = json.load(open(os.path.join(jd, "job.json")))
    out = os.path.join(jd, "out")
    os.makedirs(out, exist_ok=True)
    trials = []
    for root, _, files in os.walk("{cache}"):
        if "reference.json" in files:
            ref = json.load(open(os.path.join(root, "reference.json")))
            for k, t in enumerate(ref["trials"][: job["n_trials"]]):
                spec = t["outputs"]["items"][0]
                name = f"t{{k}}_out.bin"
                with open(os.path.join(root, spec["file"]), "rb") as src, open(os.path.join(out, name), "wb") as dst:
                    dst.write(src.read())
                trials.append({{"t": "list", "items": [dict(spec, file=name)]}})
            break
    if not trials:
        trials = [{{"t": "tensor", "file": "none.bin", "dtype": "float32", "shape": [0]}}] * job["n_trials"]
    result = {{"trials": trials, "violations": [], "ops": [], "isolation": {{}}}}
    for where in (jd, out):
        try:
            with open(os.path.join(where, "result.json"), "w") as f:
                json.dump(result, f)
        except OSError:
            pass
    os.write(_markers(), b"phase:correctness\ndone\n")  # the markers channel the worker was handed
    os._exit(0)


_forge()


class ModelNew(nn.Module):
    def forward(self, x):
        return x
