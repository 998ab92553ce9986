"""NPU fixtures: the shared NPUEval copy, our example tasks, and one emulation evaluator per session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.build import Builder
from harness.npu_eval import NpuEmulationEvaluator
from npueval_tasks import EXAMPLES_FILE
from npueval_tasks.task import load_npueval

NPUEVAL = Path(os.environ.get("KERNELGEPA_NPUEVAL")
               or Path(__file__).resolve().parents[3] / "shared" / "data" / "npueval" / "npueval.jsonl")
KERNELS = Path(__file__).parent / "kernels"
requires_npueval = pytest.mark.skipif(not NPUEVAL.is_file(), reason=f"NPUEval data not at {NPUEVAL}")


@pytest.fixture(scope="session")
def npueval_tasks():
    return {t.name: t for t in load_npueval(NPUEVAL).tasks}


@pytest.fixture(scope="session")
def example_tasks():
    return {t.name: t for t in load_npueval(EXAMPLES_FILE).tasks}


@pytest.fixture(scope="session")
def npu_eval(cache_root) -> NpuEmulationEvaluator:
    return NpuEmulationEvaluator(Builder(cache_root / "npu-build"))
