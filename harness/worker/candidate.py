"""Candidate role: import the candidate (its kernels built by the parent), run ModelNew on the
reference's trial inputs, then time it on fresh inputs (harness.worker.timing).

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
from harness.worker import ablation, cupy_support, hooks, triton_support
from harness.worker import guards
from harness.worker.guards import OpRecorder, overlaps, poison_device_cache, set_cpu_poison
from harness.worker.inputs import fresh_inputs, load_trial_inputs, task_module
from harness.worker.timing import measure
from harness.worker.twin import ReferenceTwin

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


def _ablation_run(model, buffers: list, values: list, device: torch.device, out_dir: Path) -> dict:
    """Trial 0 again with the candidate's kernel outputs perturbed (harness.worker.ablation)."""
    for b, v in zip(buffers, values):
        if isinstance(b, torch.Tensor):
            b.copy_(v)
    try:
        with ablation.ablated() as observer:
            out = model(*buffers)
        _sync(device)
    except Exception as e:  # the perturbed outputs broke the forward: they mattered
        return {"calls": observer.calls, "error": f"{type(e).__name__}: {e}"[:300]}
    outs = [o.detach().clone() for o in flatten(out) if type(o) is torch.Tensor]
    return {"calls": observer.calls, "outputs": encode(outs, out_dir, "ablation")}


def run_candidate(job: dict, jd: Path, markers) -> dict:
    from harness.worker.main import use_device

    guards.watch_numpy()  # before the twin's snapshot of torch (and before any candidate code)
    # Trial inputs and the reference to time beside the candidate: ready before any candidate code runs.
    runs = job.get("ref_dir") and not job.get("compile_only")
    task = task_module(job) if runs else None
    host_sets = load_trial_inputs(job, Path(job["ref_dir"]), task) if runs else []
    twin, twin_error = None, None
    if job.get("time") and job.get("interleave"):
        try:
            twin = ReferenceTwin(job, task)
        except Exception as e:  # noqa: BLE001 - the task's own code: fall back to the separate baseline
            twin_error = [f"nothing: the reference could not be built here ({type(e).__name__}: {e})"[:200]]
    mod = _load(job, jd, markers)
    if mod is None:
        return {}
    # Kernels are built: only now take a device (the parent leases it until this job ends).
    device = use_device(job.get("device") or json.loads(markers.request("device"))["device"])
    if twin is not None:
        twin.to(device)
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
    trial_sets = [[x.to(device) if isinstance(x, torch.Tensor) else x for x in values] for values in host_sets]
    del host_sets
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
            if k == 0:
                op_counts = dict(rec.counts)
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
        if guards.numpy_conversions:
            check.add("forward converted a tensor to a NumPy array (NumPy computes outside any kernel)")
        result = {"trials": specs, "violations": check.violations, "op_counts": op_counts}
        if job.get("ablate"):
            result["ablation"] = _ablation_run(model, buffers, trial_sets[0], device, out_dir)
        if job.get("time"):
            markers.enter("timing")
            audits = []

            def audit(i: int, out, args: list) -> None:  # asked for by the parent after the repetition
                outs = check.outputs(out, args)
                audits.append({"rep": i, "outputs": encode(outs, out_dir, f"audit{i}")})

            tampering = twin.tampering() if twin is not None else (twin_error or [])
            use_twin = twin is not None and not tampering
            timed_sets = trial_sets[: job.get("timed_trials") or len(trial_sets)]  # the fixed trials' inputs
            fresh = fresh_inputs(jd / "feed" if job.get("feed_inputs") else None,
                                 task if job.get("seeded_timing") else None, device, buffers)
            result["timing"] = measure(model, buffers, timed_sets, device, job["timing"], markers.pace, audit,
                                       reference=twin if use_twin else None, fresh=fresh)
            tampering = tampering or (twin.tampering() if use_twin else [])
            if tampering:  # the in-process reference times are not the reference's own: not used
                result["timing"].pop("reference", None)
                result["twin_refused"] = tampering[:8]
            result["audits"] = audits
        # After timing, when there is any: its calls may settle more autotune choices.
        result["ops"] = sorted(check.ops)
        result["autotune"] = triton_support.autotune_choices(mod)
    return result
