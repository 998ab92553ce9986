"""LocalProcessSandbox: jobs run as forked children of a namespaced fork server (see forkserver.py)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness.sandbox.client import ForkServerClient, SandboxStartError
from harness.sandbox.isolation import protect_parent, scrubbed_env

__all__ = ["LocalProcessSandbox", "SandboxStartError", "fork_server_env"]

PROJECT_ROOT = str(Path(__file__).resolve().parents[2])

# One allocator behaviour for reference and candidate alike. Left to itself, glibc may or may not
# hand an eager reference's freed temporaries back to the OS between repetitions (depending on heap
# layout), so the same baseline measured 1.3 ms in one run and 7 ms in the next. Serving blocks up
# to 32 MiB from the heap and never trimming it makes repeated calls reuse warm memory every time.
_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 40),
               "MALLOC_TOP_PAD_": str(64 << 20)}


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def fork_server_env(threads: int, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The fork server's whole environment: allow-listed host variables plus thread and allocator settings."""
    env = scrubbed_env({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
                        "KERNELGEPA_THREADS": str(threads), **_MALLOC_ENV, **(extra_env or {})})
    if not _has_cuda():
        # Triton kernels can only run in its interpreter here, and the mode is fixed when
        # triton.language is imported, which the fork server's preloads already do.
        env["TRITON_INTERPRET"] = "1"
    pp = os.environ.get("PYTHONPATH", "")
    env["PYTHONPATH"] = PROJECT_ROOT + (os.pathsep + pp if pp else "")
    return env


def _launch_commands() -> list[list[str]]:
    py = [sys.executable, "-m", "harness.sandbox.forkserver"]
    unshare = shutil.which("unshare")
    if not unshare:
        return [py]
    ns = [unshare, "--pid", "--fork", "--mount-proc", "--net", "--kill-child"]
    if os.geteuid() != 0:
        ns = ns[:1] + ["--user", "--map-root-user"] + ns[1:]
    return [ns + py, py]


class LocalProcessSandbox(ForkServerClient):
    """One fork server process, one job at a time (the executor holds one sandbox per worker slot)."""

    def __init__(self, *, threads: int | None = None, extra_env: dict[str, str] | None = None,
                 start_timeout_s: float = 300.0, cpus: list[int] | None = None):
        """``cpus``: the cores every job is pinned to (default: the ones this process may use)."""
        super().__init__()
        env = fork_server_env(threads or os.cpu_count() or 1, extra_env)
        if cpus:
            env["KERNELGEPA_CPUS"] = ",".join(map(str, cpus))
        protect_parent()
        self._proc: subprocess.Popen | None = None
        self._timed_out = False
        errors = []
        for cmd in _launch_commands():
            try:
                self._start(cmd, env, start_timeout_s)
                break
            except SandboxStartError as e:
                errors.append(str(e))
                if self._timed_out:  # slow, not refused: a weaker sandbox would be no faster
                    raise SandboxStartError("could not start the sandbox fork server: " + "; ".join(errors)) from None
        else:
            raise SandboxStartError("could not start the sandbox fork server: " + "; ".join(errors))

    def _start(self, cmd, env, timeout) -> None:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd="/")
        self._buf = b""
        self._proc = proc
        self._to_server, self._from_server_fd = proc.stdin, proc.stdout.fileno()
        msg = self._read_event(time.monotonic() + timeout)
        if not msg or msg.get("event") != "ready":
            exited = proc.poll() is not None
            err = proc.stderr.read1(4000).decode(errors="replace").strip() if exited else ""
            self._timed_out = not exited
            self._kill_server()
            why = err.splitlines()[-1] if err else "exited without a handshake" if exited else \
                f"no handshake within {timeout:g}s (machine overloaded?)"
            raise SandboxStartError(f"{cmd[0]}: {why}")
        self.isolation = {"sandbox": "local", "pid_namespace": msg["pid_namespace"],
                          "network_isolated": msg["network_isolated"]}

    def close(self) -> None:
        self._kill_server()

    def _kill_server(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __del__(self):
        try:
            self._kill_server()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
