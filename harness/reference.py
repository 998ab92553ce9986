"""Reference runs (task Model on each trial's inputs, plus baseline timing), cached on disk.

The cache key covers everything that changes the numbers: task source and sizes, seeds, device
model, thread count, torch version, precision mode and timing settings. The baseline is always
measured on the hardware at hand, never taken from a table.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch

from harness.cache import BoundedCache
from harness.compare import degenerate_reasons
from harness.config import DEFAULT_TOLERANCES, EvalConfig
from harness.feed import feeds_inputs
from harness.integrity import discard_unless_verified, seal
from harness.jobs import JobReport, JobRunner
from harness.noise import baseline_is_noisy
from harness.result import Timing
from harness.sandbox import Sandbox
from harness.tensorio import decode, flatten
from kernelbench_tasks.task import Task

# The cache section of reference runs made for one evaluation's random seeds (no one else reuses them).
RANDOM_SECTION = "random"


class ReferenceFailed(Exception):
    def __init__(self, report: JobReport, summary: str):
        super().__init__(summary)
        self.report = report


@dataclass
class ReferenceRun:
    dir: Path
    data: dict
    task: Task | None = None

    def task_job(self, timed: bool) -> dict:
        """What a candidate job needs to regenerate the trial inputs (harness.worker.inputs) and, when
        timed, to time this reference beside the kernel (harness.worker.twin)."""
        if self.task is None:
            return {}
        return {"interleave": timed, "task_path": str(self.task.path.resolve()), "overrides": self.task.overrides}

    @property
    def timing(self) -> Timing | None:
        return Timing.from_dict(self.data.get("timing"))

    @property
    def compile_timing(self) -> Timing | None:
        return Timing.from_dict(self.data.get("compile_timing"))

    @property
    def pacing(self) -> dict | None:
        """The handshake overhead and audit latency of this run, seen by the parent (harness.pacing)."""
        return self.data.get("pacing")

    @property
    def warnings(self) -> list[str]:
        return self.data.get("degenerate", [])

    def outputs(self, trial: int) -> list[torch.Tensor]:
        t = self.data["trials"][trial]
        return flatten(decode(t["outputs"], Path(t.get("dir") or self.dir)))

    @property
    def n_trials(self) -> int:
        return len(self.data["trials"])

    def added_runs(self) -> list[tuple[str, list[int]]]:
        """(folder, seeds) of the trials added from other runs (``with_trials_of``)."""
        runs: dict[str, list[int]] = {}
        for t in self.data["trials"]:
            if t.get("dir") and t["seed"] not in runs.setdefault(t["dir"], []):
                runs[t["dir"]].append(t["seed"])
        return list(runs.items())

    def with_trials_of(self, other: "ReferenceRun", seeds: list[int]) -> "ReferenceRun":
        """This run (its init, ops and timing) with ``other``'s trials of ``seeds`` appended: one
        evaluation's fixed trials plus its random-seed ones. Only in memory; each trial keeps reading
        its own folder (the child's copy is made the same way: harness.jobs.stage_job)."""
        extra = [{**t, "dir": str(other.dir)} for t in select_trials(other.data["trials"], seeds)]
        return ReferenceRun(self.dir, {**self.data, "trials": self.data["trials"] + extra}, self.task)


    @property
    def has_outputs(self) -> bool:
        return self.data.get("outputs_kept", True)

    @property
    def output_bytes(self) -> int:
        return sum(o.numel() * o.element_size() for o in self.outputs(0))


def select_trials(trials: list[dict], seeds: list[int]) -> list[dict]:
    return [t for t in trials if t.get("seed") in seeds]


def drop_outputs(run: ReferenceRun) -> None:
    """Keep only what a baseline needs: the timing and seeds, not the trials' tensors."""
    for trial in run.data["trials"]:
        for spec in flatten_specs(trial.pop("outputs", None)) + flatten_specs(trial.pop("inputs", None)):
            run.dir.joinpath(spec["file"]).unlink(missing_ok=True)
    run.data["outputs_kept"] = False


def flatten_specs(spec) -> list[dict]:
    if isinstance(spec, dict) and spec.get("t") in ("list", "tuple"):
        return [s for item in spec["items"] for s in flatten_specs(item)]
    return [spec] if isinstance(spec, dict) and spec.get("t") == "tensor" else []


_MEASUREMENT_CODE = ("worker/timing.py", "worker/reference.py", "worker/inputs.py", "trials.py", "sandbox/local.py",
                     "sandbox/forkserver.py", "pacing.py", "feed.py")


@cache
def measurement_version() -> str:
    """Hash of the code that produces reference outputs and timings: changing how we measure
    invalidates every cached baseline instead of silently mixing old numbers with new ones."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for rel in _MEASUREMENT_CODE:
        h.update((root / rel).read_bytes())
    return h.hexdigest()[:12]


def reference_key(task: Task, cfg: EvalConfig, seeds: list[int], device_name: str, timed: bool,
                  variants: tuple[str, ...] = ()) -> str:
    blob = json.dumps({"task": task.key, "seeds": seeds, "device": device_name, "threads": cfg.threads,
                       **({"variants": list(variants), "tolerances": variant_tolerances(cfg, task)} if variants else {}),
                       "harness": measurement_version(),
                       "torch": torch.__version__, "tf32": cfg.allow_tf32, "timed": timed,
                       "timing": cfg.timing.to_dict() if timed else None,
                       "compile": cfg.compile_baseline and timed}, sort_keys=True)
    return f"{task.name}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def _reference_job(task: Task, cfg: EvalConfig, device: str, seeds: list[int], **kw) -> dict:
    return {"role": "reference", "device": device, "threads": cfg.threads, "allow_tf32": cfg.allow_tf32,
            "task_path": str(task.path.resolve()), "overrides": task.overrides, "seeds": seeds,
            "model_seed": cfg.seed, **kw}


def _timeouts(cfg: EvalConfig, forwards: int) -> dict[str, float]:
    """A run with more forward passes than the fixed trials' (a pool of random seeds, each at its value
    ranges and in float64; many audited repetitions) gets proportionally more time."""
    scale = max(1.0, forwards / max(cfg.trials, 1))
    return {k: v * scale for k, v in cfg.phase_timeouts().items()}


@contextmanager
def timing_outputs(task: Task, cfg: EvalConfig, sandbox: Sandbox, runner: JobRunner, device: str,
                   seeds: list[int], files: list[Path] | None = None) -> Iterator[ReferenceRun]:
    """The reference's outputs on the inputs that timed repetitions with these seeds had: read from
    the ``files`` the parent handed them over in (harness.feed), else made again from the seeds on the
    device, as the child made them. What the audited repetitions are compared with. Each seed is used
    once, so nothing is cached; the run's folder is gone when the block ends."""
    job = _reference_job(task, cfg, device, seeds, time=False, random=True, timing_inputs=True,
                         feed_files=[str(f) for f in files or ()])
    report = runner.run(sandbox, job, _timeouts(cfg, len(seeds)))
    try:
        failure = report.failure()
        if failure:
            raise ReferenceFailed(report, f"reference Model failed on audited timing inputs: {failure[2]}")
        yield ReferenceRun(report.job_dir / "out", report.result, task)
    finally:
        runner.discard(report)


