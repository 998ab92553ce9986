"""Evaluation settings: the rule set, trials, tolerances, timing, timeouts, and the op allow-list."""
from __future__ import annotations

from dataclasses import dataclass, field

# Per output dtype: elementwise |out-ref| <= atol + rtol*|ref| (KernelBench's rule) AND
# ||out-ref|| / ||ref|| <= rel_l2, so an all-zero answer cannot pass on small outputs.
DEFAULT_TOLERANCES = {
    "float32": {"atol": 1e-4, "rtol": 1e-4, "rel_l2": 1e-3},
    "float64": {"atol": 1e-6, "rtol": 1e-6, "rel_l2": 1e-5},
    "float16": {"atol": 1e-2, "rtol": 1e-2, "rel_l2": 1e-2},
    "bfloat16": {"atol": 1e-2, "rtol": 1e-2, "rel_l2": 2e-2},
}

# aten ops a candidate's forward may dispatch without computing the task: allocation, views, copies.
DEFAULT_ALLOWED_OPS = frozenset({
    "aten::empty", "aten::empty_like", "aten::empty_strided", "aten::new_empty", "aten::new_empty_strided",
    "aten::zeros", "aten::zeros_like", "aten::new_zeros", "aten::fill_", "aten::zero_",
    "aten::view", "aten::_unsafe_view", "aten::reshape", "aten::as_strided", "aten::expand",
    "aten::permute", "aten::transpose", "aten::t", "aten::squeeze", "aten::unsqueeze", "aten::flatten",
    "aten::unflatten", "aten::contiguous", "aten::clone", "aten::copy_", "aten::detach", "aten::alias",
    "aten::lift_fresh", "aten::slice", "aten::select", "aten::narrow", "aten::split", "aten::chunk",
    "aten::resize_", "aten::_reshape_alias", "aten::split_with_sizes",
})


# What a candidate's forward may dispatch (README "Rules"):
# - "kernelbench" (default): KernelBench's own rules. PyTorch compute ops are allowed (partial
#   replacement: keep a library conv/GEMM, fuse the rest) and recorded in the result, but the
#   candidate's own kernels must do real work: it may not dispatch every compute op the reference
#   does, and its kernels' outputs must reach its result (an ablation run perturbs them).
# - "strict": no PyTorch compute op at all; only allocation, view and copy ops.
RULES = ("kernelbench", "strict")


@dataclass
class TimingConfig:
    warmup: int = 3
    min_reps: int = 10
    max_reps: int = 100
    target_s: float = 0.5
    audits: int = 3
    max_s: float = 3.0  # keep sampling while the estimate is noisy, up to this long (harness/worker/timing.py)

    def to_dict(self) -> dict:
        return dict(warmup=self.warmup, min_reps=self.min_reps, max_reps=self.max_reps,
                    target_s=self.target_s, audits=self.audits, max_s=self.max_s)


@dataclass
class EvalConfig:
    trials: int = 5
    seed: int = 42  # the fixed trials' seeds are seed, seed+1, ... (public: cached reference outputs)
    # Per evaluation, trials nobody can precompute (harness.trials): this many from a seed drawn then,
    # each also at the value-range variants where the task's op is defined. ``trial_seed`` replays a
    # seed a result recorded (its ``seeds["random"]``) instead of drawing one.
    random_trials: int = 1
    value_ranges: bool = True
    trial_seed: int | None = None
    timing: TimingConfig = field(default_factory=TimingConfig)
    time_kernels: bool = True
    compile_baseline: bool = False
    fresh_baseline: bool = False  # re-measure the reference instead of using the cached baseline
    allow_tf32: bool = False
    tolerances: dict = field(default_factory=dict)  # dtype -> {atol, rtol, rel_l2}, overrides defaults
    allowed_ops: frozenset = DEFAULT_ALLOWED_OPS  # non-compute ops (both rule sets)
    rules: str = "kernelbench"
    tolerance: float | None = None  # user override: atol = rtol for every float dtype (e.g. v0.1's 1e-2)
    static_checks: bool = True
    implausible_speedup: float = 10.0
    reverify_trials: int = 20
    load_timeout_s: float = 120.0
    run_timeout_s: float = 120.0
    compile_timeout_s: float = 900.0
    threads: int | None = None
    cuda_arch: str = "sm_90"
    profile: bool = False  # Nsight Compute runs the candidate outside the sandbox: opt-in (--ncu-profile)
    max_output_bytes: int = 4 << 30

    def __post_init__(self):
        if self.rules not in RULES:
            raise ValueError(f"unknown rules {self.rules!r}: use one of {', '.join(RULES)}")
        if self.tolerance is not None and not 0 < self.tolerance < 1:
            raise ValueError(f"tolerance must be between 0 and 1, got {self.tolerance}")

    def tolerance_for(self, dtype: str, task_tol: dict | None = None) -> dict:
        tol = dict(DEFAULT_TOLERANCES.get(dtype, {"atol": 0.0, "rtol": 0.0, "rel_l2": 0.0}))
        tol.update(task_tol or {})
        if self.tolerance is not None and dtype in DEFAULT_TOLERANCES:
            # The relative-L2 bound (our anti-zero check) loosens with it, never below its default.
            tol.update(atol=self.tolerance, rtol=self.tolerance, rel_l2=max(tol["rel_l2"], self.tolerance))
        tol.update(self.tolerances.get(dtype, {}))
        return tol

    def phase_timeouts(self) -> dict[str, float]:
        return {"start": self.load_timeout_s, "load": self.load_timeout_s, "default": self.run_timeout_s}
