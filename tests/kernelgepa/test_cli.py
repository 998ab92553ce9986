"""The ``kernelgepa`` command line: tasks, eval, baseline (in-process and through the console script),
plus the fast_p / geomean metrics it reports."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from harness.metrics import FAST_P_THRESHOLDS, fast_p, geomean, summarize
from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR
from kernelgepa.cli import main

L1 = SUITE_DIR / "level1"
FAST_P_KEYS = ["0.0", "0.5", "0.8", "1.0", "1.5", "2.0"]
RESULT_KEYS = {"task", "status", "correct", "speedup", "baseline_ms", "kernel_ms", "error"}

MISSING_MODEL = """import torch


def get_inputs():
    return [torch.randn(4)]


def get_init_inputs():
    return []
"""


def copy(src: Path, dst_dir: Path) -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, dst_dir / src.name))


def one_line_usage_error(rc: int, err: str) -> str:
    assert rc == 2, err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kernelgepa: error:"), err
    assert "Traceback" not in err
    return lines[0]


def kernelgepa_exe() -> str:
    exe = shutil.which("kernelgepa")
    if exe is None:
        pytest.fail("the kernelgepa console script is not installed (pip install -e .)")
    return exe


# ---- tasks ------------------------------------------------------------------------------------
def test_tasks_lists_the_suite(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that the table does not fold names
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    names = [p.stem for p in SUITE_DIR.rglob("*.py") if not p.name.startswith("_")]
    assert len(names) >= 15
    missing = [n for n in names if n not in out]
    assert not missing, out
    assert "error" not in out.lower()


def test_tasks_json_includes_bad_tasks(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    folder = tmp_path / "tasks"
    copy(L1 / "1_ReLU.py", folder)
    (folder / "2_NoModel.py").write_text(MISSING_MODEL)
    out_json = tmp_path / "out" / "tasks.json"
    assert main(["tasks", str(folder), "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "1_ReLU" in printed and "2_NoModel" in printed

    data = json.loads(out_json.read_text())
    rows = {r["name"]: r for r in data["tasks"]}
    assert set(rows) == {"1_ReLU", "2_NoModel"}
    for r in rows.values():
        assert {"name", "level", "status", "error", "inputs", "size_label", "overrides"} <= set(r)
    good, bad = rows["1_ReLU"], rows["2_NoModel"]
    assert good["status"] == "loaded" and good["error"] is None
    assert good["inputs"] == ["float32[128, 16384]"] and good["size_label"] == "default"
    assert bad["status"] == "error" and "Model" in bad["error"] and "\n" not in bad["error"]
    assert bad["inputs"] == []


def test_tasks_json_records_profile_and_shrink(tmp_path):
    out_json = tmp_path / "t.json"
    assert main(["tasks", str(L1 / "1_ReLU.py"), "--profile", "gpu", "--shrink-to", "16MB",
                 "--json", str(out_json)]) == 0
    [row] = json.loads(out_json.read_text())["tasks"]
    assert row["status"] == "loaded"
    assert row["size_label"].startswith("shrunk:16MB") and "profile:gpu" in row["size_label"]
    assert row["overrides"]["batch_size"] < 4096 or row["overrides"]["dim"] < 16384


# ---- usage errors: one line, exit 2, no traceback ---------------------------------------------
@pytest.mark.parametrize("argv", [
    ["tasks", "{missing}"],
    ["eval", "--tasks", "{missing}"],
    ["baseline", "--tasks", "{missing}"],
    ["tasks", "--shrink-to", "banana"],
    ["eval", "--shrink-to", "banana"],
    ["eval", "--solutions", "{missing}"],
], ids=["tasks-missing", "eval-missing", "baseline-missing", "tasks-shrink", "eval-shrink", "eval-no-solutions"])
def test_usage_errors_are_one_line(argv, tmp_path, capsys):
    missing = str(tmp_path / "nope")
    rc = main([a.format(missing=missing) for a in argv])
    cap = capsys.readouterr()
    line = one_line_usage_error(rc, cap.err)
    if "--shrink-to" in argv:
        assert "banana" in line and "shrink" in line
    else:
        assert missing in line
    assert "Traceback" not in cap.out


def test_ray_address_without_the_ray_executor_is_a_usage_error(capsys):
    rc = main(["eval", "--tasks", str(L1 / "1_ReLU.py"), "--ray-address", "127.0.0.1:6379"])
    assert "--ray-address needs --executor ray" in one_line_usage_error(rc, capsys.readouterr().err)


@pytest.mark.parametrize("args", [["tasks", "/no/such/kgepa/path"], ["eval", "--shrink-to", "banana"]],
                         ids=["missing-path", "bad-size"])
def test_console_script_usage_error(args):
    proc = subprocess.run([kernelgepa_exe(), *args], capture_output=True, text=True, timeout=120)
    line = one_line_usage_error(proc.returncode, proc.stderr)
    assert ("/no/such/kgepa/path" in line) if args[0] == "tasks" else ("banana" in line)


def test_console_script_tasks_json(tmp_path):
    out_json = tmp_path / "tasks.json"
    proc = subprocess.run([kernelgepa_exe(), "tasks", str(L1 / "5_Softmax.py"), "--json", str(out_json)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    [row] = json.loads(out_json.read_text())["tasks"]
    assert row["name"] == "5_Softmax" and row["status"] == "loaded" and row["level"] == 1


# ---- eval -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cpu_eval_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-eval")
    tasks, sols = root / "tasks", root / "solutions"
    for name in ("1_ReLU", "5_Softmax", "2_LeakyReLU"):
        copy(L1 / f"{name}.py", tasks)
    for name in ("1_ReLU", "5_Softmax"):
        copy(EXAMPLES_DIR / "cpu" / f"{name}.py", sols)
    out_json = root / "eval.json"
    rc = main(["eval", "--tasks", str(tasks), "--solutions", str(sols), "--backend", "cpu", "--trials", "2",
               "--json", str(out_json), "--cache-dir", str(root / "cache")])
    return rc, json.loads(out_json.read_text()) if out_json.exists() else None


def test_eval_exit_code_and_result_rows(cpu_eval_run):
    rc, data = cpu_eval_run
    assert rc == 0 and data is not None
    rows = data["results"]
    assert [r["task"] for r in rows] == ["1_ReLU", "2_LeakyReLU", "5_Softmax"]
    for r in rows:
        assert RESULT_KEYS <= set(r), set(r)
    assert data["meta"]["backend"] == "cpu" and data["meta"]["trials"] == 2
    # which rules made the numbers, and fast_p split by PyTorch compute ops kept (none here)
    assert data["meta"]["rules"] == data["summary"]["rules"] == "kernelbench"
    assert all(r["rules"] == "kernelbench" and r["torch_ops"] == [] for r in rows)
    assert data["summary"]["fast_p_pure"] == data["summary"]["fast_p"]


def test_eval_solved_tasks_are_ok_with_real_speedups(cpu_eval_run):
    _, data = cpu_eval_run
    rows = {r["task"]: r for r in data["results"]}
    for name in ("1_ReLU", "5_Softmax"):
        r = rows[name]
        assert r["status"] == "ok" and r["correct"] is True, r["error"]
        assert r["error"] is None
        assert r["baseline_ms"] > 0 and r["kernel_ms"] > 0
        assert r["speedup"] > 0
        lo, hi = r["speedup_ci"]  # the median of paired ratios (reference and kernel timed alternately)
        assert lo <= r["speedup"] <= hi and isinstance(r["noisy"], bool)


def test_eval_task_without_solution_is_a_failure(cpu_eval_run):
    _, data = cpu_eval_run
    r = next(r for r in data["results"] if r["task"] == "2_LeakyReLU")
    assert r["status"] != "ok" and r["correct"] is False
    assert r["speedup"] is None and r["kernel_ms"] is None
    assert r["error"] and "solution" in r["error"]


def test_eval_summary_counts_failures(cpu_eval_run):
    _, data = cpu_eval_run
    s, rows = data["summary"], data["results"]
    assert s["n_tasks"] == 3 and s["n_correct"] == 2
    assert list(s["fast_p"]) == FAST_P_KEYS
    assert s["fast_p"]["0.0"] == pytest.approx(2 / 3)
    for key, val in s["fast_p"].items():
        want = sum(1 for r in rows if r["correct"] and r["speedup"] > float(key)) / 3
        assert val == pytest.approx(want), key
    speedups = [r["speedup"] for r in rows if r["correct"]]
    assert len(speedups) == 2
    assert s["geomean_speedup"] == pytest.approx(math.sqrt(speedups[0] * speedups[1]), rel=1e-9)
    assert s["size_labels"] == ["default"]


# ---- baseline ---------------------------------------------------------------------------------
def test_baseline_measures_then_serves_from_cache(tmp_path):
    task = copy(L1 / "1_ReLU.py", tmp_path / "t")
    cache = tmp_path / "cache"
    first, second = tmp_path / "b1.json", tmp_path / "b2.json"
    argv = ["baseline", "--tasks", str(task), "--backend", "cpu", "--cache-dir", str(cache), "--json"]
    assert main([*argv, str(first)]) == 0
    [row] = json.loads(first.read_text())["baselines"]
    assert row["name"] == "1_ReLU" and row["status"] == "ok", row
    assert row["baseline_ms"] > 0
    spread = row["spread"]
    assert {"min_ms", "max_ms", "cv", "reps"} <= set(spread)
    assert 0 < spread["min_ms"] <= row["baseline_ms"] <= spread["max_ms"] and spread["reps"] >= 1
    assert any(p.is_file() for p in cache.rglob("*")), "nothing was cached"

    assert main([*argv, str(second)]) == 0
    [again] = json.loads(second.read_text())["baselines"]
    assert again["status"] == "ok"
    # a fresh measurement would practically never reproduce every float exactly; a noisy one is never reused
    if row["noisy"]:
        assert again["spread"] != spread
    else:
        assert again["baseline_ms"] == row["baseline_ms"] and again["spread"] == spread
    assert not [p for p in cache.rglob("*.bin")], "a baseline needs no stored tensors"


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present: the cuda backend can run")
def test_baseline_on_cuda_without_gpu_is_a_usage_error(tmp_path, capsys):
    rc = main(["baseline", "--tasks", str(L1 / "1_ReLU.py"), "--backend", "cuda",
               "--cache-dir", str(tmp_path / "c")])
    line = one_line_usage_error(rc, capsys.readouterr().err)
    assert "cuda" in line


# ---- cuda without a GPU: compiled, never claimed as run ----------------------------------------
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present: kernels really run")
def test_eval_cuda_without_gpu_is_compiled_only(tmp_path):
    task = copy(L1 / "1_ReLU.py", tmp_path / "t")
    out_json = tmp_path / "cuda.json"
    rc = main(["eval", "--tasks", str(task), "--solutions", str(EXAMPLES_DIR / "cuda"), "--backend", "cuda",
               "--trials", "1", "--json", str(out_json), "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    data = json.loads(out_json.read_text())
    [r] = data["results"]
    assert r["task"] == "1_ReLU"
    assert r["status"] == "compiled_only", r
    assert r["correct"] is False and r["speedup"] is None and r["kernel_ms"] is None
    assert "not run" in r["error"] and "GPU" in r["error"]
    assert data["summary"]["n_correct"] == 0 and data["summary"]["fast_p"]["0.0"] == 0


# ---- harness.metrics --------------------------------------------------------------------------
def test_fast_p_counts_failures_in_the_denominator():
    pairs = [(True, 2.0), (False, None), (True, 0.5), (False, 9.0)]
    assert fast_p(pairs, 0.0) == 0.5
    assert fast_p(pairs, 1.0) == 0.25


def test_fast_p_counts_missing_tasks():
    pairs = [(True, 2.0), (True, 3.0)]
    assert fast_p(pairs, 1.0) == 1.0
    assert fast_p(pairs, 1.0, n_tasks=8) == 0.25
    assert summarize(pairs, n_tasks=8)["fast_p"]["1.0"] == 0.25
    assert summarize(pairs, n_tasks=8)["n_tasks"] == 8


def test_fast_p_threshold_is_strict():
    pairs = [(True, 1.0), (True, 1.5), (True, 0.8)]
    assert fast_p(pairs, 1.0) == pytest.approx(1 / 3)
    assert fast_p(pairs, 1.5) == 0.0
    assert fast_p(pairs, 0.8) == pytest.approx(2 / 3)


def test_fast_p_ignores_correct_results_without_speedup_and_handles_empty():
    assert fast_p([(True, None), (True, 2.0)], 0.0) == 0.5
    assert fast_p([], 1.0) == 0.0
    assert fast_p([], 1.0, n_tasks=0) == 0.0


def test_geomean_ignores_failures():
    s = summarize([(True, 2.0), (False, 100.0), (True, 0.5), (False, None)])
    assert s["geomean_speedup"] == pytest.approx(1.0)
    assert s["n_tasks"] == 4 and s["n_correct"] == 2
    assert list(s["fast_p"]) == [str(p) for p in FAST_P_THRESHOLDS] == FAST_P_KEYS
    assert s["fast_p"]["0.0"] == 0.5 and s["fast_p"]["1.0"] == 0.25


def test_geomean_values():
    assert geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert geomean([3.0]) == pytest.approx(3.0)
    assert geomean([]) is None
    assert geomean([None, 0.0]) is None
    assert summarize([(False, 2.0)])["geomean_speedup"] is None


def test_eval_npu_canonical_reports_pass_rate_and_estimated_vector_util(tmp_path, capsys):
    from npueval_tasks import EXAMPLES_FILE

    out = tmp_path / "npu.json"
    rc = main(["eval", "--backend", "npu", "--tasks", str(EXAMPLES_FILE), "--solutions", "canonical",
               "--cache-dir", str(tmp_path / "cache"), "--json", str(out)])
    assert rc == 0
    data = json.loads(out.read_text())
    s = data["summary"]
    assert (s["n_tasks"], s["n_passed"], s["pass_rate"]) == (3, 3, 1.0)
    assert s["vector_util_kind"] == "estimated" and "not a hardware trace" in s["vector_util_label"]
    assert s["mean_vector_util"] == 0.0 and s["capability"] == ["emulated"]  # scalar canonical solutions
    assert "3/3 passed" in capsys.readouterr().out


def test_eval_npu_counts_missing_solutions_and_rejects_bad_tasks_path(tmp_path, capsys):
    from npueval_tasks import EXAMPLES_FILE

    sols = tmp_path / "sols"
    sols.mkdir()
    (sols / "add_saturate_int8.cc").write_text((Path(__file__).parents[1] / "npueval_tasks" / "kernels"
                                                / "add_saturate_int8.cc").read_text())
    out = tmp_path / "npu.json"
    assert main(["eval", "--backend", "npu", "--tasks", str(EXAMPLES_FILE), "--solutions", str(sols),
                 "--cache-dir", str(tmp_path / "cache"), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    by_task = {r["task"]: r for r in data["results"]}
    assert by_task["scale_q14_int16"]["status"] == "invalid" and "no solution" in by_task["scale_q14_int16"]["error"]
    util = by_task["add_saturate_int8"]["vector_util"]
    assert util > 0.3 and data["summary"]["mean_vector_util"] == pytest.approx(util / 3)
    assert one_line_usage_error(main(["eval", "--backend", "npu", "--tasks", str(SUITE_DIR)]), capsys.readouterr().err)


# ---- exit codes of eval and baseline ----------------------------------------------------------
def test_eval_with_no_loadable_task_exits_2_and_reports_the_load_error(tmp_path, capsys):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "2_NoModel.py").write_text(MISSING_MODEL)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "2_NoModel.py").write_text("x = 1\n")
    out_json = tmp_path / "e.json"
    rc = main(["eval", "--tasks", str(tmp_path / "t"), "--solutions", str(tmp_path / "s"),
               "--cache-dir", str(tmp_path / "c"), "--json", str(out_json)])
    assert rc == 2 and "no task could be loaded" in capsys.readouterr().err
    [r] = json.loads(out_json.read_text())["results"]
    assert r["status"] == "invalid" and r["error"].startswith("task error:") and "Model" in r["error"]


def test_load_error_is_not_reported_as_a_missing_solution(tmp_path):
    (tmp_path / "t").mkdir()
    copy(L1 / "1_ReLU.py", tmp_path / "t")
    (tmp_path / "t" / "2_NoModel.py").write_text(MISSING_MODEL)
    out_json = tmp_path / "e.json"
    rc = main(["eval", "--tasks", str(tmp_path / "t"), "--solutions", str(tmp_path),
               "--cache-dir", str(tmp_path / "c"), "--json", str(out_json)])
    rows = {r["task"]: r for r in json.loads(out_json.read_text())["results"]}
    assert rc == 0
    assert rows["1_ReLU"]["error"] == "no solution file for this task"
    assert rows["2_NoModel"]["error"].startswith("task error:")


def test_fail_on_not_ok_exits_3_when_a_task_is_not_ok(tmp_path, capsys):
    task = copy(L1 / "1_ReLU.py", tmp_path / "t")
    argv = ["eval", "--tasks", str(task), "--solutions", str(tmp_path), "--cache-dir", str(tmp_path / "c")]
    assert main(argv) == 0
    assert main([*argv, "--fail-on-not-ok"]) == 3
    assert "1 task(s) not ok" in capsys.readouterr().err


def test_infrastructure_failure_exits_1(capsys):
    from types import SimpleNamespace

    from kernelgepa.cli import EXIT_INFRA, _exit_code

    loaded = [SimpleNamespace(status="loaded")]
    assert _exit_code(SimpleNamespace(fail_on_not_ok=False), loaded, 1, 1) == EXIT_INFRA == 1
    assert "infrastructure failed" in capsys.readouterr().err
