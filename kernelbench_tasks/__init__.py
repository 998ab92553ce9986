"""KernelBench-format task loading, size profiles and shrinking, plus the project's own suite."""
from pathlib import Path

from kernelbench_tasks.task import InputSpec, Task, TaskLoadError, discover, load_task, load_tasks, parse_size

SUITE_DIR = Path(__file__).parent / "suite"
EXAMPLES_DIR = Path(__file__).parent / "examples"

__all__ = ["InputSpec", "Task", "TaskLoadError", "discover", "load_task", "load_tasks", "parse_size",
           "SUITE_DIR", "EXAMPLES_DIR"]
