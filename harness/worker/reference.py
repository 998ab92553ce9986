"""Reference role: generate each trial's inputs, run the task's Model on copies, time the baseline."""
from __future__ import annotations

from pathlib import Path

import torch

from harness.tensorio import encode, flatten
from harness.worker.guards import OpRecorder
from harness.worker.inputs import generate, record
from harness.worker.timing import measure


def run_reference(job: dict, jd: Path, device: torch.device, markers) -> dict:
    from kernelbench_tasks.task import exec_task_module

    out_dir = jd / "out"
    out_dir.mkdir(exist_ok=True)
    markers.enter("load")
    path = Path(job["task_path"])
    mod = exec_task_module(path.read_text(), path, job.get("overrides") or {})
    init = mod.get_init_inputs()
    init_spec = encode(list(init), out_dir, "init")
    torch.manual_seed(job["model_seed"])
    model = mod.Model(*init).to(device)
    markers.enter("reference")
    trials, host_sets, ops = [], [], set()
    with torch.no_grad():
        for k, seed in enumerate(job["seeds"]):
            inputs = generate(mod, seed)
            stored = record(mod, seed, inputs, out_dir, f"t{k}_in")
            dev_inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in inputs]
            host_sets.append(dev_inputs)
            with OpRecorder() as rec:
                out = model(*[x.clone() if isinstance(x, torch.Tensor) else x for x in dev_inputs])
            ops |= rec.ops
            if k == 0:  # one forward's ops, counted: what a kernelbench-rules candidate must replace some of
                op_counts = dict(rec.counts)
            outs = [o.detach() for o in flatten(out)]
            trials.append({"seed": seed, **stored, "outputs": encode(outs, out_dir, f"t{k}_out")})
        result = {"init": init_spec, "trials": trials, "ops": sorted(ops), "op_counts": op_counts}
        if job.get("time"):
            markers.enter("timing")
            buffers = [x.clone() if isinstance(x, torch.Tensor) else x for x in host_sets[0]]
            # Paced and audited like a candidate: the parent calibrates its checks on this trusted run.
            result["timing"] = measure(model, buffers, host_sets, device, job["timing"], markers.pace,
                                       lambda i, _, out: encode(flatten(out), jd / "work", f"audit{i}"))
            if job.get("compile_baseline"):
                markers.enter("compile_baseline")
                compiled = torch.compile(model)
                result["compile_timing"] = measure(compiled, buffers, host_sets, device, job["timing"])
    return result
