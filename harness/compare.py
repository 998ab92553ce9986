"""Parent-side correctness: candidate outputs against reference outputs, per dtype tolerance."""
from __future__ import annotations

import torch

from harness.result import Mismatch
from harness.tensorio import DTYPE_NAMES


def compare(ref: torch.Tensor, out: torch.Tensor, tol: dict, *, trial: int, output: int) -> Mismatch | None:
    """None if ``out`` matches; otherwise what went wrong and where."""
    if out.shape != ref.shape:
        return Mismatch(trial, output, f"shape {list(out.shape)} != expected {list(ref.shape)}")
    if out.dtype != ref.dtype:
        return Mismatch(trial, output, f"dtype {DTYPE_NAMES.get(out.dtype, out.dtype)} != expected "
                                       f"{DTYPE_NAMES.get(ref.dtype, ref.dtype)}")
    if not (ref.is_floating_point() or ref.is_complex()):
        bad = out != ref
        if not bad.any():
            return None
        idx = int(bad.reshape(-1).nonzero()[0])
        where = list(_unravel(idx, ref.shape))
        return Mismatch(trial, output, "integer output differs", where=where, n_bad=int(bad.sum()),
                        n_total=ref.numel(), expected=float(ref.reshape(-1)[idx]), got=float(out.reshape(-1)[idx]),
                        max_abs_err=float((out.double() - ref.double()).abs().max()), rel_l2=0.0, max_rel_err=0.0)
    r, o = ref.double(), out.double()
    ref_nan, out_nan = torch.isnan(r), torch.isnan(o)
    if (out_nan & ~ref_nan).any() or (torch.isinf(o) & ~torch.isinf(r)).any():
        bad = (out_nan & ~ref_nan) | (torch.isinf(o) & ~torch.isinf(r))
        idx = int(bad.reshape(-1).nonzero()[0])
        return Mismatch(trial, output, "NaN/Inf where the reference is finite", where=list(_unravel(idx, ref.shape)),
                        n_bad=int(bad.sum()), n_total=ref.numel(), expected=float(r.reshape(-1)[idx]),
                        got=float(o.reshape(-1)[idx]), max_abs_err=float("inf"), rel_l2=float("inf"),
                        max_rel_err=float("inf"))
    finite = ~(ref_nan | torch.isinf(r))
    diff = torch.where(finite, (o - r).abs(), torch.zeros_like(r))
    bound = tol["atol"] + tol["rtol"] * r.abs()
    bad = (diff > bound) & finite
    ref_norm = float(torch.linalg.vector_norm(torch.where(finite, r, 0.0)))
    rel_l2 = float(torch.linalg.vector_norm(diff)) / max(ref_norm, 1e-30)
    if not bad.any() and rel_l2 <= tol["rel_l2"]:
        return None
    flat = diff.reshape(-1)
    idx = int(flat.argmax())
    max_rel = float((diff / r.abs().clamp_min(1e-12)).max())
    reason = "values out of tolerance" if bad.any() else f"relative L2 error {rel_l2:.3g} > {tol['rel_l2']:.3g}"
    return Mismatch(trial, output, reason, max_abs_err=float(flat[idx]), max_rel_err=max_rel, rel_l2=rel_l2,
                    where=list(_unravel(idx, ref.shape)), expected=float(r.reshape(-1)[idx]),
                    got=float(o.reshape(-1)[idx]), n_bad=int(bad.sum()), n_total=ref.numel())


def degenerate_reasons(trial_outputs: list[list[torch.Tensor]]) -> list[str]:
    """Flags reference outputs a trivial kernel could match: near-zero, near-constant, input-independent."""
    reasons = []
    for j in range(len(trial_outputs[0]) if trial_outputs else 0):
        outs = [t[j] for t in trial_outputs if j < len(t)]
        if not outs[0].is_floating_point() or outs[0].numel() == 0:
            continue
        x = outs[0].double()
        if float(x.abs().max()) < 1e-6:
            reasons.append(f"output {j} is near zero (max |y| < 1e-6)")
        elif outs[0].numel() > 1 and float(x.std()) < 1e-6 * max(float(x.abs().mean()), 1e-30):
            reasons.append(f"output {j} is near-constant")
        if len(outs) > 1 and all(torch.equal(outs[0], o) for o in outs[1:]):
            reasons.append(f"output {j} is identical for every trial's random inputs (input-independent)")
    return reasons


def _unravel(idx: int, shape) -> tuple[int, ...]:
    out = []
    for s in reversed(shape):
        out.append(idx % s)
        idx //= s
    return tuple(reversed(out))
