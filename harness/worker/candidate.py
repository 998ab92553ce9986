"""Candidate role: import the candidate (its kernels built by the parent), run ModelNew on the
reference's trial inputs, then time it.

The run reuses one set of input buffers across trials, writing each trial's fresh values into the
same memory, so a kernel that caches by pointer or shape returns stale answers. Outputs are copied
the moment forward returns; the parent compares them with the reference.
"""
from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import torch

from harness.tensorio import decode, encode, flatten
from harness.worker import cupy_support, hooks, triton_support
from harness.worker.guards import OpRecorder, overlaps, poison_device_cache, set_cpu_poison
from harness.worker.timing import measure

_SETTLE_S = 0.01


def _import_candidate(path: str):
    spec = importlib.util.spec_from_file_location("candidate_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _load(job: dict, jd: Path, markers):
    """Import the candidate, having the parent build each kernel it asks for. Returns the module, or
    None on a compile-only run (kernels built, nothing runnable)."""
    def ask(req):
        n = state["requests"]
        (jd / "out" / f"req-{n}.json").write_text(json.dumps(req.to_dict()))
        return json.loads(markers.request(str(n)))

    state = hooks.install_builds(job.get("artifacts") or {}, ask)
    triton_support.configure(bool(job.get("interpret")))
    if job.get("backend") == "cupy":
        cupy_support.install(state["resolve"], run=not job.get("compile_only"))
    markers.enter("load")
    try:
        mod = _import_candidate(job["candidate_path"])
    except Exception:
        if state["not_run"]:  # stubs may break module-level code; the kernels were still compiled
            return None
        raise
    return None if job.get("compile_only") else mod


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class _Checker:
    """Collects rule violations seen while running the candidate (reported, judged by the parent)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.violations: list[str] = []
        self.ops: set[str] = set()

    def add(self, msg: str) -> None:
        if msg not in self.violations:
            self.violations.append(msg)

    def outputs(self, out, inputs: list) -> list[torch.Tensor]:
        outs = flatten(out)
        for o in outs:
            if type(o) is not torch.Tensor:
                self.add(f"forward returned a {type(o).__name__}, not a plain torch.Tensor")
                continue
            if o.layout != torch.strided or o.device.type != self.device.type:
                self.add(f"output is a {o.layout} tensor on {o.device}, expected strided on {self.device}")
            for x in inputs:
                if isinstance(x, torch.Tensor) and overlaps(o, x):
                    self.add("output aliases an input buffer (returned the input or a view of it)")
        return [o for o in outs if type(o) is torch.Tensor]


def run_candidate(job: dict, jd: Path, markers) -> dict:
    from harness.worker.main import use_device

    mod = _load(job, jd, markers)
    if mod is None:
        return {}
    # Kernels are built: only now take a device (the parent leases it until this job ends).
    device = use_device(job.get("device") or json.loads(markers.request("device"))["device"])
    ref_dir = Path(job["ref_dir"])
    ref = json.loads((ref_dir / "reference.json").read_text())
    out_dir = jd / "out"
    out_dir.mkdir(exist_ok=True)
    model_cls = getattr(mod, "ModelNew", None)
    if model_cls is None:
        raise RuntimeError("the candidate defines no class ModelNew")
    init = decode(ref["init"], ref_dir)
    torch.manual_seed(job["model_seed"])
    model = model_cls(*init).to(device)
    check = _Checker(device)
    exempt = triton_support.bookkeeping_callers()
    trial_sets = [decode(t["inputs"], ref_dir, str(device)) for t in ref["trials"][: job["n_trials"]]]
    buffers = [x.clone() if isinstance(x, torch.Tensor) else x for x in trial_sets[0]]
    out_bytes = int(job.get("expected_out_bytes", 0))
    specs = []
    markers.enter("correctness")
    with torch.no_grad():
        for k, values in enumerate(trial_sets):
            for b, v in zip(buffers, values):
                if isinstance(b, torch.Tensor):
                    b.copy_(v)
            _sync(device)
            set_cpu_poison(True)
            poison_device_cache(out_bytes, device)
            try:
                with OpRecorder(exempt) as rec:
                    out = model(*buffers)
                _sync(device)
            finally:
                set_cpu_poison(False)
            check.ops |= rec.ops
            outs = check.outputs(out, buffers)
            snap = [o.detach().clone() for o in outs]
            for b, v in zip(buffers, values):
                if isinstance(b, torch.Tensor) and not torch.equal(b, v):
                    check.add("forward modified its input tensors in place")
            if k == 0:
                first = (outs, snap, time.monotonic())
            specs.append(encode(snap, out_dir, f"t{k}_out"))
            del out, outs
        # Work left running after forward returned would still be changing trial 0's output: look
        # again after the other trials, waiting out the rest of a short window if they were quick.
        outs0, snap0, returned_at = first
        time.sleep(max(0.0, _SETTLE_S - (time.monotonic() - returned_at)))
        _sync(device)
        if any(not torch.equal(s, o) for s, o in zip(snap0, outs0)):
            check.add("output changed after forward returned (work left running past the call)")
        del first, outs0
        result = {"trials": specs, "violations": check.violations}
        if job.get("time"):
            markers.enter("timing")
            audits = []

            def audit(i: int, set_idx: int, fn) -> None:
                with OpRecorder(exempt) as rec:
                    out = fn(*buffers)
                _sync(device)
                check.ops |= rec.ops
                outs = check.outputs(out, buffers)
                audits.append({"rep": i, "trial": set_idx,
                               "outputs": encode([o.detach().clone() for o in outs], out_dir, f"audit{i}")})

            result["timing"] = measure(model, buffers, trial_sets, device, job["timing"], markers.mark, audit)
            result["audits"] = audits
        # After timing, when there is any: its calls add ops and may settle more autotune choices.
        result["ops"] = sorted(check.ops)
        result["autotune"] = triton_support.autotune_choices(mod)
    return result
