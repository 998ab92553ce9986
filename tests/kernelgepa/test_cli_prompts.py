"""``kernelgepa prompts``: the prompts a run would send, rendered without a model, from the suite or
from a run directory's stored strategies and kernels."""
from __future__ import annotations

import json
import re

import pytest

from kernelbench_tasks import SUITE_DIR, load_task
from kernelgepa.cli import main
from kernelgepa.store import SQLiteStore

OK = {"status": "ok", "rung": "timing", "kernel_ms": 0.5, "baseline_ms": 1.0, "speedup": 2.0,
      "kernel": {"reps": 10, "cv": 0.01}}
BROKEN = {"status": "compile_error", "rung": "compile", "error": "error: 'undeclared_thing' was not declared"}
WRONG = {"status": "incorrect", "rung": "correctness", "error": "values out of tolerance"}


def _prompts(capsys, *argv) -> tuple[int, str, str]:
    rc = main(["prompts", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small cpu run: STRAT-ONE fixed a compile error on ReLU (2x); STRAT-TWO is wrong on ReLU, fine on Softmax."""
    d = tmp_path_factory.mktemp("run")
    st = SQLiteStore(d / "run.db")
    st.set_meta("config", {"tasks": ["1_ReLU", "5_Softmax"], "backend": "cpu"})
    one = st.add_strategy("STRAT-ONE: tactics", [], "seed", 0)
    two = st.add_strategy("STRAT-TWO: other tactics", [], "seed", 0)
    for s in (one, two):
        st.accept_strategy(s)

    def kernel(task, src, sid, parent, result, score):
        return st.add_kernel(task, src, strategy_id=sid, parent_kernel_id=parent, status=result["status"],
                             speedup=result.get("speedup"), score=score, result=result, llm_calls=["c"])
    k1 = kernel("1_ReLU", "KERNEL-ONE", one, None, BROKEN, 0.0)
    k2 = kernel("1_ReLU", "KERNEL-TWO", one, k1, OK, 1.9)
    k3 = kernel("1_ReLU", "KERNEL-THREE", two, None, WRONG, 0.0)
    k4 = kernel("5_Softmax", "KERNEL-FOUR", two, None, {**OK, "speedup": 1.2}, 1.1)
    st.add_evaluation(f"{one}:1_ReLU", one, "1_ReLU", "full", k2, 1.9)
    st.add_evaluation(f"{two}:1_ReLU", two, "1_ReLU", "full", k3, 0.0)
    st.add_evaluation(f"{two}:5_Softmax", two, "5_Softmax", "full", k4, 1.1)
    st.close()
    return d


@pytest.mark.parametrize("path", ["level1/1_ReLU.py", "level2/1_Linear_Bias_ReLU.py", "level3/1_MLPBlock.py"])
def test_writer_prompt_for_the_gpu_profile(capsys, tmp_path, path):
    task = load_task(SUITE_DIR / path, profile="gpu")
    out_json = tmp_path / "p.json"
    rc, out, err = _prompts(capsys, task.name, "--backend", "cuda", "--profile", "gpu", "--no-docs",
                            "--json", str(out_json))
    assert rc == 0, err
    assert f"===== {task.name} · writer · message 2/2 · user" in out
    assert str(task.inputs[0]) in out and "sm_90" in out and "TF32 is OFF" in out and "SIZE_PROFILES" not in out
    [rec] = json.loads(out_json.read_text())
    assert rec["task"] == task.name and rec["kind"] == "writer" and rec["messages"][-1]["content"] in out


def test_npu_writer_prompt(capsys):
    rc, out, err = _prompts(capsys, "add_saturate_int8", "--backend", "npu", "--no-docs")
    assert rc == 0, err
    assert "in0: int8[256], in1: int8[256]; output out: int8[256]" in out and "```cpp" in out


def test_manual_sections_reach_the_writer(capsys, tmp_path):
    rc, out, err = _prompts(capsys, "5_Softmax", "--index-dir", str(tmp_path / "idx"))
    assert rc == 0, err
    assert "Manual sections that may help:" in out and re.search(r"\[(cpu|harness)\.[\w.-]+\]", out)


def test_from_a_run_dir_the_writer_gets_the_best_strategy_and_kernel(capsys, run_dir):
    rc, out, err = _prompts(capsys, "1_ReLU", "--run-dir", str(run_dir), "--no-docs")
    assert rc == 0, err
    assert "Strategy to follow:\nSTRAT-ONE" in out and "KERNEL-TWO" in out and "speedup 2.000x" in out


def test_refine_follows_the_latest_stored_kernel(capsys, run_dir):
    rc, out, err = _prompts(capsys, "1_ReLU", "--kind", "refine", "--run-dir", str(run_dir), "--no-docs")
    assert rc == 0, err
    assert "message 3/4 · assistant" in out and "KERNEL-THREE" in out
    assert "Harness feedback:\nstatus: incorrect" in out and "Fix the problem above." in out


def test_reflection_shows_the_attempt_history(capsys, run_dir):
    rc, out, err = _prompts(capsys, "1_ReLU", "5_Softmax", "--kind", "reflection", "--run-dir", str(run_dir),
                            "--no-docs")
    assert rc == 0, err
    assert "<strategy>\nSTRAT-ONE" in out and "undeclared_thing" in out
    assert "kernel 2 (refined from kernel 1): ok, speedup 2.00x, score 1.90" in out
    assert "class Model(nn.Module)" in out and "Rules (checked by the harness" in out


def test_merge_shows_both_parents_evidence(capsys, run_dir):
    rc, out, err = _prompts(capsys, "1_ReLU", "5_Softmax", "--kind", "merge", "--run-dir", str(run_dir), "--no-docs")
    assert rc == 0, err
    assert "Strategy A (best on: 1_ReLU)" in out and "Strategy B (best on: 5_Softmax)" in out
    assert "- 1_ReLU: incorrect, score 0.00: values out of tolerance" in out and "- 5_Softmax: ok, speedup 1.20x" in out


@pytest.mark.parametrize("argv, says", [
    (["1_ReLU", "--kind", "refine"], "--kind refine needs --run-dir"),
    (["no_such_task"], "no task no_such_task"),
    (["1_ReLU", "--kind", "merge", "--run-dir", "{empty}"], "no run.db"),
    (["1_ReLU", "--backend", "cuda", "--run-dir", "{run}"], "is a cpu run; pass --backend cpu"),
    (["1_ReLU", "--shrink-to", "lots"], "not a size"),
])
def test_bad_input_gets_one_line(capsys, tmp_path, run_dir, argv, says):
    argv = [a.format(empty=tmp_path, run=run_dir) for a in argv]
    rc, out, err = _prompts(capsys, *argv, "--no-docs")
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and says in err, err


def test_a_closed_pipe_is_no_traceback():
    import subprocess
    import sys

    names = " ".join(sorted(p.stem for p in SUITE_DIR.rglob("*.py") if not p.name.startswith("_")))
    # 18 prompts: far more than a pipe buffer, so the writer meets the closed pipe
    run = subprocess.run(f"{sys.executable} -m kernelgepa.cli prompts {names} --no-docs | head -c 10",
                         shell=True, capture_output=True, text=True, timeout=300)
    assert run.stdout == "===== 10_R" and run.stderr == "", run.stderr


class RecordingWriter:
    """A writer model that answers every prompt with the same kernel and keeps what it was sent."""

    def __init__(self, reply: str):
        self.reply, self.sent = reply, []

    def cache_key(self, messages, seed=None):
        return repr(messages)

    def prompt_budget(self):
        return None  # no context limit known: nothing clipped

    def complete(self, messages, tag=""):
        from kernelgepa.llm import LLMCall, LLMReply

        self.sent.append(messages)
        return LLMReply(self.reply, LLMCall(model="recording", tag=tag))


def test_the_command_renders_what_the_adapter_sends(capsys, tmp_path, task, cpu_eval):
    """The writer prompt, and the refinement message after the stored kernel, are the ones the run sent."""
    import os

    from harness.backends import get_backend
    from harness.config import EvalConfig
    from harness.executor import LocalExecutor
    from harness.sandbox.local import LocalProcessSandbox
    from kernelgepa.adapter import KernelAdapter
    from kernelgepa.budget import Budget
    from kernelgepa.prompts import run_facts
    from tests.kernelgepa.kernel_world import FAST

    strategy = tmp_path / "strategy.txt"
    strategy.write_text("STRATEGY: fuse and vectorize.")
    writer = RecordingWriter(f"```python\n{FAST['1_ReLU']}```")
    store = SQLiteStore(tmp_path / "run.db")
    ex = LocalExecutor(cpu_eval, lambda: LocalProcessSandbox(threads=2))
    try:
        KernelAdapter({"1_ReLU": task("1_ReLU")}, "cpu", writer, ex, store, tmp_path, Budget(), rounds=1, workers=1,
                      refine="always",  # a refinement round even after a good first kernel
                      run=run_facts(get_backend("cpu"), EvalConfig(threads=os.cpu_count()))
                      ).run(1, strategy.read_text(), ["1_ReLU"])
    finally:
        ex.close()
        store.close()
    first, second = writer.sent
    for kind, sent in (("writer", first), ("refine", second)):
        out = tmp_path / f"{kind}.json"
        rc, _, err = _prompts(capsys, "1_ReLU", "--kind", kind, "--strategy-file", str(strategy), "--no-docs",
                              "--json", str(out), *(["--run-dir", str(tmp_path)] if kind == "refine" else []))
        assert rc == 0, err
        [rendered] = json.loads(out.read_text())
        assert rendered["messages"][-2:] == sent[-2:], kind
    assert first == json.loads((tmp_path / "writer.json").read_text())[0]["messages"]


def test_the_rules_in_force_and_the_tolerance_are_stated(capsys):
    from kernelgepa.cli import main

    assert main(["prompts", "1_ReLU", "--backend", "cpu", "--no-docs"]) == 0
    default = capsys.readouterr().out
    assert "KernelBench's rules" in default and "decorative kernel" in default and "--rules strict" not in default
    assert main(["prompts", "1_ReLU", "--backend", "cpu", "--no-docs", "--rules", "strict", "--tolerance", "0.01"]) == 0
    strict = capsys.readouterr().out
    assert "--rules strict" in strict and "decorative kernel" not in strict
    assert "float32: atol 0.01, rtol 0.01" in strict and "float32: atol 0.0001, rtol 0.0001" in default
