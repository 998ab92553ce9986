"""``kernelgepa eval --backend npu``: NPUEval-format tasks on the host AIE emulation.

Solutions are ``canonical`` (each task's own canonical solution) or a folder holding
``<kernel_name>.cc`` files with the whole kernel source. A missing solution counts as a failure.
The summary reports the pass rate and the mean vector utilisation over *all* tasks with failures
counted as 0 (NPUEval's convention), labelled as the emulation's estimate.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.metrics import summarize_npu
from harness.result import EvalResult, Status
from npueval_tasks.task import NpuTask, TaskFormatError, load_npueval


def _solution(task: NpuTask, solutions: str) -> str | None:
    if solutions == "canonical":
        return task.canonical_source
    path = Path(solutions) / f"{task.name}.cc"
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def npu_evaluator(cache_dir: Path):
    """The host-emulation evaluator with this machine's AIE toolchain (if configured); builds cached."""
    from harness.build import Builder
    from harness.npu_eval import NpuEmulationEvaluator

    return NpuEmulationEvaluator(Builder(cache_dir / "npu-build"))


def run_npu_eval(tasks_path: str, solutions: str, *, cache_dir: Path, workers: int, progress=None) -> tuple[list[EvalResult], dict, list[str]]:
    """Evaluate; returns (results, summary, load problems as one line each)."""
    from harness.sandbox.local import LocalProcessSandbox

    if solutions != "canonical" and not Path(solutions).is_dir():
        raise TaskFormatError(f"--solutions: expected 'canonical' or a folder of <kernel_name>.cc files: {solutions}")
    loaded = load_npueval(tasks_path)
    ev = npu_evaluator(cache_dir)
    sources = {t.name: _solution(t, solutions) for t in loaded.tasks}
    with ThreadPoolExecutor(max(1, workers)) as pool:  # warm the build cache in parallel
        list(pool.map(lambda t: ev.build(t, sources[t.name]), [t for t in loaded.tasks if sources[t.name]]))
    results = []
    sandbox = LocalProcessSandbox(threads=1)
    try:
        for t in loaded.tasks:
            src = sources[t.name]
            res = ev.evaluate_source(t, src, sandbox) if src is not None else EvalResult(
                task=t.name, backend="npu", status=Status.INVALID, rung="static",
                error=f"no solution {t.name}.cc in {solutions}", capability="emulated")
            results.append(res)
            if progress:
                progress(f"{t.name}: {res.status.value}")
    finally:
        sandbox.close()
    return results, summarize_npu([r.to_dict() for r in results]), [str(p) for p in loaded.problems]
