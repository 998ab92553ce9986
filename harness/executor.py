"""The executor seam: run many evaluations, streaming results back as they finish.

``LocalExecutor`` runs a pool of worker threads, each with its own sandbox. On a GPU backend an
evaluation leases a device from the shared ``DevicePool`` only for its reference run and for its
candidate run after the kernels are built, so runs on one GPU never overlap (timings stay clean)
while other workers compile on the CPU. On the CPU backend the CPU is the device, so an
evaluation holds it throughout, compiles included. ``harness.ray_executor.RayExecutor`` implements
the same protocol on a Ray cluster, without callers knowing which one they talk to. The NPU
backend's ``harness.npu_eval.NpuEmulationEvaluator`` has the same ``evaluate(task, path, sandbox,
devices)`` shape, so NPUEval tasks run through here too.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from harness.devices import DevicePool
from harness.evaluate import Evaluator
from harness.reference import ReferenceRun
from harness.result import EvalResult, Status
from harness.sandbox import Sandbox
from kernelbench_tasks.task import Task


@dataclass(frozen=True)
class EvalRequest:
    task: Task
    candidate: Path | None  # None: no solution for this task (counted as a failure)


class Executor(Protocol):
    def map(self, requests: Iterable[EvalRequest]) -> Iterator[tuple[EvalRequest, EvalResult]]: ...

    def evaluate_one(self, req: EvalRequest) -> tuple[EvalRequest, EvalResult]: ...

    def reference(self, task: Task, *, fresh: bool = False, baseline_only: bool = False) -> ReferenceRun: ...

    def close(self) -> None: ...


class LocalExecutor:
    def __init__(self, evaluator: Evaluator, sandbox_factory: Callable[[], Sandbox], *, workers: int = 1,
                 devices: list[str] | None = None):
        self.evaluator = evaluator
        self.devices = DevicePool(devices or evaluator.backend.devices())
        self._factory = sandbox_factory
        self._workers = max(1, workers)
        self._local = threading.local()
        self._sandboxes: list[Sandbox] = []
        self._lock = threading.Lock()

    def _sandbox(self) -> Sandbox:
        sb = getattr(self._local, "sandbox", None)
        if sb is None:
            sb = self._factory()
            self._local.sandbox = sb
            with self._lock:
                self._sandboxes.append(sb)
        return sb

    def evaluate_one(self, req: EvalRequest) -> tuple[EvalRequest, EvalResult]:
        """One evaluation on the calling thread (its own sandbox), for callers that run their own threads."""
        return req, self.evaluate(req)

    def evaluate(self, req: EvalRequest) -> EvalResult:
        if getattr(req.task, "status", "loaded") != "loaded":  # a load error is reported as such, with or without a solution
            return EvalResult(task=req.task.name, backend=self.evaluator.backend.name, status=Status.INVALID,
                              rung="static", error=f"task {req.task.status}: {req.task.error}", level=req.task.level,
                              size_label=req.task.size_label)
        if req.candidate is None:
            return EvalResult(task=req.task.name, backend=self.evaluator.backend.name, status=Status.INVALID,
                              rung="static", error="no solution file for this task", level=req.task.level,
                              size_label=req.task.size_label)
        return self.evaluator.evaluate(req.task, req.candidate, self._sandbox(), self.devices)

    def reference(self, task: Task, *, fresh: bool = False, baseline_only: bool = False) -> ReferenceRun:
        """Run (or fetch from cache) the task's reference on a leased device: the baseline."""
        with self.devices.lease() as device:
            return self.evaluator.reference(task, self._sandbox(), device, fresh=fresh, baseline_only=baseline_only)

    def map(self, requests: Iterable[EvalRequest]) -> Iterator[tuple[EvalRequest, EvalResult]]:
        return stream(self.evaluate, requests, self._workers)

    def close(self) -> None:
        for sb in self._sandboxes:
            sb.close()
        self._sandboxes.clear()
        self.evaluator.close()


def stream(evaluate: Callable[[EvalRequest], EvalResult], requests: Iterable[EvalRequest],
           workers: int) -> Iterator[tuple[EvalRequest, EvalResult]]:
    """``evaluate`` on ``workers`` threads, yielding each (request, result) as soon as it finishes."""
    with ThreadPoolExecutor(workers, thread_name_prefix="kgepa-eval") as pool:
        futures = {pool.submit(evaluate, r): r for r in requests}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
