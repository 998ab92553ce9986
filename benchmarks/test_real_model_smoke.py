"""A real small model (SmolLM2-135M-Instruct on llama.cpp's llama-server, started by this test on
127.0.0.1) drives `kernelgepa optimize` on 3 CPU tasks with a small budget. It checks invariants, not
kernel quality: the run ends by itself, states why it stopped, its store rows and counts agree, the
report renders. Prints wall time, calls, statuses and parse rate for benchmarks/RESULTS.md.

Build the server and model with `scripts/local_model.sh build` and `scripts/local_model.sh model
smollm2`; KERNELGEPA_LLAMA_SERVER points at another llama-server binary, KERNELGEPA_LLAMA_GGUF at
another model file."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from kernelbench_tasks import SUITE_DIR
from kernelgepa.report.build import build_report

LLAMA_DIR = Path(os.environ.get("KERNELGEPA_LLAMA_DIR") or
                 Path(os.environ.get("KERNELGEPA_CACHE") or Path.home() / ".cache" / "kernelgepa") / "llama")
SERVER = Path(os.environ.get("KERNELGEPA_LLAMA_SERVER") or LLAMA_DIR / "build" / "bin" / "llama-server")
GGUF = os.environ.get("KERNELGEPA_LLAMA_GGUF") or next(iter(sorted((LLAMA_DIR / "models" / "smollm2").rglob("*.gguf"))),
                                                       None)
CONTEXT = 4096

pytestmark = [
    pytest.mark.skipif(not SERVER.is_file(), reason=f"no llama-server at {SERVER} (scripts/local_model.sh build, "
                                                    f"or set KERNELGEPA_LLAMA_SERVER)"),
    pytest.mark.skipif(GGUF is None, reason="no SmolLM2 GGUF (scripts/local_model.sh model smollm2, "
                                            "or set KERNELGEPA_LLAMA_GGUF)"),
]


@pytest.fixture(scope="module")
def llama():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(SERVER), "-m", str(GGUF), "--host", "127.0.0.1", "--port", str(port),
                             "-c", str(CONTEXT), "-t", "1", "--no-webui"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama-server did not become healthy within 120 s")
    yield f"{base}/v1"
    proc.terminate()
    proc.wait(timeout=30)


def test_optimize_against_a_real_small_model_ends_and_its_record_is_consistent(llama, tmp_path):
    run_dir = tmp_path / "run"
    tasks = tmp_path / "tasks" / "level1"
    tasks.mkdir(parents=True)
    for t in ("1_ReLU", "5_Softmax", "12_GELU"):
        (tasks / f"{t}.py").write_text((SUITE_DIR / "level1" / f"{t}.py").read_text())
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "kernelgepa.cli", "optimize", "--tasks", str(tasks.parent),
                          "--model", "openai/smollm2", "--api-base", llama, "--run-dir", str(run_dir), "--no-docs",
                          "--trials", "1", "--workers", "1", "--rounds", "1", "--budget-rollouts", "9",
                          "--max-iterations", "1", "--budget-wall", "900", "--max-tokens", "512",
                          "--context-tokens", str(CONTEXT), "--llm-timeout", "180", "--llm-retries", "1"],
                         capture_output=True, text=True, timeout=2400)
    wall = time.monotonic() - t0
    assert out.returncode in (0, 1), out.stdout[-3000:] + out.stderr[-3000:]   # ended by itself, no crash
    assert "Traceback" not in out.stderr
    stopped = [line for line in out.stdout.splitlines() if "stopped:" in line]
    assert stopped and not stopped[-1].rstrip().endswith("stopped: -"), out.stdout[-2000:]

    db = sqlite3.connect(run_dir / "run.db")
    kernels = [(r[0], json.loads(r[1])) for r in db.execute("SELECT status, llm_calls FROM kernels")]
    calls = {r[0]: json.loads(r[1]) for r in db.execute("SELECT id, record FROM llm_calls")}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["rollouts"] == len(kernels) == sum(t["rollouts"] for t in summary["per_task"].values())
    assert all(ids[0] in calls for _, ids in kernels if ids and ids[0])     # every kernel names its call
    writer = [c for c in calls.values() if c["tag"] == "kernel"]
    assert writer and all(c["error"] or c["finish_reason"] in ("stop", "length") for c in writer)
    for c in writer:
        if not c["error"]:
            assert c["prompt_tokens"] + c["completion_tokens"] <= CONTEXT   # never past the context
    assert (build_report([str(run_dir)], tmp_path / "report").out / "report.html").exists()

    statuses = Counter(s for s, _ in kernels)
    parsed = sum(n for s, n in statuses.items() if s != "invalid")
    print(f"\nreal-model smoke: wall {wall:.0f} s, {len(calls)} LLM calls ({len(writer)} writer, "
          f"{sum(1 for c in calls.values() if c['error'])} failed, "
          f"{sum(1 for c in writer if c['finish_reason'] == 'length')} cut off), {len(kernels)} kernels "
          f"{dict(statuses)}, parse rate {parsed}/{len(kernels)}; {stopped[-1].strip()}")
