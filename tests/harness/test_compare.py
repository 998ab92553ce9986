import torch

from harness.compare import compare, degenerate_reasons
from harness.config import EvalConfig

TOL = EvalConfig().tolerance_for("float32")


def test_exact_and_close_outputs_pass():
    y = torch.randn(64, 64)
    assert compare(y, y.clone(), TOL, trial=0, output=0) is None
    assert compare(y, y + 1e-6, TOL, trial=0, output=0) is None


def test_all_zero_answer_fails_even_when_every_element_is_within_atol():
    # softmax over rows of 65536: every entry ~1.5e-5 < atol, so the elementwise rule alone passes zeros
    ref = torch.softmax(torch.randn(4, 65536) * 0.1, dim=-1)
    assert float(ref.max()) < TOL["atol"]
    mm = compare(ref, torch.zeros_like(ref), TOL, trial=1, output=0)
    assert mm is not None and "relative L2" in mm.reason and mm.rel_l2 > 0.99


def test_mismatch_reports_where_and_values():
    ref = torch.zeros(3, 4)
    out = ref.clone()
    out[2, 1] = 0.5
    mm = compare(ref, out, TOL, trial=3, output=0)
    assert mm.where == [2, 1] and mm.got == 0.5 and mm.expected == 0.0 and mm.n_bad == 1 and mm.n_total == 12
    assert "(2, 1)" in mm.summary()


def test_nan_inf_shape_dtype_fail():
    ref = torch.ones(4)
    assert "NaN" in compare(ref, torch.tensor([1, float("nan"), 1, 1.0]), TOL, trial=0, output=0).reason
    assert "NaN/Inf" in compare(ref, torch.tensor([1, float("inf"), 1, 1.0]), TOL, trial=0, output=0).reason
    assert "shape" in compare(ref, torch.ones(5), TOL, trial=0, output=0).reason
    assert "dtype" in compare(ref, torch.ones(4, dtype=torch.float64), TOL, trial=0, output=0).reason


def test_tf32_like_error_fails_fp32_but_passes_looser_tolerance():
    a, b = torch.randn(128, 512), torch.randn(512, 128)
    ref = a @ b
    low = (a.bfloat16().float() @ b.bfloat16().float())
    assert compare(ref, low, TOL, trial=0, output=0) is not None
    assert compare(ref, low, {"atol": 0.5, "rtol": 0.05, "rel_l2": 0.05}, trial=0, output=0) is None


def test_integer_outputs_compare_exactly():
    ref = torch.arange(10)
    assert compare(ref, ref.clone(), TOL, trial=0, output=0) is None
    out = ref.clone()
    out[3] = 7
    assert compare(ref, out, TOL, trial=0, output=0).where == [3]


def test_degenerate_reference_flags():
    zeros = [[torch.zeros(8)], [torch.zeros(8)]]
    assert any("near zero" in r for r in degenerate_reasons(zeros))
    const = [[torch.full((8,), 3.0)], [torch.full((8,), 3.0)]]
    reasons = degenerate_reasons(const)
    assert any("near-constant" in r for r in reasons) and any("input-independent" in r for r in reasons)
    assert degenerate_reasons([[torch.randn(8)], [torch.randn(8)]]) == []
