"""Real small-model replies (fixtures/real_replies.json, captured from llama.cpp's server with
fixtures/capture.py) replayed through the mock server: every one is a recorded attempt with the right
feedback, a cut-off reply is named as such, nothing crashes and the run goes on."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.executor import LocalExecutor
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import SUITE_DIR
from kernelgepa.adapter import KernelAdapter
from kernelgepa.budget import Budget
from kernelgepa.codeblocks import extract_code
from kernelgepa.llm import LLMClient
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.mock_llm import MockLLMServer, replay

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "real_replies.json").read_text())
CODE = [f for f in FIXTURES if f["prompt"] in ("writer", "refine")]


def test_the_fixtures_hold_the_failure_modes_seen_with_real_models():
    assert {"finish_reason", "model", "date", "reply", "max_tokens"} <= set(FIXTURES[0])
    assert any(f["finish_reason"] == "length" for f in CODE), "no truncated reply"
    assert any(f["extraction"] != "ok" for f in CODE), "no reply without usable code"
    assert any(f["prompt"] == "reflection" for f in FIXTURES)


@pytest.mark.parametrize("fx", CODE, ids=[f"{f['model']}-{f['prompt']}-{f['task']}-{f['max_tokens']}-{f['seed']}"
                                          for f in CODE])
def test_each_real_reply_is_a_recorded_attempt_with_the_right_feedback(fx, tmp_path, task, cpu_eval):
    store = SQLiteStore(tmp_path / "run.db")
    ext = extract_code(fx["reply"])
    ex = LocalExecutor(cpu_eval, lambda: LocalProcessSandbox(threads=1)) if ext.code else None
    try:
        with MockLLMServer(replay([fx])) as server:
            llm = LLMClient("openai/mock-model", api_base=server.base_url, api_key="k", max_retries=0,
                            max_tokens=fx["max_tokens"])
            KernelAdapter({"1_ReLU": task("1_ReLU")}, "cpu", llm, ex, store, tmp_path, Budget(), rounds=1,
                          workers=1).run(1, "any", ["1_ReLU"])
            refine = server.requests[-1]["messages"][-1]["content"]
    finally:
        if ex:
            ex.close()
    k = store.kernels("1_ReLU")
    assert len(k) in (1, 2) and len(server.requests) == 2          # the run went on to the refine round
    first = k[0]["result"]
    if ext.code is None:
        assert first["status"] == "invalid" and first["level"] == 1
        if fx["finish_reason"] == "length":
            assert f"cut off at {fx['max_tokens']} tokens" in first["error"] and "cut off" in refine
        else:
            assert ext.reason in first["error"] and ext.reason in refine
    else:
        assert k[0]["source"] == ext.code and first["status"] != "invalid"
    store.close()


def test_a_whole_run_on_real_replies_ends_and_its_counts_agree(tmp_path):
    tasks = tmp_path / "tasks" / "level1"
    tasks.mkdir(parents=True)
    for t in ("1_ReLU", "5_Softmax", "12_GELU"):
        shutil.copy(SUITE_DIR / "level1" / f"{t}.py", tasks / f"{t}.py")
    writer, reflect = replay(CODE), replay([f for f in FIXTURES if f["prompt"] == "reflection"])

    def respond(messages):
        return reflect(messages) if "<strategy>" in messages[-1]["content"] else writer(messages)

    run_dir = tmp_path / "run"
    with MockLLMServer(respond) as server:
        out = subprocess.run([sys.executable, "-m", "kernelgepa.cli", "optimize", "--tasks", str(tasks.parent),
                              "--model", "openai/mock-model", "--api-base", server.base_url, "--run-dir", str(run_dir),
                              "--no-docs", "--trials", "1", "--workers", "2", "--max-iterations", "2",
                              "--max-tokens", "1024", "--context-tokens", "4096"],
                             env={**os.environ, "OPENAI_API_KEY": "sk-mock-key-123456"}, capture_output=True,
                             text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    db = sqlite3.connect(run_dir / "run.db")
    kernels = db.execute("SELECT COUNT(*) FROM kernels").fetchone()[0]
    writer_calls = db.execute("SELECT COUNT(*) FROM llm_calls WHERE tag = 'kernel'").fetchone()[0]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert 0 < kernels <= writer_calls and summary["rollouts"] == kernels
    assert sum(t["rollouts"] for t in summary["per_task"].values()) == kernels
