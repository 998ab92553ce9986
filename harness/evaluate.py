"""The evaluation ladder: static -> reference -> compile -> load -> correctness -> timing -> profile.

Each rung stops early on failure with the evidence it saw. Verdicts are computed here, in the
parent, from files the sandboxed child wrote: the child never says "correct" or "fast".
"""
from __future__ import annotations

import json
import threading
import time
import weakref
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from functools import partial
from pathlib import Path

from harness import pacing
from harness.backends.base import Backend
from harness.build import BuildError, Builder, BuildRequest, default_cache_root
from harness.cache import BoundedCache
from harness.compare import compare
from harness.config import EvalConfig
from harness.devices import DevicePool, as_pool
from harness.feed import feeds_inputs
from harness.jobs import JobReport, JobRunner, stage_artifact
from harness.messages import first_error_line, format_resources
from harness.noise import paired_speedup, slower_than, unpaired_speedup
from harness.reference import (RANDOM_SECTION, ReferenceFailed, ReferenceRun, reference_key, run_reference,
                               timing_outputs)
from harness.result import EvalResult, Status, Timing
from harness.sandbox import Sandbox
from harness.static_checks import check_candidate
from harness.tensorio import SpecError, decode, flatten
from harness.trials import VARIANTS, describe, draw_seed
from harness.untrusted import load_json
from kernelbench_tasks.task import Task

# Random trial seeds are drawn several evaluations' worth at a time, their reference outputs computed
# in one reference run (its fixed cost shared), and each handed to one evaluation only (harness.trials).
# A task's first pool holds FIRST_RANDOM_POOL blocks, each refill twice the last, up to RANDOM_POOL:
# an evaluator that sees a task once or twice does not compute (and store) sixteen evaluations' worth.
FIRST_RANDOM_POOL = 2
RANDOM_POOL = 16
# A pool run nobody has used for this long was left by a process that was killed before it could
# remove it (a live evaluator that comes back to it just refills).
ORPHAN_POOL_S = 3600.0

# How much slower the reference may run beside the kernel than in its own process (the low end of the
# twin's interval against the baseline's median) before the in-process twin is suspected of being
# slowed: load drifts between the two runs.
TWIN_DRIFT = 2.0


