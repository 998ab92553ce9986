"""The executor seam on a Ray cluster: evaluations spread over every GPU (or CPU slot) of every node.

Each Ray actor is one warm worker holding one device's worth of the cluster: a GPU for GPU backends
(Ray sets its ``CUDA_VISIBLE_DEVICES``) or ``threads`` CPUs for the CPU backend. Inside, a
``LocalExecutor`` with its own sandboxes and evaluator runs the evaluations exactly as on one
machine; on a GPU it has two slots, so one evaluation compiles on the node's CPUs while the other
runs on the GPU (the in-actor device pool keeps runs from overlapping). Candidate and task sources
travel with each request, so nodes need the package installed but not the driver's files.

The driver keeps the run store: actors only return ``EvalResult``s. A worker or node that dies
mid-evaluation loses only that evaluation: it is retried on a fresh worker (bounded), then reported
as ``infra_error``, which is never a verdict on the kernel.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterable, Iterator

from harness.build import default_cache_root
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.executor import EvalRequest, LocalExecutor, stream
from harness.reference import ReferenceRun
from harness.result import EvalResult, Status
from kernelbench_tasks.task import Task

GPU_SLOTS = 2  # evaluations per GPU worker: one compiling while the other runs


class RayExecutorError(RuntimeError):
    """The cluster cannot be used (Ray missing, unreachable, or no room for a worker): one line."""


@dataclass(frozen=True)
class WorkerSpec:
    """What an actor needs to rebuild the driver's evaluator on its own node."""
    backend: str
    config: EvalConfig
    cache_root: Path | None  # None: the node's default cache
    slots: int


class EvalWorker:
    """Body of the Ray actor: a warm LocalExecutor over the resources Ray gave this process."""

    def __init__(self, spec: WorkerSpec):
        import ray

        from harness.backends import get_backend
        from harness.sandbox.local import LocalProcessSandbox

        evaluator = Evaluator(get_backend(spec.backend), spec.config, cache_root=spec.cache_root)
        threads = spec.config.threads
        self.local = LocalExecutor(evaluator, lambda: LocalProcessSandbox(threads=threads), workers=spec.slots)
        self.node = ray.get_runtime_context().get_node_id()
        self.files = Path(tempfile.mkdtemp(prefix="kgepa-ray-"))

    def ready(self) -> tuple[str, int]:
        return self.node, os.getpid()

    def evaluate(self, req: EvalRequest, source: str | None) -> EvalResult:
        cand = req.candidate
        if cand is not None and source is not None:
            cand = self._local_copy(cand, source)
        res = self.local.evaluate(EvalRequest(self._local_task(req.task), cand))
        res.node = self.node
        return res

    def reference(self, task: Task, fresh: bool, baseline_only: bool = False) -> ReferenceRun:
        return self.local.reference(self._local_task(task), fresh=fresh, baseline_only=baseline_only)

    def close(self) -> None:
        self.local.close()

    def _local_task(self, task: Task) -> Task:
        return dataclasses.replace(task, path=self._local_copy(task.path, task.source))

    def _local_copy(self, path: Path, text: str) -> Path:
        """``path`` if this node holds it with the same text (same machine as the driver), else a copy."""
        try:
            if Path(path).read_text() == text:
                return Path(path)
        except (OSError, UnicodeDecodeError):
            pass
        out = self.files / hashlib.sha256(text.encode()).hexdigest()[:16] / Path(path).name
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
        return out


@cache
def _actor_class():
    import ray

    return ray.remote(EvalWorker)


@dataclass(eq=False)
class WorkerHandle:
    """The driver's view of one actor: where it runs and how many evaluations it holds now."""
    actor: object
    node: str
    pid: int
    busy: int = 0


