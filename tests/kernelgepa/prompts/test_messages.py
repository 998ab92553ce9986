"""Rendered prompts carry the facts a kernel writer needs, correct for the size and device of the run,
and no block twice: a level-1, level-2 and level-3 task under --profile gpu, and an NPU task."""
from __future__ import annotations

import re

import pytest

from harness.backends import get_backend
from harness.messages import format_resources
from kernelbench_tasks import SUITE_DIR, load_task
from kernelgepa.feedback import result_feedback
from kernelgepa.prompts import (merge_messages, reflection_messages, refine_messages, run_facts, rules_text,
                                writer_messages)

SECTION = {"id": "cuda.coalescing", "title": "Coalesced access", "source": "CUDA guide", "text": "MANUAL-FACT-42"}
GPU_TASKS = {"level1/1_ReLU.py": 1, "level2/1_Linear_Bias_ReLU.py": 2, "level3/1_MLPBlock.py": 3}


def repeated_lines(text: str, min_len: int = 25) -> list[str]:
    """Lines (long enough to mean something) that appear more than once; #include lines are excepted
    (every C++ unit, the task's and the example's, needs its own)."""
    seen, twice = set(), []
    for ln in (ln.strip() for ln in text.splitlines()):
        if len(ln) >= min_len and not ln.startswith("#include"):
            (twice.append(ln) if ln in seen else seen.add(ln))
    return twice


@pytest.fixture(scope="module")
def gpu_tasks():
    return {lvl: (load_task(SUITE_DIR / f, profile="gpu"), load_task(SUITE_DIR / f)) for f, lvl in GPU_TASKS.items()}


@pytest.fixture(scope="module")
def cuda_run():
    return run_facts(get_backend("cuda"))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_writer_prompt_states_the_evaluated_task(level, gpu_tasks, cuda_run):
    task, cpu_sized = gpu_tasks[level]
    assert task.level == level and task.size_label == "profile:gpu"
    text = writer_messages("cuda", "STRATEGY-XYZ", task, None, run=cuda_run, manual=[SECTION])[-1]["content"]
    # shapes from the real get_inputs() at the GPU size, never the source's CPU-size constants
    gpu_shape, cpu_shape = str(task.inputs[0]), str(cpu_sized.inputs[0])
    assert gpu_shape != cpu_shape and gpu_shape in text and cpu_shape not in text
    assert "SIZE_PROFILES" not in text and "sizes profile:gpu" in text
    for name, value in task.overrides.items():  # the reference shown is the one evaluated
        assert re.search(rf"^{name} = {value}$", text, re.M), name
    # constructor contract with the real init args and parameters
    assert "torch.manual_seed(S)" in text and "same order" in text
    assert f"ModelNew({', '.join(task.init_args)})" in text
    for pname, spec in task.parameters:
        assert f"{pname}: {spec}" in text
    # device, arch, TF32, tolerance, rules, routes, example, strategy, manual
    assert "sm_90" in text and "compiled_only" in text and "TF32 is OFF" in text
    assert "float32: atol 0.0001, rtol 0.0001, rel_l2 0.001" in text
    assert rules_text("cuda") in text
    assert "load_inline" in text and "70x slower" in text and "--use_fast_math" in text and "<cuda_fp16.h>" in text
    assert "sqdiff" in text and "STRATEGY-XYZ" in text and "MANUAL-FACT-42" in text and "[cuda.coalescing]" in text
    assert repeated_lines(text) == []


def test_level2_parameters_are_the_models(gpu_tasks, cuda_run):
    task, _ = gpu_tasks[2]
    assert task.init_args == ("8192", "8192")
    assert [(n, str(s)) for n, s in task.parameters] == [("linear.weight", "float32[8192, 8192]"),
                                                         ("linear.bias", "float32[8192]")]


def test_device_lines_follow_the_backend():
    assert "interpreted" in run_facts(get_backend("triton")).device or get_backend("triton").can_run
    cpu = run_facts(get_backend("cpu"))
    assert cpu.device.startswith("CPU") and cpu.timed
    npu = run_facts(get_backend("npu"))
    assert npu.arch.startswith("aie2") and not npu.timed


def test_npu_writer_prompt_states_buffers_and_tolerance(example_tasks):
    task = example_tasks["axpy_bfloat16"]
    text = writer_messages("npu", "VEC", task, None, run=run_facts(get_backend("npu")),
                           manual=[{**SECTION, "id": "aie.vectors"}])[-1]["content"]
    assert text.startswith("Write this AMD NPU (AIE2) kernel") and "```cpp\n/*" in text
    for b in task.inputs:  # the sizes of the real test vectors
        assert f"{b.name}: {b.dtype}[{b.size}]" in text
    assert f"output {task.output.name}: bfloat16[{task.output.size}]" in text
    assert f"alpha = {task.rtps[0].values[0]:g}" in text and f"atol {task.atol:g}" in text
    assert "host emulation" in text and rules_text("npu") in text and "MANUAL-FACT-42" in text
    assert "TF32" not in text and "torch.manual_seed" not in text and "```python" not in text
    assert repeated_lines(text) == []


def _compiled_only() -> dict:
    res = [{"kernel": "sqdiff_k", "arch": "sm_90", "registers": 12, "smem_bytes": 0, "spill_store_bytes": 0,
            "spill_load_bytes": 0, "stack_bytes": 0}]
    log = ("ptxas info    : Compiling entry function 'sqdiff_k' for 'sm_90'\n"
           "ptxas info    : Function properties for sqdiff_k\n"
           "    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
           "ptxas info    : Used 12 registers, used 0 barriers, 384 bytes cmem[0]")
    return {"status": "compiled_only", "rung": "compile", "error": "compiled, not run (no GPU)",
            "messages": log + "\n" + format_resources(res), "resources": res}


