"""Entry point of a sandbox child: read job.json, run the role, write result.json last."""
from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

import torch

from harness.messages import trim_traceback


class Markers:
    """Phase and timing markers written to a FIFO the parent reads (and timestamps) live."""

    def __init__(self, path: Path, channels: tuple[int, int] | None = None):
        """``channels``: the (markers, replies) descriptors the sandbox opened before confining us."""
        self._dir = path.parent
        self._replies = open(channels[1], "rb", buffering=0) if channels else None  # noqa: SIM115
        try:
            self._fd = channels[0] if channels else os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            self._fd = None
        self.phase = "start"

    def mark(self, name: str) -> None:
        if self._fd is not None:
            try:
                os.write(self._fd, (name + "\n").encode())
            except OSError:
                pass

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.mark("phase:" + phase)

    def request(self, text: str) -> str:
        """Ask the parent something (e.g. to build a kernel) and block for its one-line reply."""
        return self._ask("req:" + text)

    def pace(self, token: str) -> str:
        """One step of the timed-repetition handshake (harness.pacing): the parent's reply."""
        return self._ask("t:" + token)

    def _ask(self, line_out: str) -> str:
        if self._replies is None:
            self._replies = open(self._dir / "replies", "rb", buffering=0)  # noqa: SIM115 - kept for the job
        self.mark(line_out)
        line = b""
        while not line.endswith(b"\n"):  # one reply per request, so a read never takes the next one's bytes
            chunk = self._replies.read(4096)
            if not chunk:
                raise RuntimeError("the harness closed the request channel")
            line += chunk
        return line.decode().rstrip("\n")


def configure_torch(job: dict) -> None:
    torch.set_num_threads(int(job.get("threads") or 1))
    allow_tf32 = bool(job.get("allow_tf32", False))
    torch.backends.cuda.matmul.allow_tf32 = allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32
    torch.set_float32_matmul_precision("high" if allow_tf32 else "highest")


def use_device(name: str) -> torch.device:
    device = torch.device(name)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def run_job(job_dir: str, isolation: dict | None = None, channels: tuple[int, int] | None = None) -> int:
    jd = Path(job_dir)
    job = json.loads((jd / "job.json").read_text())
    markers = Markers(jd / "markers", channels)
    result: dict = {"isolation": isolation or {}}
    try:
        configure_torch(job)
        role = job["role"]
        if role == "reference":
            from harness.worker.reference import run_reference
            result.update(run_reference(job, jd, use_device(job["device"]), markers))
        elif role == "aie_host":
            from harness.worker.aie_host import run_aie_host
            result.update(run_aie_host(job, jd, markers))
        elif role == "candidate":
            from harness.worker.candidate import run_candidate
            result.update(run_candidate(job, jd, markers))
        else:
            raise ValueError(f"unknown role {role!r}")
    except BaseException as e:  # noqa: BLE001 - candidate code may raise anything, SystemExit included
        tb = traceback.format_exc()
        result["error"] = {"type": type(e).__name__, "message": str(e)[:2000], "phase": markers.phase,
                           "traceback": trim_traceback(tb, keep_files=(str(job.get("candidate_path", "\0")),
                                                                       str(job.get("task_path", "\0"))))}
        if job.get("candidate_path"):
            from harness.worker.triton_support import describe_error
            result["error"].update(describe_error(e, job["candidate_path"]) or {})
    (jd / "out").mkdir(exist_ok=True)
    tmp = jd / "out" / "result.json.tmp"
    tmp.write_text(json.dumps(result, default=str))
    os.replace(tmp, jd / "out" / "result.json")
    sys.stdout.flush()
    markers.mark("done")  # the parent may now kill this process group instead of waiting for exit
    return 0


if __name__ == "__main__":  # standalone use (e.g. under a profiler): python -m harness.worker.main JOB_DIR
    raise SystemExit(run_job(sys.argv[1]))