class Evaluator:
    def __init__(self, backend: Backend, config: EvalConfig | None = None, *, cache_root: Path | None = None,
                 work_root: Path | None = None, keep_jobs: bool = False):
        self.backend = backend
        self.cfg = config or EvalConfig()
        self.cache_root = Path(cache_root) if cache_root else default_cache_root()
        self.builder = backend.builder(self.cache_root / "build", cuda_arch=self.cfg.cuda_arch,
                                       timeout_s=self.cfg.compile_timeout_s)
        self.runner = JobRunner(work_root, keep=keep_jobs)
        self._refreshed: set[str] = set()  # reference keys re-measured for cfg.fresh_baseline
        self._refresh_lock = threading.Lock()
        # per (task, device, variants, n): the pool run, its unused seed blocks, the next refill's size
        self._random_pool: dict[tuple, tuple[ReferenceRun | None, list[list[int]], int]] = {}
        self._random_runs: set[Path] = set()  # every pool run made here: removed on close or collection
        self._random_lock = threading.Lock()
        weakref.finalize(self, BoundedCache.drop_unheld, self._random_runs)

    # ---- public -------------------------------------------------------------------------------
    def seeds(self, n: int, offset: int = 0) -> list[int]:
        return [self.cfg.seed + offset + k for k in range(n)]

    @property
    def _timed(self) -> bool:
        """An interpreter's run times say nothing about the kernel: neither side is timed then."""
        return self.cfg.time_kernels and not self.backend.interpreted

    def reference(self, task: Task, sandbox: Sandbox, device: str, *, fresh: bool = False,
                  baseline_only: bool = False) -> ReferenceRun:
        """The task's baseline, from the cache unless ``fresh``. ``cfg.fresh_baseline`` re-measures
        each baseline once per evaluator, not on every candidate's evaluation. ``baseline_only``: the
        timing is all that is wanted (``kernelgepa baseline``): trial tensors are not stored, and a
        cached timing that was noisy is measured again."""
        device_name, seeds = self.backend.device_name(device), self.seeds(self.cfg.trials)

        def measure(fresh: bool) -> ReferenceRun:
            return run_reference(task, self.cfg, sandbox, self.runner, self.cache_root, device, device_name,
                                 seeds, timed=self._timed, fresh=fresh, outputs=not baseline_only,
                                 reuse_noisy=not baseline_only)

        if self.cfg.fresh_baseline and not fresh:
            key = reference_key(task, self.cfg, seeds, device_name, self._timed)
            with self._refresh_lock:  # held while re-measuring: others must not read the old baseline
                if key not in self._refreshed:
                    ref = measure(True)
                    self._refreshed.add(key)
                    return ref
        return measure(fresh)

    def with_random_trials(self, task: Task, sandbox: Sandbox, device: str, ref: ReferenceRun,
                           held: ExitStack) -> tuple[ReferenceRun, dict]:
        """``ref``'s fixed trials plus this evaluation's unpredictable ones (harness.trials), and the
        seeds of all of them as the result records them. The random-seed reference outputs come from
        the reference's own sandboxed run (never the candidate's process)."""
        info: dict = {"fixed": self.seeds(self.cfg.trials)}
        if self.cfg.random_trials < 1:
            return ref, info
        variants = tuple(VARIANTS) if self.cfg.value_ranges else ()
        rnd, seeds = self._random_reference(task, sandbox, device, variants, held)
        trials = ref.with_trials_of(rnd, seeds)
        info.update(random=seeds, value_ranges=sorted({t["variant"] for t in trials.data["trials"] if t.get("variant")}),
                    skipped_value_ranges={s["variant"]: s["why"] for s in rnd.data.get("skipped_variants", [])
                                          if s["seed"] in seeds})
        return trials, info

    def _random_reference(self, task: Task, sandbox: Sandbox, device: str, variants: tuple[str, ...],
                          held: ExitStack) -> tuple[ReferenceRun, list[int]]:
        """A reference run holding this evaluation's random seeds, and those seeds: ``cfg.trial_seed``
        replayed (consecutive seeds from it), else the next unused block of the task's pool. Held in
        ``held`` from the moment it is handed out: another worker's refill removes spent pool runs."""
        n, device_name = self.cfg.random_trials, self.backend.device_name(device)

        def run(seeds: list[int]) -> ReferenceRun:
            return run_reference(task, self.cfg, sandbox, self.runner, self.cache_root, device,
                                 device_name, seeds, timed=False, variants=variants, random=True)

        if self.cfg.trial_seed is not None:
            seeds = [self.cfg.trial_seed + k for k in range(n)]
            replayed = run(seeds)
            held.enter_context(BoundedCache.hold(replayed.dir))
            return replayed, seeds
        key = (task.key, device_name, variants, n)
        with self._random_lock:  # one refill at a time; each block is handed out once
            pooled, blocks, size = self._random_pool.get(key, (None, [], FIRST_RANDOM_POOL))
            if blocks:  # held before it is checked: the cache may have evicted it between evaluations
                held.enter_context(BoundedCache.hold(pooled.dir))
                if not (pooled.dir / "reference.json").exists():
                    blocks = []
            if not blocks:
                BoundedCache.drop_unheld(self._random_runs)  # spent pools (one an evaluation still reads: next time)
                BoundedCache(self.cache_root).drop_idle(RANDOM_SECTION, ORPHAN_POOL_S)  # killed runs' pools
                blocks = [[first + k for k in range(n)] for first in (draw_seed() for _ in range(size))]
                pooled, size = run([s for block in blocks for s in block]), min(RANDOM_POOL, 2 * size)
                self._random_runs.add(pooled.dir)
                held.enter_context(BoundedCache.hold(pooled.dir))
            BoundedCache.touch(pooled.dir)
            seeds, blocks = blocks[0], blocks[1:]
            self._random_pool[key] = (pooled, blocks, size)
        return pooled, seeds

    def close(self) -> None:
        """Remove the random-seed reference runs made here (no later evaluation could use them); the
        same happens when the evaluator is collected. It stays usable: a later evaluation refills."""
        with self._random_lock:
            self._random_pool = {k: (None, [], size) for k, (_, _, size) in self._random_pool.items()}
            BoundedCache.drop_unheld(self._random_runs)

    def evaluate(self, task: Task, candidate: Path, sandbox: Sandbox, devices: str | DevicePool) -> EvalResult:
        """Evaluate one candidate file. ``devices``: a device name, or a pool shared with other workers
        (a device is leased only while the reference or the built candidate runs)."""
        t0 = time.perf_counter()
        pool = as_pool(devices)
        if self.backend.device_type == "cpu":
            # The CPU is the device: other workers' compiles would share its cores with our timed
            # run, so the lease covers the whole evaluation, builds included.
            with pool.lease() as device, ExitStack() as held:
                res = self._evaluate(task, Path(candidate).resolve(), sandbox, DevicePool([device]), held)
        else:
            with ExitStack() as held:
                res = self._evaluate(task, Path(candidate).resolve(), sandbox, pool, held)
        res.wall_s = time.perf_counter() - t0
        res.size_label, res.level = task.size_label, task.level
        return res

    # ---- the ladder ---------------------------------------------------------------------------
    def _evaluate(self, task: Task, cand: Path, sandbox: Sandbox, pool: DevicePool, held: ExitStack) -> EvalResult:
        """``held``: cache entries this evaluation reads, kept from eviction until it ends."""
        seeds: dict = {}

        def result(status: Status, rung: str, error: str | None = None, **kw) -> EvalResult:
            return EvalResult(task=task.name, backend=self.backend.name, status=status, rung=rung, error=error,
                              rules=self.cfg.rules, tolerance=self.cfg.tolerance, seeds=seeds, **kw)

        if task.status != "loaded":
            return result(Status.INVALID, "static", f"task {task.status}: {task.error}")
        try:
            source = cand.read_text()
        except (OSError, UnicodeDecodeError) as e:
            return result(Status.INVALID, "static", f"cannot read candidate {cand}: {e}")
        if self.cfg.static_checks:
            verdict = check_candidate(source, str(cand))
            if not verdict.ok:
                return result(Status(verdict.status), "static", verdict.reason)
        if self.backend.unavailable_reason:
            return result(Status.INVALID, "compile", self.backend.unavailable_reason)

        session = RunSession(self.builder, self.backend, pool)
        ref = trials = None
        if self.backend.can_run:
            try:
                with pool.lease() as device:
                    ref = self.reference(task, sandbox, device)
                    held.enter_context(BoundedCache.hold(ref.dir))  # not evicted while the run reads it
                    trials, info = self.with_random_trials(task, sandbox, device, ref, held)
                    seeds.update(info)
                    if self._timed:  # what the timed repetitions ran on (harness.worker.timing)
                        seeds["timing_inputs"] = _timing_inputs(feeds_inputs(device), ref.data.get("seeded_timing"))
            except ReferenceFailed as e:
                return result(Status.INVALID, "reference", str(e), messages=e.report.messages())
        run, verdict = self._run_candidate(cand, trials, {}, sandbox, trials.n_trials if trials else 0, task,
                                           timed=self._timed, session=session, timed_trials=self.cfg.trials)
        if session.failure:
            status, error, messages = session.failure
            return result(status, "compile", error, messages=messages, compile_s=session.compile_s)
        if ref is None:  # a machine that can compile this backend's kernels but not run them
            fail = run.failure()
            if fail:
                return result(Status(fail[0]), fail[1], fail[2], messages=run.messages())
            if not session.artifacts:
                return result(Status.INVALID, "compile", "the candidate builds no kernel", messages=run.messages())
            return result(Status.COMPILED_ONLY, "compile", self.backend.not_run_reason,
                          messages=session.log + ("\n" + format_resources(session.resources) if session.resources else ""),
                          resources=session.resources, compile_s=session.compile_s)
        resources, compile_s, artifacts = session.resources, session.compile_s, session.artifacts
        common = dict(resources=resources, compile_s=compile_s, baseline=ref.timing,
                      compile_baseline=ref.compile_timing, torch_ops=self.torch_ops(run.result))
        if verdict:
            status, rung, error, extra = verdict
            return result(status, rung, error, sandbox=self._isolation(run), **extra, **common)
        if self.backend.interpreted:
            return result(Status.INTERPRETED, "correctness", warnings=[
                "correct under the Triton interpreter on CPU: not compiled for a GPU, not timed, no speed claim",
                *_autotune_notes(run.result), *ref.warnings], sandbox=self._isolation(run), **{**common, "compile_s": None})
        kernel = Timing.from_dict(run.result.get("timing"))
        res = result(Status.OK, "timing" if kernel else "correctness", kernel=kernel, warnings=list(ref.warnings),
                     sandbox=self._isolation(run), **common)
        res.warnings += _autotune_notes(run.result) + list(run.result.get("parent_notes", []))
        if kernel and ref.timing and kernel.median_ms > 0:
            self._speedup(res, run.result, ref)
            if res.speedup > self.cfg.implausible_speedup:
                self._reverify(res, run.result, cand, task, artifacts, pool, sandbox)
        if res.status == Status.OK and kernel:
            from harness.profile import profile_candidate
            with pool.lease() as device:
                res.profile = profile_candidate(self, ref, cand, artifacts, device)
            if res.profile:
                res.rung = "profile"
        return res

    def candidate_job(self, cand: Path, ref: ReferenceRun | None, artifacts: dict, n_trials: int, *,
                      timed: bool, device: str | None = None, poison: bool = True,
                      timed_trials: int | None = None) -> dict:
        """The job a candidate child reads. One builder for the sandboxed run and the profiler's
        standalone run, so both set the child up alike (backend hooks included). ``device`` None:
        the child asks for one once its kernels are built; ``poison`` False: no NaN fill before
        each trial (the profiler would list that fill as a kernel)."""
        return {"role": "candidate", "backend": self.backend.name, "interpret": self.backend.interpreted,
                "device": device, "threads": self.cfg.threads, "allow_tf32": self.cfg.allow_tf32,
                "candidate_path": str(cand), "ref_dir": str(ref.dir) if ref else None, "artifacts": artifacts,
                "extra_refs": ref.added_runs() if ref else [],
                "compile_only": ref is None, "n_trials": n_trials, "model_seed": self.cfg.seed, "time": timed,
                "seeded_timing": bool(timed and ref and ref.data.get("seeded_timing")),  # fresh inputs per repetition
                "feed_inputs": bool(timed and ref and self.backend.device_type == "cpu"),  # ... handed over ready-made
                "timed_trials": timed_trials or n_trials,  # else timing rotates over the fixed trials' inputs only
                "timing": {**self.cfg.timing.to_dict(),  # sampling longer when noisy stays well inside the timeout
                           "max_s": min(self.cfg.timing.max_s, self.cfg.run_timeout_s / 4)},
                "ablate": self.cfg.rules == "kernelbench" and self.backend.name != "cupy",
                "expected_out_bytes": ref.output_bytes if ref and poison else 0,
                **(ref.task_job(timed) if ref else {})}

    def _run_candidate(self, cand: Path, ref: ReferenceRun | None, artifacts: dict, sandbox: Sandbox,
                       n_trials: int, task: Task, *, timed: bool, session: "RunSession",
                       timed_trials: int | None = None):
        """One sandboxed run: the child imports the candidate (asking ``session`` to build its kernels),
        asks for a device, and runs the trials and timing; the parent then judges what it wrote. The
        cache entries ``ref`` reads are held by the caller."""
        job = self.candidate_job(cand, ref, artifacts, n_trials, timed=timed, timed_trials=timed_trials)
        try:
            report = self.runner.run(sandbox, job, self.cfg.phase_timeouts(), session.answer)
        finally:
            session.close()
        try:
            if ref is None or session.failure:
                return report, None
            audited = partial(self._audited_outputs, task, sandbox, session.pool, job["timed_trials"])
            return report, self._judge(report, ref, n_trials, task.tolerance, audited)
        finally:
            self.runner.discard(report)

    def _audited_outputs(self, task: Task, sandbox: Sandbox, pool: DevicePool, timed_trials: int,
                         ref: ReferenceRun, pacer: pacing.Pacer, audits: list) -> AbstractContextManager:
        """The expected outputs of the audited repetitions, as (reference run, trial index per audit):
        the reference run again on their fresh inputs (the files they were handed over in, or made again
        from their seeds), or the fixed trial each one rotated to."""
        if not pacer.seeded:
            return nullcontext((ref, [a["rep"] % timed_trials for a in audits]))
        seeds = [pacer.seeds["k"][a["rep"]] for a in audits]
        files = [pacer.feed.path(pacer.inputs[a["rep"]]) for a in audits] if pacer.feed else None

        @contextmanager
        def rerun():
            with pool.lease() as device, \
                    timing_outputs(task, self.cfg, sandbox, self.runner, device, seeds, files) as run:
                yield run, list(range(len(seeds)))
        return rerun()

    def _judge(self, report: JobReport, ref: ReferenceRun, n_trials: int, task_tol: dict | None, audited):
        """None if the run is clean and correct, else (status, rung, error, extra fields). ``audited``:
        see ``_audited_outputs``."""
        fail = report.failure()
        if fail:
            return Status(fail[0]), fail[1], fail[2], {"messages": report.messages()}
        r = report.result
        if r.get("violations"):
            return Status.REJECTED, "correctness", "; ".join(map(str, r["violations"]))[:500], {}
        torch_ops = self.torch_ops(r)
        if torch_ops and self.cfg.rules == "strict":
            return (Status.REJECTED, "correctness", "forward computes with PyTorch ops instead of its own kernel "
                    f"(--rules strict): {', '.join(torch_ops[:8])}", {})
        out_dir = report.job_dir / "out"
        budget = [self.cfg.max_output_bytes]
        if len(r.get("trials", [])) != n_trials:
            return Status.RUNTIME_ERROR, "correctness", f"ran {len(r.get('trials', []))} of {n_trials} trials", {}
        r["parent_notes"] = []  # warnings of the parent's own (whatever the child put under this key)
        wrong = self._compare([("correctness", k, spec) for k, spec in enumerate(r["trials"])], ref, out_dir,
                              budget, task_tol)
        if wrong:
            return wrong
        if report.pacer is not None:  # a timed run: believed only as far as the parent's clock allows
            try:
                pacing.check(r.get("timing"), r.get("audits"), report.pacer)
            except pacing.Malformed as e:
                return Status.CRASHED, "timing", str(e), {}
            except pacing.Disagreement as e:
                return Status.REJECTED, "timing", str(e), {}
            if r["audits"]:
                try:
                    with audited(ref, report.pacer, r["audits"]) as (expected, trials):
                        wrong = self._compare([("timing", k, a.get("outputs")) for k, a in zip(trials, r["audits"])],
                                              expected, out_dir, budget, task_tol)
                except ReferenceFailed as e:
                    return Status.INVALID, "reference", str(e), {"messages": e.report.messages()}
                if wrong:
                    return wrong
            try:
                r["parent_notes"] = pacing.believe(r["timing"], report.pacer, ref.pacing, self.runner.work_root,
                                                   ref.output_bytes)
            except pacing.Disagreement as e:
                return Status.REJECTED, "timing", str(e), {}
        if torch_ops:
            why = self._decorative(r, ref, torch_ops, out_dir, budget, task_tol)
            if why:
                return Status.REJECTED, "correctness", why, {}
        return None

    def _compare(self, checks: list, ref: ReferenceRun, out_dir: Path, budget: list, task_tol: dict | None):
        """The first failing (rung, trial, outputs spec) as a verdict, or None when all match."""
        for rung, k, spec in checks:
            try:
                outs = flatten(decode(spec, out_dir, budget=budget))
            except (SpecError, KeyError, TypeError, ValueError) as e:
                return Status.REJECTED, "correctness", f"unreadable outputs: {e}", {}
            if not isinstance(k, int) or not 0 <= k < len(ref.data["trials"]):
                return Status.REJECTED, rung, "malformed audit record", {}
            expected = ref.outputs(k)
            if len(outs) != len(expected):
                return Status.INCORRECT, "correctness", f"returned {len(outs)} outputs, expected {len(expected)}", {}
            for j, (o, e) in enumerate(zip(outs, expected)):
                tol = self.cfg.tolerance_for(str(e.dtype).removeprefix("torch."), task_tol)
                mm = compare(e, o, tol, trial=k, output=j)
                if mm:
                    drawn = describe(ref.data["trials"][k])
                    if drawn:  # one line that says which unpredictable trial (value range, seed) broke it
                        mm.reason = f"on {drawn}: " + mm.reason
                    if rung == "timing":
                        mm.reason = "during timing: " + mm.reason
                    return Status.INCORRECT, rung, mm.summary(), {"mismatch": mm}
        return None

    def _isolation(self, run: JobReport) -> dict:
        """What confined the job (the sandbox's layers) and its compiles (whether each had a PID
        namespace of its own, else why not)."""
        from harness.sandbox.isolation import compile_isolation

        compiles = compile_isolation() if getattr(self.builder, "isolate", True) else {"compiles": "not isolated"}
        return {**run.isolation, **compiles}

    def torch_ops(self, run_result: dict | None) -> list[str]:
        """The PyTorch compute ops (aten, beyond allocation/view/copy) a candidate's forward dispatched."""
        return sorted(set(map(str, (run_result or {}).get("ops", []))) - self.cfg.allowed_ops)

    def _decorative(self, r: dict, ref: ReferenceRun, torch_ops: list[str], out_dir: Path, budget: list,
                    task_tol: dict | None) -> str | None:
        """Why a correct candidate that keeps PyTorch compute ops does no real work of its own, or None
        (README "Rules"): it dispatches every compute op the reference does (replaces none of them),
        or its result is still correct when its kernels' outputs are perturbed (the ablation run)."""
        def compute(counts) -> dict[str, int]:
            return {str(op): int(n) for op, n in (counts or {}).items() if op not in self.cfg.allowed_ops}

        theirs, ours = compute(ref.data.get("op_counts")), compute(r.get("op_counts"))
        if theirs and all(ours.get(op, 0) >= n for op, n in theirs.items()):
            return ("forward dispatches every compute op of the reference (" + ", ".join(sorted(theirs)[:6])
                    + "): its own kernels replace none of them")
        abl = r.get("ablation")
        if not isinstance(abl, dict) or abl.get("error"):
            return None  # not ablated (CuPy), or perturbing the kernels' outputs broke the forward
        if not abl.get("calls"):
            return f"forward ran no kernel of its own: PyTorch computed the result ({', '.join(torch_ops[:6])})"
        try:
            outs = flatten(decode(abl.get("outputs"), out_dir, budget=budget))
        except (SpecError, KeyError, TypeError, ValueError) as e:
            return f"unreadable ablation outputs: {e}"
        expected = ref.outputs(0)
        if len(outs) == len(expected) and all(
                compare(e, o, self.cfg.tolerance_for(str(e.dtype).removeprefix("torch."), task_tol),
                        trial=0, output=j) is None
                for j, (o, e) in enumerate(zip(outs, expected))):
            return ("decorative kernel: the result is still correct with its kernels' outputs perturbed, "
                    f"so PyTorch ops ({', '.join(torch_ops[:6])}) compute it")
        return None

    @staticmethod
    def _speedup(res: EvalResult, run_result: dict, ref: ReferenceRun) -> None:
        """From the reference timed beside the kernel when there is one (load hits both alike), else
        from the separately measured baseline; either way with its interval and noise flag. The twin
        runs in the candidate's process, which can slow it: when it ran slower than the trusted baseline
        (measured in the reference's own process) by more than noise and load drift allow, the paired
        speedup is not believed."""
        timing = run_result["timing"]
        est = paired_speedup(timing.get("reference"), timing)
        if est is not None and slower_than(timing["reference"], ref.data.get("timing"), TWIN_DRIFT):
            res.warnings.append(f"the reference timed beside the kernel ran slower than its trusted baseline allows "
                                f"({timing['reference']['median_ms']:.4g} ms against {ref.timing.median_ms:.4g} ms, "
                                f"paired speedup {est.speedup:.2f}x): speedup against the separately measured baseline")
            est = None
        if est is not None:
            res.baseline = Timing.from_dict(timing["reference"])
        else:
            est = unpaired_speedup(ref.data.get("timing"), timing)
            if run_result.get("twin_refused"):
                res.warnings.append("the reference was not timed beside the kernel because the candidate changed "
                                    f"{', '.join(run_result['twin_refused'][:3])}: speedup against the separately "
                                    "measured baseline")
        res.speedup, res.speedup_ci, res.noisy = est.speedup, [est.lo, est.hi], est.noisy
        if est.noisy:
            res.warnings.append(f"noisy timing: speedup {est.speedup:.2f}x, 95% interval {est.lo:.2f}x-{est.hi:.2f}x "
                                f"(baseline CV {res.baseline.cv:.0%}, kernel CV {res.kernel.cv:.0%}): not a speed claim")

    def _reverify(self, res: EvalResult, run_result: dict, cand: Path, task: Task, artifacts: dict,
                  pool: DevicePool, sandbox: Sandbox) -> None:
        """An implausible speedup is believed only after the baseline is re-measured now (a cached
        one may come from a noisier moment: the lower of the two speedups stands) and the kernel
        passes many fresh input sets."""
        n = self.cfg.reverify_trials
        try:
            with pool.lease() as device:
                fresh = self.reference(task, sandbox, device, fresh=True)
                ref = run_reference(task, self.cfg, sandbox, self.runner, self.cache_root, device,
                                    self.backend.device_name(device), self.seeds(n, offset=10_000), timed=False)
        except ReferenceFailed as e:
            res.warnings.append(f"could not re-verify implausible speedup: {e}")
            return
        claimed = res.speedup
        with BoundedCache.hold(ref.dir):
            _, verdict = self._run_candidate(cand, ref, artifacts, sandbox, n, task, timed=False,
                                             session=RunSession(self.builder, self.backend, pool))
        if verdict:
            status, rung, error, extra = verdict
            res.status, res.rung, res.error = status, rung, f"failed re-verification of a {claimed:.1f}x speedup: {error}"
            res.mismatch = extra.get("mismatch")
        else:
            again = ""
            if fresh.timing and res.kernel:
                est = unpaired_speedup(fresh.data.get("timing"), run_result["timing"])
                again = (f"; the baseline measured again in its own process takes {fresh.timing.median_ms:.4g} ms "
                         f"({est.speedup:.2f}x)")
                if est.speedup < res.speedup:
                    res.speedup, res.speedup_ci, res.noisy, res.baseline = (est.speedup, [est.lo, est.hi], est.noisy,
                                                                            fresh.timing)
                    again += ", which stands"
            res.warnings.append(f"speedup {claimed:.1f}x is above the {self.cfg.implausible_speedup:g}x plausibility "
                                f"limit, so the kernel was checked again: its outputs matched on {n} fresh input "
                                f"sets{again}")


