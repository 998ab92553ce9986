"""Trials a candidate cannot predict: a random seed per evaluation, and the same inputs moved to
other value ranges.

The fixed trials (seeds ``cfg.seed + k``) are public, so a candidate could ship their outputs. Each
evaluation therefore adds one trial from a seed drawn here (recorded in the result; ``EvalConfig
(trial_seed=...)`` replays it) and, per value-range variant, that trial's floating-point inputs scaled
and shifted. A variant is used only where the task's op is defined and well conditioned there: the
reference's outputs must be finite, not degenerate, and its float32 result must agree with its own
float64 result within a quarter of the tolerance (else an honest kernel summing in another order
could not be expected to pass with the tolerance unchanged).
"""
from __future__ import annotations

import secrets

import torch

# name -> (scale, shift) applied to every floating-point input: x * scale + shift.
VARIANTS = {"scaled_x1000": (1000.0, 0.0), "negated_shifted": (-1.0, 3.0)}
_DESCRIBE = {"scaled_x1000": "inputs scaled by 1000", "negated_shifted": "inputs negated and shifted by +3"}


def draw_seed() -> int:
    """A seed nobody can know before the evaluation starts (not derived from anything public)."""
    return secrets.randbelow(2**31 - 1) + 1


def vary(values: list, variant: str) -> list:
    scale, shift = VARIANTS[variant]
    return [v * scale + shift if isinstance(v, torch.Tensor) and v.is_floating_point() else v for v in values]


def has_float_input(values: list) -> bool:
    return any(isinstance(v, torch.Tensor) and v.is_floating_point() for v in values)


def describe(trial: dict) -> str | None:
    """How a trial's inputs were drawn, for a failure message; None for a fixed trial."""
    if trial.get("variant"):
        return f"{_DESCRIBE.get(trial['variant'], trial['variant'])} (random seed {trial['seed']})"
    if trial.get("random"):
        return f"random seed {trial['seed']}"
    return None


def unusable(outputs: list[torch.Tensor], exact: list[torch.Tensor], tolerances: dict) -> str | None:
    """Why the reference's outputs on varied inputs make no fair trial, or None. ``exact``: the same
    Model run in float64 (empty if it cannot be); ``tolerances``: dtype name -> {atol, rtol, rel_l2}."""
    from harness.compare import compare

    for j, out in enumerate(outputs):
        if not out.is_floating_point():
            continue
        x = out.detach().double()
        if not bool(torch.isfinite(x).all()):
            return f"output {j} is not finite there"
        if x.numel() and float(x.abs().max()) < 1e-6 or x.numel() > 1 and float(x.std()) < 1e-6 * float(x.abs().mean()):
            return f"output {j} is near zero or constant there"
        if len(exact) != len(outputs):
            return "the reference cannot run in float64 to check its own conditioning"
        tol = tolerances.get(str(out.dtype).removeprefix("torch."))
        if tol is None:
            continue
        quarter = {k: v / 4 for k, v in tol.items()}
        if compare(exact[j].to(out.dtype), out, quarter, trial=0, output=j) is not None:
            return f"output {j} is ill-conditioned there (the float32 reference is off its float64 self)"
    return None
