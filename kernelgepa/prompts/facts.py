"""Facts about one task in one run, as the writer needs them: input shapes and dtypes at the size
actually evaluated (from the loader's real ``get_inputs()``, not the source's constants), the
constructor's arguments and parameters, device and arch, TF32, tolerances."""
from __future__ import annotations

import ast
import os
import platform
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunFacts:
    """What a run's harness does with a kernel; built from its evaluator (``run_facts``)."""
    backend: str
    device: str                 # what kernels run on here, and what verdict that allows
    arch: str                   # sm_90, x86_64, aie2 ...
    allow_tf32: bool = False
    trials: int = 5
    tolerances: dict = field(default_factory=dict)  # dtype -> {atol, rtol, rel_l2} (the config's overrides)
    rules: str = "kernelbench"  # the rule set in force (kernelgepa.prompts.common.RULE_SETS)
    tolerance_override: float | None = None  # --tolerance: atol = rtol for every float dtype
    timed: bool = True          # kernels are timed here (else compiled or interpreted only)

    def tolerance(self, dtype: str, task_tol: dict | None) -> dict:
        from harness.config import EvalConfig

        return EvalConfig(tolerances=self.tolerances, tolerance=self.tolerance_override).tolerance_for(dtype, task_tol)

    def lines(self) -> str:
        out = [f"Device: {self.device}."]
        if self.backend != "npu":
            out.append("TF32 is " + ("ON for the reference's fp32 matmuls and convolutions." if self.allow_tf32 else
                                     "OFF: the reference's fp32 matmuls and convolutions run in full fp32, so a "
                                     "kernel using TF32 (or fp16/bf16 math) for fp32 data fails the tolerance."))
        return "\n".join(out)


def run_facts(backend, cfg=None) -> RunFacts:
    """``backend``: a harness Backend; ``cfg``: the run's EvalConfig (None: the defaults)."""
    from harness.config import EvalConfig

    cfg = cfg or EvalConfig()
    name = backend.name
    if name == "npu":
        target = backend.toolchain.target if getattr(backend, "toolchain", None) else "aie2"
        also = "also compiled for the AIE with Peano" if getattr(backend, "toolchain", None) else "not compiled for the AIE here"
        return RunFacts(name, f"AMD NPU ({target}) kernel, judged by a host emulation of the AIE API on the task's "
                              f"test vectors ({also}); no hardware timing", target, timed=False)
    if name == "cpu":
        arch = platform.machine() or "cpu"
        device = f"CPU ({arch}, {cfg.threads or os.cpu_count()} threads for the kernel and the reference alike)"
    else:
        arch = cfg.cuda_arch
        if backend.interpreted:
            device = (f"no GPU on this machine: Triton kernels run in its interpreter on CPU tensors; verdict "
                      f"`interpreted` (correctness only, not timed)")
        elif backend.can_run:
            device = f"NVIDIA GPU {backend.device_name(backend.devices()[0])} ({arch})"
        else:
            device = (f"NVIDIA GPU {arch} is the target, but this machine cannot run kernels: they are compiled "
                      f"for {arch} and not run; verdict `compiled_only` (correctness and speed unknown)")
    timed = name == "cpu" or (backend.can_run and not backend.interpreted)
    return RunFacts(name, device, arch, cfg.allow_tf32, cfg.trials, dict(cfg.tolerances), rules=cfg.rules,
                    tolerance_override=cfg.tolerance, timed=timed)


# ---- KernelBench tasks ----------------------------------------------------------------------------------
def reference_source(task) -> str:
    """The reference as evaluated: size constants rewritten to the loaded size, SIZE_PROFILES left out
    (its other sizes are not the ones this run measures)."""
    from kernelbench_tasks.task import apply_overrides

    src = apply_overrides(task.source, task.overrides)
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return src
    lines = src.splitlines(keepends=True)
    for node in reversed(tree.body):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SIZE_PROFILES" for t in node.targets):
            del lines[node.lineno - 1:node.end_lineno]
    return "".join(lines).replace("\n\n\n\n", "\n\n\n").strip()


def _forward_args(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Model":
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and f.name == "forward":
                    return [a.arg for a in f.args.args[1:]]
    return []


def _mib(spec) -> str:
    from kernelbench_tasks.task import _nbytes

    n = _nbytes(spec)
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.1f} KiB"


def task_facts(task, run: RunFacts | None) -> str:
    """The facts block of a KernelBench task's prompt."""
    names = _forward_args(task.source)
    size = "as written" if task.size_label == "default" else task.size_label
    ins = [f"{names[i] if i < len(names) else f'input {i}'}: {s}" + (f" ({_mib(s)})" if s.shape is not None else "")
           for i, s in enumerate(task.inputs)]
    out = [f"Task {task.name}" + (f" (level {task.level})" if task.level is not None else "") + f", sizes {size}.",
           "forward's inputs at the evaluated size (from get_inputs()): " + ("; ".join(ins) or "none") + "."]
    out.append(f"Constructor: ModelNew(*get_init_inputs()) = ModelNew({', '.join(task.init_args)}).")
    if task.parameters:
        out.append("Model's parameters and buffers, in creation order: "
                   + "; ".join(f"{n}: {s}" for n, s in task.parameters) + ".")
    if run:
        out.append(run.lines())
        dtypes = sorted({s.dtype for s in task.inputs if s.shape is not None and s.dtype.startswith(("float", "bfloat"))})
        tol = "; ".join(f"{d}: atol {t['atol']:g}, rtol {t['rtol']:g}, rel_l2 {t['rel_l2']:g}"
                        for d in dtypes for t in [run.tolerance(d, task.tolerance)])
        out.append(f"Correctness: on {run.trials} trials with fresh random inputs every output must match Model's "
                   "in shape and dtype, with |out - ref| <= atol + rtol*|ref| elementwise and ||out - ref|| / ||ref|| "
                   f"<= rel_l2 (per output dtype{'; ' + tol if tol else ''}).")
        if run.timed:
            out.append("Score: a correct kernel's speedup over the PyTorch reference (median of repeated runs).")
    return "\n".join(out)


# ---- NPUEval tasks ------------------------------------------------------------------------------------
def npu_task_facts(task, run: RunFacts | None) -> str:
    bufs = [f"{b.name}: {b.dtype}[{b.size}]" for b in task.inputs]
    out = [f"Task {task.name}.",
           f"Buffers: inputs {', '.join(bufs) or 'none'}; output {task.output.name}: {task.output.dtype}[{task.output.size}]"
           + (f"; runtime parameters {', '.join(f'{b.name} = {b.values[0]:g}' for b in task.rtps)}" if task.rtps else "")
           + ".",
           f"Correctness: |got - expected| <= atol + rtol*|expected| on the test vectors, atol {task.atol:g}, "
           f"rtol {task.rtol:g}; among correct kernels a higher share of vector work scores better."]
    if run:
        out.append(run.lines())
    return "\n".join(out)
