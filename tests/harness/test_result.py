import json

from harness.metrics import summarize
from harness.result import EvalResult, Mismatch, Status, Timing


def test_result_json_roundtrip_keeps_everything_reports_need():
    t = Timing(median_ms=1.0, mean_ms=1.1, min_ms=0.9, max_ms=2.0, std_ms=0.1, cv=0.09, reps=50)
    r = EvalResult(task="1_ReLU", backend="cpu", status=Status.INCORRECT, rung="correctness", error="bad",
                   mismatch=Mismatch(trial=2, output=0, reason="values out of tolerance", where=[1, 2],
                                     max_abs_err=0.5, max_rel_err=1.0, rel_l2=0.1, expected=0.0, got=0.5,
                                     n_bad=1, n_total=8),
                   kernel=t, baseline=t, speedup=1.0, size_label="shrunk:64MB", level=1, warnings=["w"])
    d = json.loads(json.dumps(r.to_dict()))
    assert d["status"] == "incorrect" and d["correct"] is False and d["kernel_ms"] == 1.0 and d["baseline_ms"] == 1.0
    back = EvalResult.from_dict(d)
    assert back == r


def test_summary_counts_failures_in_fast_p():
    s = summarize([(True, 2.5), (True, 0.7), (False, None), (False, 9.0)])
    assert s["fast_p"]["1.0"] == 0.25 and s["fast_p"]["0.5"] == 0.5 and s["fast_p"]["2.0"] == 0.25
    assert abs(s["geomean_speedup"] - (2.5 * 0.7) ** 0.5) < 1e-12 and s["n_correct"] == 2


def test_geomean_over_all_tasks_counts_failures_and_missing_tasks_as_one():
    s = summarize([(True, 4.0), (False, 9.0), (True, 0.25)], n_tasks=4)  # one task has no result at all
    assert abs(s["geomean_speedup_all"] - (4.0 * 1.0 * 0.25 * 1.0) ** 0.25) < 1e-12
    assert abs(s["geomean_speedup"] - 1.0) < 1e-12
    assert summarize([(False, None)])["geomean_speedup_all"] == 1.0
