"""Reference role: generate each trial's inputs, run the task's Model on copies, time the baseline.

With ``variants`` (harness.trials), each seed's inputs are also moved to other value ranges; a variant
becomes a trial only where the Model's outputs there make a fair one, else it is listed as skipped."""
from __future__ import annotations

from pathlib import Path

import torch

from harness.tensorio import encode, flatten
from harness.worker.guards import OpRecorder
from harness.trials import has_float_input, unusable
from harness.feed import map_inputs
from harness.worker.inputs import fresh_inputs, generate, record, reproducible_on, task_module
from harness.worker.timing import measure


def run_reference(job: dict, jd: Path, device: torch.device, markers) -> dict:
    out_dir = jd / "out"
    out_dir.mkdir(exist_ok=True)
    markers.enter("load")
    mod = task_module(job)
    init = mod.get_init_inputs()
    init_spec = encode(list(init), out_dir, "init")
    torch.manual_seed(job["model_seed"])
    model = mod.Model(*init).to(device)
    markers.enter("reference")
    trials, host_sets, ops = [], [], set()
    with torch.no_grad():
        for k, seed in enumerate(job["seeds"]):
            if job.get("feed_files"):  # audited timed repetitions' inputs, as the parent handed them over
                inputs, stored = map_inputs(Path(job["feed_files"][k])), {}
            elif job.get("timing_inputs"):  # the seeds of audited timed repetitions, made where the child made them
                inputs, stored = generate(mod, seed, device=device), {}
            else:
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
            trials.append({"seed": seed, **stored, "outputs": encode(outs, out_dir, f"t{k}_out"),
                           **({"random": True} if job.get("random") else {})})
        skipped = []
        for k, seed in enumerate(job["seeds"]):
            for variant in job.get("variants") or ():
                why, trial = _variant_trial(mod, model, init, job, seed, variant, device, out_dir, f"t{k}_{variant}")
                if why:
                    skipped.append({"seed": seed, "variant": variant, "why": why})
                else:
                    trials.append(trial)
        result = {"init": init_spec, "trials": trials, "ops": sorted(ops), "op_counts": op_counts,
                  "skipped_variants": skipped}
        if job.get("time"):
            markers.enter("timing")
            buffers = [x.clone() if isinstance(x, torch.Tensor) else x for x in host_sets[0]]
            result["seeded_timing"] = reproducible_on(mod, job["seeds"][0], device)
            fresh = fresh_inputs(jd / "feed" if job.get("feed_inputs") else None,
                                 mod if result["seeded_timing"] else None, device, buffers)
            # Paced and audited like a candidate: the parent calibrates its checks on this trusted run.
            result["timing"] = measure(model, buffers, host_sets, device, job["timing"], markers.pace,
                                       lambda i, out, args: encode(flatten(out), jd / "work", f"audit{i}"), fresh=fresh)
            if job.get("compile_baseline"):
                markers.enter("compile_baseline")
                compiled = torch.compile(model)
                result["compile_timing"] = measure(compiled, buffers, host_sets, device, job["timing"])
    return result


def _variant_trial(mod, model, init, job: dict, seed: int, variant: str, device, out_dir: Path, prefix: str):
    """(why not, None) or (None, the trial) for ``seed``'s inputs moved to ``variant``'s value range."""
    if not has_float_input(generate(mod, seed)):
        return "no floating-point input", None
    inputs = generate(mod, seed, variant)
    with torch.no_grad():
        outs = [o.detach() for o in flatten(model(*[x.to(device) if isinstance(x, torch.Tensor) else x
                                                      for x in inputs]))]
        try:  # the same Model in float64, on a copy: how well conditioned the op is at this range
            torch.manual_seed(job["model_seed"])
            twin = mod.Model(*init).to(device).double()
            exact = [o.detach() for o in flatten(twin(*[x.to(device).double() if isinstance(x, torch.Tensor)
                                                        and x.is_floating_point() else x for x in inputs]))]
        except Exception:  # noqa: BLE001 - an op without float64 support: the variant is not checked, so not used
            exact = []
    why = unusable(outs, exact, job.get("tolerances") or {})
    if why:
        return why, None
    stored = record(mod, seed, inputs, out_dir, prefix + "_in", variant)
    return None, {"seed": seed, "variant": variant, "random": bool(job.get("random")), **stored,
                  "outputs": encode(outs, out_dir, prefix + "_out")}