def _timing_inputs(fed: bool, seeded: bool) -> str:
    """What the timed repetitions ran on, as the result records it (harness.worker.timing)."""
    if fed:
        return "fresh inputs per repetition, written by the harness and mapped by the run"
    return "fresh seed per repetition" if seeded else "the trials' inputs (get_inputs does not reproduce from a seed)"


def _autotune_notes(run_result: dict | None) -> list[str]:
    """What each autotuned kernel settled on (informational: timing never depends on it)."""
    chosen = (run_result or {}).get("autotune")
    if not isinstance(chosen, dict):
        return []
    return [f"autotune: {name} chose {config}"[:300] for name, config in sorted(chosen.items())[:8]]


class RunSession:
    """Answers one candidate run's requests: each kernel build (vetted for the backend, built outside
    the child, cached) and, once the kernels are built, a device leased from the pool until the run
    ends. Remembers what happened so the verdict can name the first failure."""

    def __init__(self, builder: Builder, backend: Backend, pool: DevicePool):
        self.builder, self.backend, self.pool = builder, backend, pool
        self.device: str | None = None
        self.artifacts: dict[str, str] = {}
        self.resources: list[dict] = []
        self.compile_s = 0.0
        self.logs: list[str] = []
        self.failure: tuple[Status, str, str] | None = None

    @property
    def log(self) -> str:
        return "\n".join(self.logs)

    def answer(self, job_dir: Path, text: str) -> str:
        if text == "device":
            if self.device is None:
                self.device = self.pool.acquire()
            return json.dumps({"device": self.device})
        return json.dumps(self._build(job_dir, text))

    def close(self) -> None:
        if self.device is not None:
            self.pool.release(self.device)
            self.device = None

    def _build(self, job_dir: Path, text: str) -> dict:
        if self.failure:
            return {"error": self.failure[1]}
        try:
            req = BuildRequest.from_dict(load_json(job_dir / "out" / f"req-{int(text)}.json", 16 << 20))
        except (ValueError, KeyError, TypeError, OSError) as e:
            self.failure = (Status.INVALID, f"malformed build request: {e}", "")
            return {"error": self.failure[1]}
        refusal = self.backend.check_request(req)
        if refusal:
            self.failure = (Status.INVALID, refusal, "")
            return {"error": refusal}
        try:
            b = self.builder.build(req)
        except BuildError as e:
            self.failure = (Status.REJECTED, str(e), "")
            return {"error": str(e)}
        self.compile_s += 0.0 if b.cached else b.seconds
        self.resources += b.resources
        if b.log:
            self.logs.append(b.log)
        if not b.ok:
            self.failure = (Status.COMPILE_ERROR, first_error_line(b.log), b.log)
            return {"error": self.failure[1]}
        if b.refusal:
            self.failure = (Status.REJECTED, b.refusal, "")
            return {"error": b.refusal}
        self.artifacts[req.key] = b.artifact or ""
        return {"artifact": stage_artifact(b.artifact, job_dir) if b.artifact else None, "run": self.backend.can_run}
