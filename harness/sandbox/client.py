"""The parent's side of the fork-server protocol, shared by every sandbox that runs a fork server.

A subclass starts the server somewhere (a namespaced process, a container) and hands over two
byte streams: ``_to_server`` (JSON lines in) and ``_from_server_fd`` (JSON lines out). Everything
else (phase deadlines, the markers and replies FIFOs in the job dir, killing a job's process group)
is the same wherever the server runs, because the job dir is the same path on both sides.
"""
from __future__ import annotations

import json
import os
import select
import threading
import time
from pathlib import Path
from typing import BinaryIO

from harness.sandbox import SandboxJob, SandboxOutcome


# Caps on what a child may send over the markers channel (a flood must not hang or bloat the parent).
# Timed repetitions are paced by separate ``t:`` lines (harness.pacing), which the pacer itself caps.
MAX_MARKERS = 10_000
MAX_REQUESTS = 256
MAX_LINE = 64 << 10


class SandboxStartError(RuntimeError):
    """The sandbox could not be started (or died): one line saying why, for the user."""


class ForkServerClient:
    """Runs one job at a time on a started fork server (the executor holds one sandbox per worker)."""

    _to_server: BinaryIO
    _from_server_fd: int
    isolation: dict

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buf = b""

    def _send(self, obj: dict) -> None:
        self._to_server.write((json.dumps(obj) + "\n").encode())
        self._to_server.flush()

    def _read_event(self, deadline, extra_fds=(), on_extra=None, stop=None) -> dict | None:
        """Next server event, or None once ``deadline()`` (re-read as markers move phases) passes
        or ``stop()`` turns true after a marker."""
        out_fd = self._from_server_fd
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
        (jd / "out").mkdir(exist_ok=True)
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

        violation: list[str] = []
        requests = [0]

        def refuse(why: str) -> None:
            """The child broke the protocol: stop listening and end it (one line says why)."""
            if not violation:
                violation.append(why)
            open_fds.clear()
            deadline[0] = 0.0

        def on_marker(fd):
            data = os.read(fd, 65536)
            now = time.monotonic() - t0
            if not data:
                open_fds.clear()  # writer closed; stop polling the EOF
                return
            pending[0] += data
            if len(pending[0]) > MAX_LINE and b"\n" not in pending[0][-len(data):]:
                return refuse(f"protocol violation: a marker line longer than {MAX_LINE} bytes")
            while b"\n" in pending[0]:
                line, pending[0] = pending[0].split(b"\n", 1)
                text = line.decode(errors="replace")
                if text.startswith("t:") and job.pacer:
                    reply = job.pacer.reply(text[2:], now)
                    if reply is None:
                        return refuse(job.pacer.failure or
                                      f"protocol violation: unexpected timing handshake line {text[:40]!r}")
                    # stamped before the write: the child may run (and finish) before we run again
                    job.pacer.sent(time.monotonic() - t0)
                    if not self._answer(reply_fd, reply):
                        return refuse("protocol violation: requests sent faster than their replies were read")
                    continue
                if len(markers) >= MAX_MARKERS:
                    return refuse(f"protocol violation: more than {MAX_MARKERS} markers")
                if text.startswith("req:") and job.on_request:
                    requests[0] += 1
                    if requests[0] > MAX_REQUESTS:
                        return refuse(f"protocol violation: more than {MAX_REQUESTS} requests")
                    if not self._answer(reply_fd, job.on_request(text[4:])):
                        return refuse("protocol violation: requests sent faster than their replies were read")
                    deadline[0] = time.monotonic() + self._limit(job, phase[0])
                    continue
                name = text[:64]
                markers.append((name, now))
                if name.startswith("phase:"):
                    phase[0] = name[6:]
                    deadline[0] = time.monotonic() + self._limit(job, phase[0])

        def done() -> bool:
            """The child has written its result (its last marker)."""
            return bool(markers) and markers[-1][0] == "done"

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
                                       stop=done)
                if msg is None and done():
                    # Result written: end the job's whole process group (and anything it left
                    # running) without waiting for the teardown; the server reaps it.
                    self._send({"op": "kill", "pid": pid})
                    msg = {"code": 0, "signal": None}
                    break
                if msg is None:  # the current phase's deadline passed, or the child broke the protocol
                    timed_out = not violation
                    self._send({"op": "kill", "pid": pid})
                    deadline[0] = time.monotonic() + 30
                    continue
                if msg.get("event") == "exited" and msg.get("pid") == pid:
                    break
            while open_fds and not done():  # drain markers written before exit
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
            violation=violation[0] if violation else None,
        )

    @staticmethod
    def _answer(reply_fd: int, line: str, wait_s: float = 5.0) -> bool:
        """Write one reply; False if the child leaves its reply pipe full for ``wait_s``."""
        data = (line.replace("\n", " ") + "\n").encode()
        until = time.monotonic() + wait_s
        while data:
            try:
                data = data[os.write(reply_fd, data):]
            except BlockingIOError:
                if time.monotonic() > until:
                    return False
                select.select([], [reply_fd], [], 0.1)
        return True

    @staticmethod
    def _limit(job: SandboxJob, phase: str) -> float:
        t = job.phase_timeouts
        return t.get(phase, t.get("default", 120.0))
