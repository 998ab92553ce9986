"""(Static checks off) Tries to write outside its work dir: system files, the harness's own code, the
cached reference it will be judged against; and inside it (/tmp, the work dir) for contrast."""
import json
import os

import harness
import torch.nn as nn


def _try_write(folder):
    path = os.path.join(folder, "kgepa_probe.txt")
    try:
        with open(path, "w") as f:
            f.write("tampered")
        return "WRITTEN"
    except OSError as e:
        return f"denied({e.errno})"


def _targets():
    with open(os.path.join(os.getcwd(), "..", "job.json")) as f:  # the harness's job description
        ref_dir = json.load(f).get("ref_dir") or "/nonexistent"
    return {"usr": "/usr", "project": os.path.dirname(harness.__file__), "reference": ref_dir,
            "tmp": "/tmp", "work": os.getcwd()}


class ModelNew(nn.Module):
    def forward(self, x):
        report = " ".join(f"{name}={_try_write(folder)}" for name, folder in _targets().items())
        raise RuntimeError("writes: " + report)
