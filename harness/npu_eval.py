"""NPU (AIE) kernels on the host emulation: static check -> compile -> run -> NPUEval comparison.

The candidate is a whole kernel source (the prompt's includes plus the function). It is compiled
in the parent under the compiler isolation of ``harness.build`` (kind ``aie_host``), run once on
the task's test vectors in a sandboxed child, and judged here from the output bytes the child
wrote. Every result says ``capability="emulated"``; its vector utilisation is the cost model's
estimate (``vector_util_kind="estimated"``), never presented as NPUEval's hardware vector score.
"""
from __future__ import annotations

import base64
import time
from pathlib import Path

from harness.backends.npu import NpuBackend
from harness.build import Builder, BuildRequest, BuildResult
from harness.jobs import JobReport, JobRunner
from harness.messages import first_error_line
from harness.result import EvalResult, Status
from harness.sandbox import Sandbox
from harness.static_checks import check_kernel_source, preprocessed
from harness.worker.aie_host import GUARD_BYTE, GUARD_BYTES
from npueval_tasks import cost_model
from npueval_tasks.host import (EXPANDED_RULES, INTERNAL_NAMES, TERNARY_BF16_ERROR, host_translation_unit,
                                promote_ternary_branches)
from npueval_tasks.task import NpuTask
from npueval_tasks.vectors import compare, from_bytes, to_bytes


class NpuEmulationEvaluator:
    def __init__(self, builder: Builder, *, backend: NpuBackend | None = None, work_root: Path | None = None,
                 run_timeout_s: float = 20.0, keep_jobs: bool = False):
        self.builder = builder
        self.backend = backend or NpuBackend()  # its toolchain, when configured, also compiles for the device
        self.runner = JobRunner(work_root, keep=keep_jobs)
        self.run_timeout_s = run_timeout_s

    def evaluate(self, task: NpuTask, candidate: Path, sandbox: Sandbox, devices=None) -> EvalResult:
        """The executor's entry (same shape as ``harness.evaluate.Evaluator.evaluate``): judge the kernel
        file ``candidate``. ``devices`` is not leased: the emulation times nothing, so concurrent runs
        cannot skew a verdict."""
        try:
            source = Path(candidate).read_text()
        except (OSError, UnicodeDecodeError) as e:
            return self._result(task, Status.INVALID, "static", f"cannot read candidate {candidate}: {e}")
        return self.evaluate_source(task, source, sandbox)

    def close(self) -> None:
        """The executor's end of use (as ``Evaluator.close``): emulation keeps nothing per run."""

    def evaluate_source(self, task: NpuTask, kernel_source: str, sandbox: Sandbox) -> EvalResult:
        t0 = time.perf_counter()
        res = self._evaluate(task, kernel_source, sandbox)
        res.wall_s = time.perf_counter() - t0
        return res

    def build(self, task: NpuTask, source: str) -> tuple[BuildResult, str | None]:
        """Compile; on g++'s bfloat16 ``?:`` error, retry once with promoted branches (and say so)."""
        def request(src: str) -> BuildRequest:
            return BuildRequest(kind="aie_host", name=task.name, sources=(host_translation_unit(task, src),))

        build = self.builder.build(request(source))
        if build.ok or not TERNARY_BF16_ERROR.search(build.log):
            return build, None
        retry = self.builder.build(request(promote_ternary_branches(source)))
        if not retry.ok:
            return build, None
        return retry, ("host emulation: ?: branches mixing bfloat16 and other types were promoted to float "
                       "(as the AIE compiler does) to compile with g++")

    def _result(self, task: NpuTask, status: Status, rung: str, error: str | None = None, **kw) -> EvalResult:
        return EvalResult(task=task.name, backend="npu", status=status, rung=rung, error=error,
                          capability="emulated", **kw)

    def _evaluate(self, task: NpuTask, source: str, sandbox: Sandbox) -> EvalResult:
        why = check_kernel_source(source, (INTERNAL_NAMES,)) or check_kernel_source(preprocessed(source), EXPANDED_RULES)
        if why:
            return self._result(task, Status.REJECTED, "static", why)
        build, note = self.build(task, source)
        if not build.ok:
            return self._result(task, Status.COMPILE_ERROR, "compile", first_error_line(build.log), messages=build.log,
                                compile_s=build.seconds)
        common = {"compile_s": build.seconds, "warnings": [note] if note else []}
        asm_note = None
        toolchain = self.backend.toolchain
        if toolchain:
            device = toolchain.compile(source)
            if not device.ok:
                return EvalResult(task=task.name, backend="npu", status=Status.COMPILE_ERROR, rung="compile",
                                  error=f"AIE compiler ({toolchain.target}): {first_error_line(device.log, 400)}",
                                  messages=device.log, capability="compiled_only")
            common["warnings"].append(f"also compiled for {toolchain.target} with {toolchain.clang}")
            if device.slots is not None:
                common["resources"] = device.slots.resources()
                asm_note = device.slots.summary()
            elif device.listing_error:
                common["warnings"].append(f"no assembly listing: {first_error_line(device.listing_error, 200)}")
        args = task.arguments()
        rtps = {b.name for b in task.rtps}
        job = {"role": "aie_host", "artifact": build.artifact, "threads": 1,
               "args": [{"name": p.name, "data": base64.b64encode(to_bytes(b)).decode(),
                         "role": "rtp" if b.name in rtps else ("output" if b is task.output else "input")}
                        for p, b in args]}
        report = self.runner.run(sandbox, job, {"default": self.run_timeout_s})
        try:
            fail = report.failure()
            if fail:
                return self._result(task, Status(fail[0]), fail[1], fail[2], messages=report.messages(), **common)
            return self._judge(task, report, common, asm_note)
        finally:
            self.runner.discard(report)

    def _judge(self, task: NpuTask, report: JobReport, common: dict, asm_note: str | None) -> EvalResult:
        stats = (report.result or {}).get("stats") or {}
        if stats.get("events0") != 1 or stats.get("events1") != 1:
            return self._result(task, Status.INVALID, "correctness",
                                f"the wrapper must call event0() and event1() once each (saw {stats.get('events0')} "
                                f"and {stats.get('events1')})", **common)
        rtps = {b.name for b in task.rtps}
        for i, (p, b) in enumerate(task.arguments()):
            if b.name in rtps:
                continue
            path = report.job_dir / "out" / f"{i}.bin"
            raw = path.read_bytes() if path.is_file() else b""
            if len(raw) != b.nbytes + GUARD_BYTES:
                return self._result(task, Status.RUNTIME_ERROR, "correctness", f"buffer {p.name} was not reported back",
                                    **common)
            if raw[b.nbytes:] != bytes([GUARD_BYTE]) * GUARD_BYTES:
                first = next(k for k, x in enumerate(raw[b.nbytes:]) if x != GUARD_BYTE)
                return self._result(task, Status.RUNTIME_ERROR, "correctness",
                                    f"wrote past the end of {p.name} ({b.size} elements): byte {first} after it "
                                    "was changed", **common)
            if b is task.output:
                out_raw = raw[:b.nbytes]
        est = cost_model.estimate(stats, (report.result or {}).get("liveness"))
        profile = est.summary() + (f"\n{asm_note}" if asm_note else "")
        extra = dict(vector_util=est.utilisation, vector_util_kind="estimated", profile=profile, **common)
        mm = compare(task.output, from_bytes(task.output.dtype, out_raw), atol=task.atol, rtol=task.rtol)
        if mm:
            return self._result(task, Status.INCORRECT, "correctness", mm.summary(), mismatch=mm, **extra)
        return self._result(task, Status.OK, "profile", **extra)
