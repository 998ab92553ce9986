"""The harness's verdict for one (task, candidate): a JSON-serializable dataclass."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class Status(str, Enum):
    OK = "ok"
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    INCORRECT = "incorrect"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    INVALID = "invalid"
    REJECTED = "rejected"
    COMPILED_ONLY = "compiled_only"
    # Correct when run through an interpreter (Triton on CPU): proves correctness, claims no speed.
    INTERPRETED = "interpreted"
    # Not a verdict: the machinery failed (a cluster worker or node died mid-evaluation, even after
    # retries), so nothing is known about the kernel. Never scored; evaluate it again.
    INFRA_ERROR = "infra_error"


# The ladder, in order; ``rung`` is the last one reached.
RUNGS = ("static", "reference", "compile", "load", "correctness", "timing", "profile", "done")


@dataclass
class Timing:
    median_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float
    std_ms: float
    cv: float
    reps: int

    @classmethod
    def from_dict(cls, d: dict | None) -> "Timing | None":
        if not d:
            return None
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass
class Mismatch:
    trial: int
    output: int
    reason: str
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    rel_l2: float | None = None
    where: list[int] | None = None
    expected: float | None = None
    got: float | None = None
    n_bad: int | None = None
    n_total: int | None = None

    def summary(self) -> str:
        if self.where is None:
            return f"trial {self.trial}, output {self.output}: {self.reason}"
        return (f"trial {self.trial}, output {self.output}: {self.reason}; {self.n_bad}/{self.n_total} elements "
                f"out of tolerance, max abs err {self.max_abs_err:.3g} at {tuple(self.where)} "
                f"(expected {self.expected:.6g}, got {self.got:.6g}), rel L2 err {self.rel_l2:.3g}")


@dataclass
class EvalResult:
    task: str
    backend: str
    status: Status
    rung: str
    error: str | None = None
    messages: str = ""
    mismatch: Mismatch | None = None
    kernel: Timing | None = None
    baseline: Timing | None = None
    compile_baseline: Timing | None = None
    speedup: float | None = None
    # 95% interval of the speedup, and whether it is too wide to be a speed claim (harness.noise).
    speedup_ci: list[float] | None = None
    noisy: bool = False
    compile_s: float | None = None
    wall_s: float | None = None
    resources: list[dict] = field(default_factory=list)
    profile: str | None = None
    size_label: str = "default"
    level: int | None = None
    warnings: list[str] = field(default_factory=list)
    sandbox: dict = field(default_factory=dict)
    # NPU results: how the verdict was reached ("emulated" on the host AIE emulation,
    # "compiled_only" by the real compiler, "hardware" on an NPU) and the vector utilisation with
    # its kind ("estimated" from the emulation's cost model, "trace" from a hardware trace).
    capability: str | None = None
    vector_util: float | None = None
    vector_util_kind: str | None = None
    # Where it ran: the Ray node id under the Ray executor, None for this machine.
    node: str | None = None
    # The rules that made the verdict ("kernelbench" | "strict", README "Rules"), a user's tolerance
    # override, and the PyTorch compute ops the candidate's forward dispatched (kernelbench rules).
    rules: str = "kernelbench"
    tolerance: float | None = None
    torch_ops: list[str] = field(default_factory=list)
    # The seeds its trials used: {"fixed": [...], "random": [...], "value_ranges": [variants used],
    # "skipped_value_ranges": {variant: why}}; ``EvalConfig(trial_seed=...)`` replays "random".
    seeds: dict = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.status == Status.OK

    @property
    def kernel_ms(self) -> float | None:
        return self.kernel.median_ms if self.kernel else None

    @property
    def baseline_ms(self) -> float | None:
        return self.baseline.median_ms if self.baseline else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        d.update(correct=self.correct, kernel_ms=self.kernel_ms, baseline_ms=self.baseline_ms)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "EvalResult":
        fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        fields["status"] = Status(d["status"])
        fields["kernel"] = Timing.from_dict(d.get("kernel"))
        fields["baseline"] = Timing.from_dict(d.get("baseline"))
        fields["compile_baseline"] = Timing.from_dict(d.get("compile_baseline"))
        fields["mismatch"] = Mismatch(**d["mismatch"]) if d.get("mismatch") else None
        return cls(**fields)
