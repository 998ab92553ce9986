"""``kernelgepa eval --backend npu``: NPUEval-format tasks on the host AIE emulation.

Solutions are ``canonical`` (each task's own canonical solution) or a folder holding
``<kernel_name>.cc`` files with the whole kernel source. A missing solution counts as a failure.
The summary reports the pass rate and the mean vector utilisation over *all* tasks with failures
counted as 0 (NPUEval's convention), labelled as the emulation's estimate.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from harness.executor import EvalRequest, Executor
from harness.metrics import summarize_npu
from harness.result import EvalResult, Status
from npueval_tasks.task import NpuTask, TaskFormatError


def check_solutions(solutions: str) -> None:
    if solutions != "canonical" and not Path(solutions).is_dir():
        raise TaskFormatError(f"--solutions: expected 'canonical' or a folder of <kernel_name>.cc files: {solutions}")


def _solution_file(task: NpuTask, solutions: str, scratch: Path) -> Path | None:
    if solutions == "canonical":
        path = scratch / f"{task.name}.cc"
        path.write_text(task.canonical_source)
        return path
    path = Path(solutions) / f"{task.name}.cc"
    return path if path.is_file() else None


def npu_evaluator(cache_dir: Path):
    """The host-emulation evaluator with this machine's AIE toolchain (if configured); builds cached."""
    from harness.build import Builder
    from harness.npu_eval import NpuEmulationEvaluator

    return NpuEmulationEvaluator(Builder(cache_dir / "npu-build"))


def run_npu_eval(tasks: list[NpuTask], solutions: str, executor: Executor, progress=None) -> tuple[list[EvalResult], dict]:
    """Evaluate every task's solution on the executor (its workers and sandboxes, as for the search);
    returns the results in task order and NPUEval's summary."""
    results: dict[str, EvalResult] = {}
    with tempfile.TemporaryDirectory(prefix="kg-npu-solutions-") as scratch:
        reqs = []
        for t in tasks:
            path = _solution_file(t, solutions, Path(scratch))
            if path is None:
                results[t.name] = EvalResult(task=t.name, backend="npu", status=Status.INVALID, rung="static",
                                             error=f"no solution {t.name}.cc in {solutions}", capability="emulated")
            else:
                reqs.append(EvalRequest(t, path))
        for req, res in executor.map(reqs):
            results[req.task.name] = res
            if progress:
                progress(f"{res.task}: {res.status.value}")
    ordered = [results[t.name] for t in tasks]
    return ordered, summarize_npu([r.to_dict() for r in ordered])
