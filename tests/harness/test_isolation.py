"""Compiler runs: absolute paths on a fixed PATH, and nothing a compile starts outlives it."""
from __future__ import annotations

import os
import time

from harness.sandbox import isolation
from harness.sandbox.isolation import run_compiler, tool


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_compilers_are_found_on_the_fixed_path_not_the_callers(tmp_path, monkeypatch):
    fake = tmp_path / "g++"
    fake.write_text("#!/bin/sh\necho planted\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    tool.cache_clear()
    try:
        assert tool("g++") and not tool("g++").startswith(str(tmp_path))
        run = run_compiler(["sh", "-c", "echo $PATH"], tmp_path, timeout_s=10)
    finally:
        tool.cache_clear()
    assert run.ok and str(tmp_path) not in run.stdout and run.stdout.strip() == isolation.trusted_path()


def test_what_a_compile_leaves_running_is_killed_with_it(tmp_path):
    run = run_compiler(["sh", "-c", "sleep 300 & echo $!"], tmp_path, timeout_s=10)
    pid = int(run.stdout.strip())
    time.sleep(0.2)
    assert run.ok and not _alive(pid)


def test_a_compile_past_its_deadline_is_killed_as_a_whole(tmp_path):
    t0 = time.monotonic()
    run = run_compiler(["sh", "-c", "sleep 300 & echo $! > pid; sleep 300"], tmp_path, timeout_s=1)
    assert not run.ok and "timed out" in run.output and time.monotonic() - t0 < 10
    time.sleep(0.2)
    assert not _alive(int((tmp_path / "pid").read_text()))


def test_a_missing_compiler_is_one_line(tmp_path):
    run = run_compiler(["no-such-compiler-kg"], tmp_path, timeout_s=5)
    assert not run.ok and run.output == "no-such-compiler-kg: compiler not found on PATH"
