"""`kernelgepa optimize` killed with SIGKILL mid-run, then resumed: nothing finished is redone."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from kernelbench_tasks import SUITE_DIR
from tests.kernelgepa.kernel_world import KernelWorld
from tests.kernelgepa.mock_llm import MockLLMServer

TASKS = ["1_ReLU", "2_LeakyReLU", "5_Softmax"]


def _kernels(db) -> int:
    try:
        con = sqlite3.connect(db, timeout=5)
        return con.execute("SELECT COUNT(*) FROM kernels").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_run_resumes_without_repeating_work(tmp_path, cache_root):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    for t in TASKS:
        shutil.copy(next(SUITE_DIR.rglob(f"{t}.py")), tasks / f"{t}.py")
    (tmp_path / "a.txt").write_text("SEED-A: write plain loops.")
    (tmp_path / "b.txt").write_text("SEED-B: be careful.")
    run_dir = tmp_path / "run"
    with MockLLMServer(KernelWorld()) as server:
        cmd = [sys.executable, "-m", "kernelgepa.cli", "optimize", "--tasks", str(tasks), "--backend", "cpu",
               "--model", "openai/mock-model", "--api-base", server.base_url, "--api-key-env", "KGEPA_MOCK_KEY",
               "--run-dir", str(run_dir), "--seed", "1", "--seed-strategy", str(tmp_path / "a.txt"),
               "--seed-strategy", str(tmp_path / "b.txt"), "--max-iterations", "6", "--trials", "3",
               "--workers", "2", "--cache-dir", str(cache_root)]
        env = {**os.environ, "KGEPA_MOCK_KEY": "sk-mock-key-123456"}
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        deadline = time.monotonic() + 120
        while _kernels(run_dir / "run.db") < 5 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.2)
        assert first.poll() is None, first.stdout.read().decode()[-2000:]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        done_before = _kernels(run_dir / "run.db")
        asked_before = len(server.requests)

        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        assert "sk-mock-key-123456" not in second.stdout + second.stderr

        keys = [json.dumps(r["messages"], sort_keys=True) for r in server.requests]
        repeated = len(keys) - len(set(keys))
        assert repeated <= 2, f"{repeated} LLM requests were sent twice (only calls in flight at the kill may be)"
        assert len(server.requests) > asked_before

    con = sqlite3.connect(run_dir / "run.db")
    rows = con.execute("SELECT task, source FROM kernels").fetchall()
    assert len(rows) == len(set(rows)), "a finished kernel evaluation was redone"
    assert len(rows) >= done_before
    # the manual sections each kernel was written with are recorded across the kill (docs are on by default)
    written = {i for (i,) in con.execute("SELECT DISTINCT kernel_id FROM manual_shown_writer")}
    assert written and written <= {i for (i,) in con.execute("SELECT id FROM kernels")}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["n_tasks"] == 3 and summary["n_correct"] == 3
    assert all((run_dir / "best" / f"{t}.py").exists() for t in TASKS)
    assert "sk-mock-key-123456" not in (run_dir / "run.db").read_bytes().decode(errors="ignore")


def test_unreachable_model_or_missing_key_is_one_line_before_any_work(tmp_path, capsys, monkeypatch):
    from kernelgepa.cli import main

    task = str(next(SUITE_DIR.rglob("1_ReLU.py")))
    rc = main(["optimize", "--tasks", task, "--model", "openai/mock-model", "--api-base", "http://127.0.0.1:9/v1",
               "--run-dir", str(tmp_path / "r1")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("kernelgepa: error:") and "127.0.0.1:9" in err[0]
    assert not (tmp_path / "r1" / "kernels").exists()

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    rc = main(["optimize", "--tasks", task, "--model", "openai/gpt-4o", "--run-dir", str(tmp_path / "r2")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "OPENAI_API_KEY" in err[0]

    rc = main(["optimize", "--tasks", task, "--model", "openai/mock-model", "--api-key-env", "KGEPA_NOPE",
               "--run-dir", str(tmp_path / "r3")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "KGEPA_NOPE" in err[0]