class RayExecutor:
    def __init__(self, evaluator: Evaluator, *, address: str | None = None, workers: int | None = None,
                 max_retries: int = 1, start_timeout_s: float = 120.0, init_kwargs: dict | None = None):
        """``address``: a running cluster ("auto", "HOST:PORT"); None starts (or reuses) a local Ray.
        ``workers``: actors to start (default: one per GPU of the cluster, or per ``threads`` CPUs)."""
        try:
            import ray
        except ImportError:
            raise RayExecutorError("the Ray executor needs ray: pip install 'kernelgepa[ray]'") from None
        self._ray = ray
        self.evaluator = evaluator
        self.max_retries = max(0, max_retries)
        self._start_timeout_s = start_timeout_s
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         logging_level="WARNING", **(init_kwargs or {}))
            except Exception as e:  # noqa: BLE001 - any failure to reach the cluster is one line
                raise RayExecutorError(f"cannot start or reach Ray at {address or 'a local instance'}: "
                                       f"{_first_line(e)} (start a cluster with `ray start --head`)") from None
        self._options, self.slots, default_workers = self._placement(ray.cluster_resources())
        default_cache = default_cache_root()
        self._spec = WorkerSpec(evaluator.backend.name, evaluator.cfg,
                                None if evaluator.cache_root == default_cache else evaluator.cache_root, self.slots)
        self._cond = threading.Condition()
        self.workers: list[WorkerHandle] = []
        self._replacing = 0
        self._start_workers(workers or default_workers)

    @property
    def capacity(self) -> int:
        """Evaluations that can run at once: how many threads a caller should feed ``evaluate_one`` from."""
        return max(1, len(self.workers) * self.slots)

    # ---- placement ------------------------------------------------------------------------------
    def _placement(self, resources: dict) -> tuple[dict, int, int]:
        """Actor options, slots per actor and the default actor count for this cluster."""
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
        if self.evaluator.backend.device_type != "cpu" and gpus > 0:
            return {"num_gpus": 1, "num_cpus": 1, "max_concurrency": GPU_SLOTS}, GPU_SLOTS, gpus
        # The CPU backend times on the CPU: each evaluation reserves its threads' worth of cores. A
        # GPU backend on a cluster without GPUs compiles only, on one CPU.
        need = (self.evaluator.cfg.threads or 1) if self.evaluator.backend.device_type == "cpu" else 1
        largest = max((int(n["Resources"].get("CPU", 0)) for n in self._ray.nodes() if n.get("Alive")), default=0)
        if need > largest:
            raise RayExecutorError(f"an evaluation needs {need} CPUs (--threads) but the largest Ray node has "
                                   f"{largest}: pass --threads {max(1, largest)}")
        return {"num_cpus": need, "max_concurrency": 1}, 1, max(1, cpus // need)

    def _start_workers(self, n: int) -> None:
        ray = self._ray
        actors = [self._spawn() for _ in range(n)]
        refs = [a.ready.remote() for a in actors]
        ready, _ = ray.wait(refs, num_returns=n, timeout=self._start_timeout_s)
        problems = []
        for actor, ref in zip(actors, refs):
            try:
                if ref not in ready:
                    raise TimeoutError(f"not placed within {self._start_timeout_s:g}s")
                node, pid = ray.get(ref)
                self.workers.append(WorkerHandle(actor, node, pid))
            except Exception as e:  # noqa: BLE001 - a worker that cannot start is reported, not fatal
                problems.append(_first_line(e))
                ray.kill(actor)
        if not self.workers:
            raise RayExecutorError(f"no Ray worker started (each needs {self._options}; the cluster has "
                                   f"{ray.cluster_resources()}): {problems[0] if problems else 'unknown'}")

    def _spawn(self):
        # SPREAD: workers go to different nodes first, so a batch uses every node of the cluster.
        return _actor_class().options(scheduling_strategy="SPREAD", **self._options).remote(self._spec)

    # ---- the protocol ---------------------------------------------------------------------------
    def evaluate_one(self, req: EvalRequest) -> tuple[EvalRequest, EvalResult]:
        """One evaluation on some worker of the cluster; blocks the calling thread until it is done."""
        return req, self.evaluate(req)

    def map(self, requests: Iterable[EvalRequest]) -> Iterator[tuple[EvalRequest, EvalResult]]:
        return stream(self.evaluate, requests, self.capacity)

    def evaluate(self, req: EvalRequest) -> EvalResult:
        source = _read_source(req.candidate)
        return self._call(lambda a: a.evaluate.remote(req, source), req.task)

    def reference(self, task: Task, *, fresh: bool = False, baseline_only: bool = False) -> ReferenceRun:
        res = self._call(lambda a: a.reference.remote(task, fresh, baseline_only), task)
        if isinstance(res, EvalResult):  # the reference never finished on any worker
            raise RayExecutorError(f"{task.name}: {res.error}")
        return res

    def close(self) -> None:
        ray = self._ray
        with self._cond:
            workers, self.workers = self.workers, []
        try:
            ray.wait([w.actor.close.remote() for w in workers], num_returns=len(workers), timeout=30)
        finally:
            for w in workers:
                ray.kill(w.actor)
            if self._owns_ray:
                ray.shutdown()

    # ---- scheduling and faults ------------------------------------------------------------------
    def _call(self, submit, task: Task):
        """Run ``submit(actor)`` on the least busy worker; a worker that dies is replaced and the call
        retried up to ``max_retries`` times, after which the result is an infrastructure failure."""
        errors = []
        for _ in range(1 + self.max_retries):
            worker = self._acquire()
            if worker is None:
                errors.append("no Ray worker left")
                break
            try:
                result = self._ray.get(submit(worker.actor))
            except _lost_errors() as e:
                errors.append(f"worker {worker.pid} on node {worker.node[:12]} lost: {type(e).__name__}")
                self._replace(worker)
                continue
            finally:
                self._release(worker)
            if errors and isinstance(result, EvalResult):
                result.warnings.append(f"evaluated again after a lost attempt ({'; '.join(errors)})")
            return result
        return EvalResult(task=task.name, backend=self.evaluator.backend.name, status=Status.INFRA_ERROR,
                          rung="static", level=task.level, size_label=task.size_label,
                          error=f"not evaluated after {len(errors)} attempt(s): {'; '.join(errors)}")

    def _acquire(self) -> WorkerHandle | None:
        """The least busy worker with a free slot (waiting for one), or None once none is left."""
        with self._cond:
            while True:
                free = [w for w in self.workers if w.busy < self.slots]
                if free:
                    worker = min(free, key=lambda w: w.busy)
                    worker.busy += 1
                    return worker
                if not self.workers and not self._replacing:
                    return None
                self._cond.wait()

    def _release(self, worker: WorkerHandle) -> None:
        with self._cond:
            worker.busy -= 1
            self._cond.notify_all()

    def _replace(self, dead: WorkerHandle) -> None:
        """Drop a lost worker and start a fresh one in its place, if the cluster still has room."""
        ray = self._ray
        with self._cond:
            if dead not in self.workers:  # another thread saw it die first
                return
            self.workers.remove(dead)
            self._replacing += 1
        fresh = actor = None
        try:
            ray.kill(dead.actor)
            actor = self._spawn()
            node, pid = ray.get(actor.ready.remote(), timeout=self._start_timeout_s)
            fresh = WorkerHandle(actor, node, pid)
        except Exception:  # noqa: BLE001 - no room or no node: the pool shrinks, callers see infra errors
            if actor is not None:  # spawned but never ready (e.g. not placed in time): do not leave it pending
                try:
                    ray.kill(actor)
                except Exception:  # noqa: BLE001 - already gone
                    pass
        finally:
            with self._cond:
                self._replacing -= 1
                if fresh:
                    self.workers.append(fresh)
                self._cond.notify_all()


def _lost_errors() -> tuple[type[Exception], ...]:
    """Ray's ways of saying the process or node running a call is gone (not an error of the call)."""
    from ray import exceptions as rx

    return rx.RayActorError, rx.WorkerCrashedError, rx.ObjectLostError, rx.NodeDiedError, rx.LocalRayletDiedError


def _read_source(path: Path | None) -> str | None:
    """The candidate's text to ship to the worker; None lets the worker report the unreadable path."""
    if path is None:
        return None
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
