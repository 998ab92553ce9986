"""How `kernelgepa optimize` ends, for real (subprocess, litellm over HTTP to the mock model, real
compiles and sandboxed runs): a stalled search stops by itself, SIGTERM/SIGINT stop it gracefully
(a second signal at once), and the exit code tells scripts whether it failed."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from kernelbench_tasks import SUITE_DIR
from tests.kernelgepa.kernel_world import KernelWorld
from tests.kernelgepa.mock_llm import MockLLMServer

TASKS = ["1_ReLU", "2_LeakyReLU", "5_Softmax"]
KEY = "sk-mock-key-123456"


def _cmd(tmp_path, server, cache_root, *extra):
    tasks = tmp_path / "tasks"
    tasks.mkdir(exist_ok=True)
    for t in TASKS:
        shutil.copy(next(SUITE_DIR.rglob(f"{t}.py")), tasks / f"{t}.py")
    (tmp_path / "a.txt").write_text("SEED-A: write plain loops.")
    return [sys.executable, "-m", "kernelgepa.cli", "optimize", "--tasks", str(tasks), "--backend", "cpu",
            "--model", "openai/mock-model", "--api-base", server.base_url, "--api-key-env", "KGEPA_MOCK_KEY",
            "--run-dir", str(tmp_path / "run"), "--seed-strategy", str(tmp_path / "a.txt"), "--trials", "3",
            "--workers", "2", "--cache-dir", str(cache_root), "--no-docs", *extra]


def _env():
    return {**os.environ, "KGEPA_MOCK_KEY": KEY}


def _kernels(db) -> int:
    try:
        return sqlite3.connect(db, timeout=5).execute("SELECT COUNT(*) FROM kernels").fetchone()[0]
    except sqlite3.Error:
        return 0


class SameReflection(KernelWorld):
    """The reported spin: every reflection answers the same (rejected) strategy."""

    def __call__(self, messages):
        if "You maintain the strategy" in messages[-1]["content"]:
            return "<strategy>\nBAD: lessons learned from the feedback.\n</strategy>"
        return super().__call__(messages)


def test_a_search_that_keeps_proposing_the_same_strategy_stops_by_itself(tmp_path, cache_root):
    with MockLLMServer(SameReflection()) as server:
        done = subprocess.run(_cmd(tmp_path, server, cache_root, "--budget-rollouts", "30", "--stall-iterations", "5"),
                              env=_env(), capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = tmp_path / "run"
    s = json.loads((run / "summary.json").read_text())
    assert s["stopped"] == "search stalled: 5 iterations in a row without a new kernel"
    assert (run / "best" / "1_ReLU.py").exists()
    con = sqlite3.connect(run / "run.db")
    assert [r[0] for r in con.execute("SELECT text FROM strategies ORDER BY id")] == \
        ["SEED-A: write plain loops.", "BAD: lessons learned from the feedback."]
    # budget honesty: every call counted, split into paid and cached, with tokens
    assert s["llm_calls"] == s["llm_calls_paid"] + s["llm_calls_cached"] and s["llm_calls"] <= 30
    assert s["prompt_tokens"] > 0 and s["iterations"] == 6 and s["rollouts"] < 30
    rep = subprocess.run([sys.executable, "-m", "kernelgepa.cli", "report", str(run), "--format", "md",
                          "--out", str(tmp_path / "rep")], capture_output=True, text=True, timeout=120)
    md = (tmp_path / "rep" / "report.md").read_text()
    assert rep.returncode == 0 and "stopped: search stalled: 5 iterations" in md and "not recorded" not in md
    assert f"{s['prompt_tokens'] + s['completion_tokens']} tokens" in md


def _start(tmp_path, server, cache_root):
    proc = subprocess.Popen(_cmd(tmp_path, server, cache_root, "--budget-rollouts", "200"), env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 180
    while _kernels(tmp_path / "run" / "run.db") < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    return proc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_work_in_flight_and_writes_the_outputs(tmp_path, cache_root, sig):
    with MockLLMServer(KernelWorld(), delay_s=0.5) as server:
        proc = _start(tmp_path, server, cache_root)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, out[-2000:] + err[-2000:]
    assert f"{sig.name}: finishing the work in flight" in err and "Traceback" not in err
    run = tmp_path / "run"
    s = json.loads((run / "summary.json").read_text())
    assert s["stopped"] == f"interrupted by {sig.name}"
    assert any((run / "best").iterdir()) and s["rollouts"] == _kernels(run / "run.db")


def test_a_second_signal_exits_at_once(tmp_path, cache_root):
    with MockLLMServer(KernelWorld(), delay_s=0.5) as server:
        proc = _start(tmp_path, server, cache_root)
        server.delay_s = 60  # the calls in flight would hold a graceful stop for a minute
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert time.monotonic() - t0 < 10
    assert proc.returncode == 128 + signal.SIGTERM and "SIGTERM again: exiting now" in err


def test_an_llm_failure_before_any_kernel_exits_non_zero_with_one_line(tmp_path, cache_root):
    with MockLLMServer(KernelWorld()) as server:
        server.fail_next(50, 401)  # preflight (GET /models) passes; every completion is refused
        done = subprocess.run(_cmd(tmp_path, server, cache_root), env=_env(), capture_output=True, text=True,
                              timeout=120)
    err = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert len(err) == 1 and err[0].startswith("kernelgepa: error: LLM error:") and KEY not in done.stderr
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["stopped"].startswith("LLM error:") and s["rollouts"] == 0