def _cached(final: Path, task: Task) -> ReferenceRun | None:
    if not discard_unless_verified(final):  # a tampered or half-written entry is re-measured
        return None
    try:
        return ReferenceRun(final, json.loads(final.joinpath("reference.json").read_text()), task)
    except (OSError, ValueError):
        return None


def variant_tolerances(cfg: EvalConfig, task: Task) -> dict:
    """The tolerance per float dtype, as the parent will judge: a value-range variant must be
    well conditioned within it (harness.trials.unusable)."""
    return {d: cfg.tolerance_for(d, task.tolerance) for d in DEFAULT_TOLERANCES}


def run_reference(task: Task, cfg: EvalConfig, sandbox: Sandbox, runner: JobRunner, cache_root: Path,
                  device: str, device_name: str, seeds: list[int], *, timed: bool = True,
                  fresh: bool = False, outputs: bool = True, reuse_noisy: bool = True,
                  variants: tuple[str, ...] = (), random: bool = False) -> ReferenceRun:
    """The cached reference run, else a new one (installed in the bounded cache). ``outputs`` False:
    only the baseline timing is wanted, so the trial tensors are not stored; a later run that needs
    them computes them and keeps the cached timing. A noisy timing is stored flagged; it is reused only
    with ``reuse_noisy`` (an evaluation, whose speedup comes from the reference timed beside the kernel).
    ``variants``: also each seed's inputs at those value ranges (harness.trials); ``random``: the seeds
    were drawn for one evaluation (so marked in the trials)."""
    store = BoundedCache(cache_root)
    final = store.section(RANDOM_SECTION if random else "ref") / reference_key(task, cfg, seeds, device_name,
                                                                               timed, variants)
    cached = None if fresh else _cached(final, task)
    reusable_timing = bool(cached and cached.timing and (reuse_noisy or not cached.data.get("noisy")))
    if cached and (reusable_timing or not timed) and (cached.has_outputs or not outputs):
        store.touch(final)
        return cached
    measure = timed and not reusable_timing
    # seeds for the timed repetitions are offered; the reference uses them when its inputs reproduce
    job = _reference_job(task, cfg, device, seeds, time=measure, timing=cfg.timing.to_dict(), seeded_timing=True,
                         feed_inputs=measure and feeds_inputs(device),
                         compile_baseline=cfg.compile_baseline and measure, random=random, variants=list(variants),
                         tolerances=variant_tolerances(cfg, task) if variants else {})
    report = runner.run(sandbox, job, _timeouts(cfg, len(seeds) * (1 + 2 * len(variants))))
    try:
        failure = report.failure()
        if failure:
            raise ReferenceFailed(report, f"reference Model failed: {failure[2]}")
        data = report.result
        run = ReferenceRun(report.job_dir / "out", data, task)
        data["degenerate"] = degenerate_reasons([run.outputs(k) for k in range(len(seeds))])
        if measure:  # how this trusted run looked from the parent's clock: the yardstick for candidates
            data["pacing"] = report.pacer.calibration(data.get("timing"))
        elif cached:
            data.update({k: cached.data.get(k) for k in ("timing", "compile_timing", "pacing", "seeded_timing")})
        data["noisy"] = bool(timed and baseline_is_noisy(data.get("timing")))
        if not outputs:
            drop_outputs(run)
        (run.dir / "reference.json").write_text(json.dumps(data))
        seal(run.dir)  # the hash of every file: what the child wrote is trusted only as sealed here
        store.install(run.dir, final, replace=True)
        return ReferenceRun(final, data, task)
    finally:
        runner.discard(report)
