"""Why would `optimize --backend cuda` with the mock model end with no `ok` kernel while `eval` of the
same kernels is `ok`? Prints the evidence that tells the suspected causes apart:

  1. proxy variables (a proxy in front of the local mock server: no request arrives);
  2. package versions (a dependency missing from the install breaks the LLM layer);
  3. what the mock model received (zero requests: the search never reached the model);
  4. each kernel the search stored, with its status and error;
  5. the same kernel sources through `eval`, with the same cache (ok there but not in the search: the
     cache served something else - a compile-only or other-arch build - or the search's runs differ).

Usage: python scripts/gpu_diagnose.py [--backend cuda] [--out DIR]   (runs on CPU too: --backend cpu)
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR  # noqa: E402
from tests.kernelgepa.mock_llm import MockLLMServer  # noqa: E402

TASKS = ("1_ReLU", "5_Softmax")
PACKAGES = ("torch", "litellm", "openai", "httpx", "tiktoken", "tokenizers", "rich", "bm25s", "PyStemmer", "numpy",
            "triton", "cupy-cuda13x", "cupy-cuda12x", "kernelgepa")


def redact(value: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", value)


def writer(backend: str):
    def reply(messages: list[dict]) -> str:
        first, last = messages[1]["content"] if len(messages) > 1 else messages[0]["content"], messages[-1]["content"]
        if "You maintain the strategy" in last or "keeps the insights of both" in last:
            return "<strategy>\nGrid-stride loops; one block per row for reductions.\n</strategy>"
        task = "5_Softmax" if "torch.softmax(" in first else "1_ReLU"
        return f"```python\n{(EXAMPLES_DIR / backend / f'{task}.py').read_text()}```\n"
    return reply


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="cuda")
    ap.add_argument("--out", default=os.environ.get("OUT", "/tmp/kgepa-gpu") + "/diagnose")
    args = ap.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    tasks, cache, sols, run_dir = out / "tasks", out / "cache", out / "solutions", out / "run"
    for d in (tasks, sols):
        d.mkdir(parents=True)
    for t in TASKS:
        shutil.copy(next(SUITE_DIR.rglob(f"{t}.py")), tasks / f"{t}.py")

    print("== 1. proxy variables")
    proxies = {k: redact(v) for k, v in os.environ.items() if "proxy" in k.lower()}
    print("\n".join(f"  {k}={v}" for k, v in sorted(proxies.items())) or "  none set")
    print("== 2. package versions")
    for p in PACKAGES:
        try:
            print(f"  {p} {md.version(p)}")
        except md.PackageNotFoundError:
            print(f"  {p} MISSING")

    env = {**os.environ, "KGEPA_MOCK_KEY": "sk-mock-key-123456", "PYTHONPATH": str(ROOT)}
    with MockLLMServer(writer(args.backend)) as server:
        cmd = [sys.executable, "-m", "kernelgepa.cli", "optimize", "--tasks", str(tasks), "--backend", args.backend,
               "--model", "openai/mock-model", "--api-base", server.base_url, "--api-key-env", "KGEPA_MOCK_KEY",
               "--run-dir", str(run_dir), "--max-iterations", "1", "--trials", "3", "--cache-dir", str(cache)]
        if args.backend != "cpu":
            cmd += ["--profile", "gpu"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, cwd=ROOT)
        (out / "optimize.log").write_text(done.stdout + done.stderr)
        print(f"== 3. optimize rc={done.returncode}; the mock model received {len(server.requests)} requests")
        for line in (done.stdout + done.stderr).strip().splitlines()[-6:]:
            print("  | " + line)

    print("== 4. kernels the search stored")
    rows = []
    if (run_dir / "run.db").exists():
        rows = sqlite3.connect(run_dir / "run.db").execute("SELECT task, status, source, result FROM kernels").fetchall()
    for task, status, _, result in rows:
        print(f"  {task}: {status}  {(json.loads(result).get('error') or '')[:200]}")
    if not rows:
        print("  none (the search stored no kernel: look at 1-3 and optimize.log)")
    for task, _, source, _ in rows:  # the last source stored per task
        (sols / f"{task}.py").write_text(source)

    print("== 5. the same kernels through eval, same cache")
    ev_cmd = [sys.executable, "-m", "kernelgepa.cli", "eval", "--tasks", str(tasks), "--backend", args.backend,
              "--solutions", str(sols), "--cache-dir", str(cache), "--json", str(out / "eval.json")]
    if args.backend != "cpu":
        ev_cmd += ["--profile", "gpu"]
    ev = subprocess.run(ev_cmd, env=env, capture_output=True, text=True, timeout=1800, cwd=ROOT)
    (out / "eval.log").write_text(ev.stdout + ev.stderr)
    evald = {r["task"]: r for r in json.loads((out / "eval.json").read_text())["results"]} \
        if (out / "eval.json").exists() else {}
    for t, r in sorted(evald.items()):
        print(f"  {t}: {r['status']}  {(r.get('error') or '')[:200]}")

    searched = {t: s for t, s, _, _ in rows}
    print("== verdict")
    if not server.requests:
        print("  the model was never called: an LLM-layer failure (proxy variables, a missing package; optimize.log)")
    elif not rows:
        print("  the model answered but no kernel was stored: the search failed after the LLM call (optimize.log)")
    elif any(evald.get(t, {}).get("status") == "ok" and searched.get(t) != "ok" for t in searched):
        print("  eval passes kernels the search failed: compare the errors in 4 and 5 (cache entries, run setup)")
    elif all(s == "ok" for s in searched.values()):
        print("  the search and eval agree: every kernel ok")
    else:
        print("  the search and eval agree on the failures: see the errors in 4 and 5")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
