"""Reference runs (task Model on each trial's inputs, plus baseline timing), cached on disk.

The cache key covers everything that changes the numbers: task source and sizes, seeds, device
model, thread count, torch version, precision mode and timing settings. The baseline is always
measured on the hardware at hand, never taken from a table.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch

from harness.compare import degenerate_reasons
from harness.config import EvalConfig
from harness.integrity import discard_unless_verified, seal
from harness.jobs import JobReport, JobRunner
from harness.result import Timing
from harness.sandbox import Sandbox
from harness.tensorio import decode, flatten
from kernelbench_tasks.task import Task


class ReferenceFailed(Exception):
    def __init__(self, report: JobReport, summary: str):
        super().__init__(summary)
        self.report = report


@dataclass
class ReferenceRun:
    dir: Path
    data: dict

    @property
    def timing(self) -> Timing | None:
        return Timing.from_dict(self.data.get("timing"))

    @property
    def compile_timing(self) -> Timing | None:
        return Timing.from_dict(self.data.get("compile_timing"))

    @property
    def warnings(self) -> list[str]:
        return self.data.get("degenerate", [])

    def outputs(self, trial: int) -> list[torch.Tensor]:
        return flatten(decode(self.data["trials"][trial]["outputs"], self.dir))

    @property
    def output_bytes(self) -> int:
        return sum(o.numel() * o.element_size() for o in self.outputs(0))


_MEASUREMENT_CODE = ("worker/timing.py", "worker/reference.py", "sandbox/local.py", "sandbox/forkserver.py")


@cache
def measurement_version() -> str:
    """Hash of the code that produces reference outputs and timings: changing how we measure
    invalidates every cached baseline instead of silently mixing old numbers with new ones."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for rel in _MEASUREMENT_CODE:
        h.update((root / rel).read_bytes())
    return h.hexdigest()[:12]


def reference_key(task: Task, cfg: EvalConfig, seeds: list[int], device_name: str, timed: bool) -> str:
    blob = json.dumps({"task": task.key, "seeds": seeds, "device": device_name, "threads": cfg.threads,
                       "harness": measurement_version(),
                       "torch": torch.__version__, "tf32": cfg.allow_tf32, "timed": timed,
                       "timing": cfg.timing.to_dict() if timed else None,
                       "compile": cfg.compile_baseline and timed}, sort_keys=True)
    return f"{task.name}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def run_reference(task: Task, cfg: EvalConfig, sandbox: Sandbox, runner: JobRunner, cache_root: Path,
                  device: str, device_name: str, seeds: list[int], *, timed: bool = True,
                  fresh: bool = False) -> ReferenceRun:
    final = cache_root / "ref" / reference_key(task, cfg, seeds, device_name, timed)
    if not fresh and discard_unless_verified(final):  # a tampered or half-written entry is re-measured
        return ReferenceRun(final, json.loads(final.joinpath("reference.json").read_text()))
    job = {"role": "reference", "device": device, "threads": cfg.threads, "allow_tf32": cfg.allow_tf32,
           "task_path": str(task.path.resolve()), "overrides": task.overrides, "seeds": seeds,
           "model_seed": cfg.seed, "time": timed, "timing": cfg.timing.to_dict(),
           "compile_baseline": cfg.compile_baseline}
    report = runner.run(sandbox, job, cfg.phase_timeouts())
    failure = report.failure()
    if failure:
        runner.discard(report)
        raise ReferenceFailed(report, f"reference Model failed: {failure[2]}")
    data = report.result
    run = ReferenceRun(report.job_dir / "out", data)
    data["degenerate"] = degenerate_reasons([run.outputs(k) for k in range(len(seeds))])
    (run.dir / "reference.json").write_text(json.dumps(data))
    seal(run.dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)
    try:
        os.replace(run.dir, final)
    except OSError:  # another worker cached the same reference first: use theirs
        pass
    runner.discard(report)
    return ReferenceRun(final, data)
