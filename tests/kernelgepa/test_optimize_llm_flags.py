"""`kernelgepa optimize` with a model that never writes code: the LLM flags reach every call and are
recorded, progress shows from the first kernel on, nothing-solved figures stay honest, and a killed
run resumed ends with exactly the rollouts of an uninterrupted one."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from kernelbench_tasks import SUITE_DIR
from kernelgepa.report.build import build_report
from tests.kernelgepa.mock_llm import MockLLMServer

TASKS = ["1_ReLU", "2_LeakyReLU", "5_Softmax"]
ENV = {**os.environ, "KGEPA_MOCK_KEY": "sk-mock-key-123456"}


def chatty(messages: list[dict]) -> str:
    """Replies that depend only on the prompt (a resumed run re-asks what was in flight at the kill)."""
    last = messages[-1]["content"]
    tag = hashlib.sha256(json.dumps(messages).encode()).hexdigest()[:6]
    if "Reply inside <strategy>" in last or "inside <strategy></strategy>" in last:
        return f"<strategy>\nS-{tag}: explain the kernel before writing it.\n</strategy>"
    return f"Sure! ReLU zeroes negative values ({tag}). Anything else I can help with?"


def _tasks(tmp_path):
    d = tmp_path / "tasks" / "level1"
    d.mkdir(parents=True, exist_ok=True)
    for t in TASKS:
        shutil.copy(next(SUITE_DIR.rglob(f"{t}.py")), d / f"{t}.py")
    return d.parent


def _cmd(server, tasks, run_dir, *extra):
    return [sys.executable, "-m", "kernelgepa.cli", "optimize", "--tasks", str(tasks), "--backend", "cpu",
            "--model", "openai/mock-model", "--api-base", server.base_url, "--api-key-env", "KGEPA_MOCK_KEY",
            "--run-dir", str(run_dir), "--no-docs", "--trials", "1", "--workers", "2", *extra]


def _kernels(db) -> int:
    try:
        return sqlite3.connect(db, timeout=5).execute("SELECT COUNT(*) FROM kernels").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_llm_flags_reach_the_calls_and_the_record_and_progress_starts_at_once(tmp_path):
    run_dir = tmp_path / "run"
    with MockLLMServer(chatty) as server:
        out = subprocess.run(_cmd(server, _tasks(tmp_path), run_dir, "--max-iterations", "1", "--max-tokens", "300",
                                  "--reflection-max-tokens", "700", "--temperature", "0.1", "--llm-timeout", "30",
                                  "--llm-retries", "1", "--context-tokens", "8192"),
                             env=ENV, capture_output=True, text=True, timeout=600)
        sent = [(r["max_tokens"], r["temperature"], "strategy>" in r["messages"][-1]["content"])
                for r in server.requests]
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    lines = out.stdout.splitlines()
    first_kernel = next(i for i, l in enumerate(lines) if ": kernel 1 invalid" in l)
    assert first_kernel < next(i for i, l in enumerate(lines) if "seed strategy" in l)
    assert "nothing solved" in out.stdout
    assert {s for s in sent if not s[2]} == {(300, 0.1, False)} and (700, 0.1, True) in sent

    db = sqlite3.connect(run_dir / "run.db")
    llm = json.loads(db.execute("SELECT value FROM meta WHERE key = 'llm'").fetchone()[0])
    assert llm["writer"]["max_tokens"] == 300 and llm["reflection"]["max_tokens"] == 700
    assert llm["writer"]["timeout_s"] == 30 and llm["writer"]["retries"] == 1 and llm["writer"]["context_tokens"] == 8192
    records = [json.loads(r[0]) for r in db.execute("SELECT record FROM llm_calls")]
    assert records and all(r["finish_reason"] == "stop" for r in records)

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["n_correct"] == 0 and summary["usd_per_solved_task"] is None
    assert summary["wall_s_per_solved_task"] is None
    rep = build_report([str(run_dir)], tmp_path / "report")
    rows = json.loads((tmp_path / "report" / "report.json").read_text())["runs"][0]["tasks"]
    assert rep.files and {r["level"] for r in rows} == {1}, rows


def test_killed_and_resumed_run_has_the_rollouts_of_an_uninterrupted_one(tmp_path):
    tasks = _tasks(tmp_path)
    args = ("--max-iterations", "3", "--minibatch", "2", "--seed", "3")
    with MockLLMServer(chatty, delay_s=0.15) as server:
        straight = subprocess.run(_cmd(server, tasks, tmp_path / "straight", *args), env=ENV, capture_output=True,
                                  text=True, timeout=600)
        assert straight.returncode == 0, straight.stdout[-2000:] + straight.stderr[-2000:]

        cmd = _cmd(server, tasks, tmp_path / "resumed", *args)
        first = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        deadline = time.monotonic() + 300
        while _kernels(tmp_path / "resumed" / "run.db") < 3 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert first.poll() is None, "the run ended before it could be killed"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        second = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]

    def rollouts(name):
        db = sqlite3.connect(tmp_path / name / "run.db")
        keys = [r[0] for r in db.execute("SELECT json_extract(result, '$.attempt') FROM kernels")]
        assert len(keys) == len(set(keys)), f"{name}: an attempt was stored twice"
        return len(keys)

    assert rollouts("resumed") == rollouts("straight") > 3
