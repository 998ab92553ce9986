"""`kernelgepa optimize --backend npu` end to end: litellm over HTTP to a scripted mock LLM
(npu_world.py), real host-emulation builds and sandboxed runs of AIE kernels, the real manual index,
a real run store. One run; each test checks one thing it must show."""
from __future__ import annotations

import json
import sqlite3

import pytest

from kernelgepa.cli import main
from kernelgepa.scoring import kernel_score
from npueval_tasks import EXAMPLES_FILE
from tests.conftest import NPU_KERNELS
from tests.kernelgepa.mock_llm import MockLLMServer
from tests.kernelgepa.npu_world import TASKS, NpuWorld

KEY = "sk-mock-key-123456"


@pytest.fixture(scope="module")
def run(tmp_path_factory, cache_root):
    d = tmp_path_factory.mktemp("npu-run")
    world = NpuWorld()
    mp = pytest.MonkeyPatch()
    mp.setenv("KGEPA_MOCK_KEY", KEY)
    with MockLLMServer(world) as server:
        rc = main(["optimize", "--backend", "npu", "--tasks", str(EXAMPLES_FILE), "--model", "openai/mock-model",
                   "--api-base", server.base_url, "--api-key-env", "KGEPA_MOCK_KEY", "--run-dir", str(d / "run"),
                   "--max-iterations", "1", "--minibatch", "3", "--workers", "2", "--cache-dir", str(cache_root),
                   "--index-dir", str(d / "docs")])
        requests = list(server.requests)
    mp.undo()
    con = sqlite3.connect(d / "run" / "run.db")
    con.row_factory = sqlite3.Row
    yield {"rc": rc, "dir": d / "run", "world": world, "requests": requests, "db": con,
           "summary": json.loads((d / "run" / "summary.json").read_text())}
    con.close()


def _kernels(run, task):
    return [dict(r, result=json.loads(r["result"])) for r in
            run["db"].execute("SELECT * FROM kernels WHERE task = ? ORDER BY id", (task,))]


def test_writer_gets_the_npueval_prompt_the_strategy_and_the_aie_format(run):
    assert run["rc"] == 0
    first = [r["messages"][1]["content"] for r in run["requests"] if len(r["messages"]) == 2
             and "Strategy to follow" in r["messages"][1]["content"]]
    add = next(m for m in first if ">>> add_saturate_int8(" in m)
    assert "in0 size: 256" in add and "#include <aie_api/aie.hpp>" in add
    assert "void add_saturate_int8(int8_t *in0, int8_t *in1, int8_t *out) {" in add
    assert "Write the AIE kernel with the AIE API" in add  # the built-in npu seed strategy
    assert "aie::load_v<L>" in add and "AIE_PREPARE_FOR_PIPELINING" in add and "```cpp" in add


def test_vectorized_kernel_lands_in_best_dir(run):
    best = run["dir"] / "best"
    assert sorted(p.name for p in best.iterdir()) == sorted(f"{t}.cc" for t in TASKS)
    for t in ("add_saturate_int8", "scale_q14_int16"):
        assert (best / f"{t}.cc").read_text().strip() == (NPU_KERNELS / f"{t}.cc").read_text().strip()
    assert "aie::load_v" not in (best / "axpy_bfloat16.cc").read_text()  # only the scalar loop passed


def test_summary_has_pass_rate_and_estimated_vector_utilisation(run):
    s = run["summary"]
    assert s["n_tasks"] == 3 and s["n_passed"] == 3 and s["pass_rate"] == 1.0 and "fast_p" not in s
    assert s["vector_util_kind"] == "estimated" and "not a hardware trace" in s["vector_util_label"]
    utils = {t: s["per_task"][t]["vector_util"] for t in TASKS}
    assert utils["add_saturate_int8"] > 0.3 and utils["scale_q14_int16"] > 0.3 and utils["axpy_bfloat16"] < 0.02
    assert s["mean_vector_util"] == pytest.approx(sum(utils.values()) / 3)
    assert all(s["per_task"][t]["capability"] == "emulated" for t in TASKS)


def test_refine_prompts_carry_the_emulators_mismatch_positions_and_compile_error(run):
    refine = [r["messages"][-1]["content"] for r in run["requests"]
              if r["messages"][-1]["content"].startswith("Harness feedback")]
    assert any("status: incorrect" in m and "at [5] expected 127, got -72" in m for m in refine)
    assert any("status: compile_error" in m and "load_v" in m and "was not declared" in m for m in refine)
    # the kernels the writer fixed from that feedback passed, parented on the failing ones
    for task, bad in (("add_saturate_int8", "incorrect"), ("axpy_bfloat16", "compile_error")):
        ks = _kernels(run, task)
        failed = {k["id"] for k in ks if k["status"] == bad}
        assert any(k["status"] == "ok" and k["parent_kernel_id"] in failed for k in ks), task


def test_reflection_reads_emulator_feedback_and_aie_manual_sections(run):
    [prompt] = run["world"].reflections
    assert "at [5] expected 127, got -72" in prompt and "61/256 elements out of tolerance" in prompt
    assert "was not declared in this scope" in prompt
    assert "vector utilisation 0.0% (estimated" in prompt  # the scalar kernel's estimate, labelled
    assert "```cpp" in prompt and "```python" not in prompt
    shown = [r["section_id"] for r in run["db"].execute("SELECT section_id FROM manual_shown")]
    assert shown and all(s.startswith("aie.") for s in shown), shown
    assert all(f"[{s}]" in prompt for s in shown)


def test_vector_strategy_wins_the_gate_and_scores_rise_with_utilisation(run):
    rows = run["db"].execute("SELECT id, text, accepted FROM strategies ORDER BY id").fetchall()
    assert [r["accepted"] for r in rows] == [1, 1] and rows[1]["text"].startswith("VECTOR")
    for t in ("add_saturate_int8", "scale_q14_int16"):
        ok = [k for k in _kernels(run, t) if k["status"] == "ok"]
        best = max(ok, key=lambda k: k["score"])
        assert best["score"] == pytest.approx(1 + 6 * best["result"]["vector_util"])


def test_npu_score_is_correctness_plus_utilisation():
    assert kernel_score("ok", None, 0.0) == 1.0 > kernel_score("incorrect", None, 0.9)
    assert kernel_score("ok", None, 0.5) == 4.0 < kernel_score("ok", None, 0.6)
    assert kernel_score("compile_error", None, None) == 0.0
    assert kernel_score("ok", 2.0) == 2.0  # KernelBench kernels keep the speedup score


def test_optimize_npu_needs_a_jsonl_task_file(tmp_path, capsys):
    rc = main(["optimize", "--backend", "npu", "--tasks", str(tmp_path), "--model", "openai/mock-model",
               "--run-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == ["kernelgepa: error: --backend npu needs --tasks FILE.jsonl (NPUEval format)"]


def test_report_of_the_run_shows_pass_rate_and_estimated_mean_utilisation(run, tmp_path):
    from kernelgepa.report.build import build_report

    build_report([str(run["dir"])], tmp_path, ["md"])
    md = (tmp_path / "report.md").read_text()
    mean = run["summary"]["mean_vector_util"]
    assert "NPU pass rate and vector utilisation" in md and f"| {100 * mean:.1f}% | estimated |" in md
