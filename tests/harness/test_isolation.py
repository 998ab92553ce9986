"""Compiler runs: absolute paths on a fixed PATH, nothing a compile starts outlives it (its own PID
namespace), and a compile sees only its build folder and the system folders (a private view)."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from harness.sandbox import isolation
from harness.sandbox.isolation import run_compiler, tool
from tests.conftest import gone


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


def _running(marker: str) -> list[int]:
    """Host pids whose command line holds ``marker`` (a compile's own pids are namespace-local)."""
    out = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and marker in Path(f"/proc/{d}/cmdline").read_bytes().decode(errors="replace") \
                    and _alive(int(d)):
                out.append(int(d))
        except OSError:
            pass
    return out


def _gone(marker: str) -> bool:
    return gone(lambda: _running(marker))


def test_what_a_compile_leaves_running_is_killed_with_it(tmp_path):
    run = run_compiler(["sh", "-c", "sleep 3001 & echo started"], tmp_path, timeout_s=10)
    assert run.ok and _gone("3001")


def test_a_compile_past_its_deadline_is_killed_as_a_whole(tmp_path):
    t0 = time.monotonic()
    run = run_compiler(["sh", "-c", "sleep 3002 & sleep 300"], tmp_path, timeout_s=1)
    assert not run.ok and "timed out" in run.output and time.monotonic() - t0 < 10
    assert _gone("3002")


def test_a_double_forked_daemon_in_a_new_session_dies_with_its_compile(tmp_path):
    """setsid takes it out of the compile's process group; the compile's PID namespace still holds it."""
    daemon = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(3003)\n"
    run = run_compiler([sys.executable, "-c", daemon], tmp_path, timeout_s=30)
    assert run.ok, run.output
    assert isolation.compile_isolation()["compile_pid_namespace"] is True
    assert _gone("3003")


def test_a_compile_reads_nothing_outside_its_build_folder(tmp_path):
    """``.incbin`` by a relative path up out of the build folder finds nothing: the compile's private view."""
    (tmp_path / "secret.bin").write_bytes(b"SECRET")
    build = tmp_path / "build"
    build.mkdir()
    src = 'asm(".section .rodata\\n.incbin \\"../secret.bin\\"\\n.text");\nextern "C" int f() { return 1; }\n'
    cmd = ["g++", "-shared", "-fPIC", "-x", "c++", "-", "-o", "lib.so"]
    run = run_compiler(cmd, build, timeout_s=120, stdin=src)
    assert not run.ok and "secret.bin" in run.output, run.output
    assert isolation.compile_isolation()["compile_private_view"] is True
    ok = run_compiler(cmd, build, timeout_s=120, stdin='extern "C" int f() { return 1; }\n')
    assert ok.ok and (build / "lib.so").is_file(), ok.output


def test_a_missing_compiler_is_one_line(tmp_path):
    run = run_compiler(["no-such-compiler-kg"], tmp_path, timeout_s=5)
    assert not run.ok and run.output == "no-such-compiler-kg: compiler not found on PATH"


def test_the_compile_view_folder_goes_with_the_process_that_made_it():
    """One empty mount point per compiling process: removed when that process exits, so /tmp does
    not collect one per run."""
    import subprocess

    made = subprocess.run([sys.executable, "-c", "from harness.sandbox.isolation import _compile_view; "
                           "import os; r = _compile_view()[0]; assert os.path.isdir(r); print(r)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert made.startswith(tempfile.gettempdir()) and not os.path.exists(made)
