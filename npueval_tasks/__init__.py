"""NPUEval tasks (AMD AIE kernels): loader, host emulation of the AIE API, cost model, trace score."""
from pathlib import Path

from npueval_tasks.task import LoadProblem, NpuTask, TaskFormatError, TaskSet, load_npueval

EXAMPLES_FILE = Path(__file__).resolve().parent / "examples.jsonl"

__all__ = ["EXAMPLES_FILE", "LoadProblem", "NpuTask", "TaskFormatError", "TaskSet", "load_npueval"]
