"""LocalProcessSandbox: jobs run as forked children of a namespaced fork server (see forkserver.py)."""
from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from harness.sandbox import SandboxJob, SandboxOutcome
from harness.sandbox.isolation import protect_parent, scrubbed_env

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])

# One allocator behaviour for reference and candidate alike. Left to itself, glibc may or may not
# hand an eager reference's freed temporaries back to the OS between repetitions (depending on heap
# layout), so the same baseline measured 1.3 ms in one run and 7 ms in the next. Serving blocks up
# to 32 MiB from the heap and never trimming it makes repeated calls reuse warm memory every time.
_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 40),
               "MALLOC_TOP_PAD_": str(64 << 20)}


class SandboxStartError(RuntimeError):
    pass


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _launch_commands() -> list[list[str]]:
    py = [sys.executable, "-m", "harness.sandbox.forkserver"]
    unshare = shutil.which("unshare")
    if not unshare:
        return [py]
    ns = [unshare, "--pid", "--fork", "--mount-proc", "--net", "--kill-child"]
    if os.geteuid() != 0:
        ns = ns[:1] + ["--user", "--map-root-user"] + ns[1:]
    return [ns + py, py]


class LocalProcessSandbox:
    """One fork server, one job at a time (the executor holds one sandbox per worker slot)."""

    def __init__(self, *, threads: int | None = None, extra_env: dict[str, str] | None = None,
                 start_timeout_s: float = 60.0):
        threads = threads or os.cpu_count() or 1
        env = scrubbed_env({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
                            "KERNELGEPA_THREADS": str(threads), **_MALLOC_ENV, **(extra_env or {})})
        if not _has_cuda():
            # Triton kernels can only run in its interpreter here, and the mode is fixed when
            # triton.language is imported, which the fork server's preloads already do.
            env["TRITON_INTERPRET"] = "1"
        pp = os.environ.get("PYTHONPATH", "")
        env["PYTHONPATH"] = _PROJECT_ROOT + (os.pathsep + pp if pp else "")
        protect_parent()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        errors = []
        for cmd in _launch_commands():
            try:
                self._start(cmd, env, start_timeout_s)
                break
            except SandboxStartError as e:
                errors.append(str(e))
        else:
            raise SandboxStartError("could not start the sandbox fork server: " + "; ".join(errors))

    # ---- lifecycle ----------------------------------------------------------------------
    def _start(self, cmd, env, timeout) -> None:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd="/")
        self._buf = b""
        self._proc = proc
        msg = self._read_event(time.monotonic() + timeout)
        if not msg or msg.get("event") != "ready":
            err = proc.stderr.read1(4000).decode(errors="replace") if proc.poll() is not None else ""
            self._kill_server()
            raise SandboxStartError(f"{cmd[0]}: {err.strip().splitlines()[-1] if err.strip() else 'no handshake'}")
        self.isolation = {"pid_namespace": msg["pid_namespace"],
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

    # ---- protocol -----------------------------------------------------------------------
    def _send(self, obj: dict) -> None:
        self._proc.stdin.write((json.dumps(obj) + "\n").encode())
        self._proc.stdin.flush()

    def _read_event(self, deadline, extra_fds=(), on_extra=None, stop=None) -> dict | None:
        """Next server event, or None once ``deadline()`` (re-read as markers move phases) passes
        or ``stop()`` turns true after a marker."""
        out_fd = self._proc.stdout.fileno()
        if not callable(deadline):
            deadline = (lambda d: lambda: d)(deadline)
        while True:
            if b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                return json.loads(line)
            wait = deadline() - time.monotonic()
            if wait <= 0:
                return None
            ready, _, _ = select.select([out_fd, *extra_fds], [], [], min(wait, 0.2))
            for fd in ready:
                if fd == out_fd:
                    chunk = os.read(out_fd, 65536)
                    if not chunk:
                        raise SandboxStartError("sandbox fork server died")
                    self._buf += chunk
                elif on_extra:
                    on_extra(fd)
                    if stop and stop():
                        return None

    def run(self, job: SandboxJob) -> SandboxOutcome:
        with self._lock:
            return self._run(job)

    def _run(self, job: SandboxJob) -> SandboxOutcome:
        jd = Path(job.job_dir)
        (jd / "work").mkdir(parents=True, exist_ok=True)
        fifo = jd / "markers"
        os.mkfifo(fifo, 0o600)
        os.mkfifo(jd / "replies", 0o600)
        mfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        # Held open for writing from the start, so the child's blocking open for reading returns.
        reply_fd = os.open(jd / "replies", os.O_RDWR | os.O_NONBLOCK)
        t0 = time.monotonic()
        markers: list[tuple[str, float]] = []
        phase = ["start"]
        pending = [b""]
        open_fds = [mfd]

        def on_marker(fd):
            data = os.read(fd, 65536)
            now = time.monotonic() - t0
            if not data:
                open_fds.clear()  # writer closed; stop polling the EOF
                return
            pending[0] += data
            while b"\n" in pending[0]:
                line, pending[0] = pending[0].split(b"\n", 1)
                text = line.decode(errors="replace")
                if text.startswith("req:") and job.on_request:
                    self._answer(reply_fd, job.on_request(text[4:]))
                    deadline[0] = time.monotonic() + self._limit(job, phase[0])
                    continue
                name = text[:64]
                markers.append((name, now))
                if name.startswith("phase:"):
                    phase[0] = name[6:]
                    deadline[0] = time.monotonic() + self._limit(job, phase[0])

        deadline = [time.monotonic() + self._limit(job, "start")]
        try:
            self._send({"op": "run", "job_dir": str(jd)})
            until = time.monotonic() + 30
            started = self._read_event(until)
            while started and started.get("event") == "exited":  # reaped after an earlier job's "done"
                started = self._read_event(until)
            if not started or started.get("event") != "started":
                raise SandboxStartError("fork server did not start the job")
            pid = started["pid"]
            timed_out = False
            while True:
                msg = self._read_event(lambda: deadline[0], open_fds, on_marker,
                                       stop=lambda: bool(markers) and markers[-1][0] == "done")
                if msg is None and markers and markers[-1][0] == "done":
                    # Result written: end the job's whole process group (and anything it left
                    # running) without waiting for the teardown; the server reaps it.
                    self._send({"op": "kill", "pid": pid})
                    msg = {"code": 0, "signal": None}
                    break
                if msg is None:  # the current phase's deadline passed
                    timed_out = True
                    self._send({"op": "kill", "pid": pid})
                    deadline[0] = time.monotonic() + 30
                    continue
                if msg.get("event") == "exited" and msg.get("pid") == pid:
                    break
            while open_fds and not (markers and markers[-1][0] == "done"):  # drain markers written before exit
                r, _, _ = select.select(open_fds, [], [], 0)
                if not r:
                    break
                on_marker(mfd)
        finally:
            os.close(mfd)
            os.close(reply_fd)
        return SandboxOutcome(
            exit_code=msg.get("code"), signal=msg.get("signal"), timed_out=timed_out,
            last_phase=phase[0], wall_s=time.monotonic() - t0, markers=markers, isolation=dict(self.isolation),
        )

    @staticmethod
    def _answer(reply_fd: int, line: str) -> None:
        data = (line.replace("\n", " ") + "\n").encode()
        while data:
            try:
                data = data[os.write(reply_fd, data):]
            except BlockingIOError:
                select.select([], [reply_fd], [], 1.0)

    @staticmethod
    def _limit(job: SandboxJob, phase: str) -> float:
        t = job.phase_timeouts
        return t.get(phase, t.get("default", 120.0))