def test_compiled_only_feedback_shows_resources_once_and_asks_nothing_to_fix():
    fb = result_feedback(_compiled_only())
    assert fb.count("12 registers") == 1 and "resources (ptxas)" in fb
    msgs = refine_messages([{"role": "user", "content": "W"}], "CODE", fb, "compiled_only", manual=[SECTION])
    ask = msgs[-1]["content"]
    assert ask.startswith("Harness feedback") and "Fix the problem" not in ask and "no error to fix" in ask
    assert "MANUAL-FACT-42" in ask and repeated_lines(ask) == []
    assert msgs[-2] == {"role": "assistant", "content": "```python\nCODE\n```"}
    for status, phrase in (("ok", "Make it faster"), ("interpreted", "no error to fix"),
                           ("incorrect", "Fix the problem above."), ("compile_error", "Fix the problem above.")):
        assert phrase in refine_messages([], "C", "status: x", status)[-1]["content"]


def test_reflection_sees_reference_history_and_the_writers_rules(gpu_tasks, cuda_run):
    task, cpu_sized = gpu_tasks[2]
    history = [{"id": 3, "parent": None, "status": "compile_error", "speedup": None, "score": 0.0,
                "key": "error: 'undeclared_thing' was not declared"},
               {"id": 4, "parent": 3, "status": "ok", "speedup": 1.37, "score": 1.2, "key": "kernel 1 ms"}]
    rec = {"task": task.name, "source": "BEST-KERNEL", "feedback": "status: ok\ntiming: ...", "history": history}
    text = reflection_messages("cuda", "CURRENT-STRATEGY", [rec], [SECTION], tasks={task.name: task},
                               run=cuda_run)[0]["content"]
    assert re.search(r"<strategy>\s*(\S+)", text).group(1) == "CURRENT-STRATEGY"
    assert "class Model(nn.Module)" in text and str(task.inputs[0]) in text and str(cpu_sized.inputs[0]) not in text
    assert "undeclared_thing" in text and "kernel 4 (refined from kernel 3): ok, speedup 1.37x, score 1.20" in text
    assert rules_text("cuda") in text and "torch.manual_seed(S)" in text and "sm_90" in text
    assert "BEST-KERNEL" in text and "MANUAL-FACT-42" in text and repeated_lines(text) == []


def test_merge_sees_per_task_evidence_for_both_parents():
    ea = {"1_ReLU": {"status": "ok", "speedup": 1.5, "score": 1.4, "key": "kernel 0.1 ms vs PyTorch 0.15 ms"}}
    eb = {"1_ReLU": {"status": "incorrect", "speedup": None, "score": 0.0, "key": "values out of tolerance"},
          "5_Softmax": {"status": "ok", "speedup": 2.0, "score": 1.9, "key": ""}}
    text = merge_messages("SA", "SB", ["1_ReLU"], ["5_Softmax"], evidence_a=ea, evidence_b=eb)[0]["content"]
    assert "- 1_ReLU: ok, speedup 1.50x, score 1.40: kernel 0.1 ms vs PyTorch 0.15 ms" in text
    assert "- 1_ReLU: incorrect, score 0.00: values out of tolerance" in text and "- 5_Softmax: ok, speedup 2.00x" in text
    assert text.index("SA") < text.index("1.50x") < text.index("SB") < text.index("values out of")


def test_over_budget_the_manual_goes_first_and_the_prompt_says_so(gpu_tasks, cuda_run):
    task, _ = gpu_tasks[1]
    sections = [{**SECTION, "id": f"s{i}", "text": f"SECTION-{i} " + "x" * 3000} for i in range(4)]
    full = writer_messages("cuda", "S", task, ("PREV", "status: ok"), run=cuda_run, manual=sections)[-1]["content"]
    assert "Trimmed" not in full and all(f"SECTION-{i}" in full for i in range(4))
    cut = writer_messages("cuda", "S", task, ("PREV", "status: ok"), run=cuda_run, manual=sections,
                          budget=len(full) - 5000)[-1]["content"]
    assert len(cut) <= len(full) - 5000
    assert "SECTION-0" in cut and "SECTION-3" not in cut and "SECTION-2" not in cut  # the last ones first
    assert re.search(r"\[Trimmed to fit this prompt's \d+-character budget: manual section \[s3\] \(left out\); "
                     r"manual section \[s2\] \(left out\)\.\]", cut)
    assert "PREV" in cut and "class Model" in cut and "sqdiff" in cut  # the essentials stay
    tiny = writer_messages("cuda", "S", task, ("PREV", "status: ok"), run=cuda_run, manual=sections,
                           budget=4000)[-1]["content"]
    assert "class Model" in tiny and "Strategy to follow:\nS" in tiny and "sqdiff" in tiny  # never cut
    assert "best kernel so far (left out)" in tiny and "compile routes (left out)" in tiny
    bare = writer_messages("cuda", "S", task, ("PREV", "status: ok"), run=cuda_run)[-1]["content"]
    mid = writer_messages("cuda", "S", task, ("PREV", "status: ok"), run=cuda_run, manual=sections,
                          budget=len(bare) - 20)[-1]["content"]
    assert "Harness verdict on it:\nstatus: ok" in mid and "```python\nPREV" not in mid
    assert "best kernel so far (shortened)" in mid
