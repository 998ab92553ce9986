"""Preparing sandbox jobs and reading what they report back (shared by reference and candidate runs)."""
from __future__ import annotations

import json
import shutil
import signal
import threading
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from harness.sandbox import Sandbox, SandboxJob, SandboxOutcome

_MAX_RESULT_BYTES = 64 << 20


@dataclass
class JobReport:
    outcome: SandboxOutcome
    result: dict | None  # None if the child died before writing one
    job_dir: Path
    log_tail: str

    @property
    def isolation(self) -> dict:
        """What the sandbox applied (from outside) plus what the child managed to apply to itself."""
        inner = (self.result or {}).get("isolation", {})
        return {**self.outcome.isolation, **(inner if isinstance(inner, dict) else {})}

    @property
    def error(self) -> dict | None:
        return (self.result or {}).get("error")

    def failure(self) -> tuple[str, str, str] | None:
        """(status, rung, one-line error) if the job did not finish cleanly, else None."""
        o = self.outcome
        if o.timed_out:
            return "timeout", o.last_phase, f"timed out in phase '{o.last_phase}' (process group killed)"
        if o.signal:
            name = signal.Signals(o.signal).name if o.signal in signal.Signals._value2member_map_ else str(o.signal)
            return "crashed", o.last_phase, f"killed by {name} in phase '{o.last_phase}'"
        if self.result is None:
            return "crashed", o.last_phase, f"exited with code {o.exit_code} without reporting a result"
        if self.error:
            e = self.error
            first = e["message"].splitlines()[0] if e["message"] else ""
            if e.get("status") == "compile_error":  # a kernel the JIT front end rejected (the child may
                return "compile_error", "compile", first[:500]  # only pick another failing status)
            return "runtime_error", e.get("phase", o.last_phase), (first if e.get("status") else f"{e['type']}: {first}")[:500]
        return None

    def messages(self) -> str:
        parts = []
        if self.error and self.error.get("traceback"):
            parts.append(self.error["traceback"])
        if self.log_tail.strip():
            parts.append("--- output ---\n" + self.log_tail.strip())
        return "\n".join(parts)


class JobRunner:
    """Creates job directories under ``work_root`` and runs them in a sandbox."""

    def __init__(self, work_root: Path | None = None, keep: bool = False):
        self.work_root = Path(work_root or tempfile.gettempdir()) / "kernelgepa-jobs"
        self.work_root.mkdir(parents=True, exist_ok=True)
        self.keep = keep

    def run(self, sandbox: Sandbox, job: dict, timeouts: dict[str, float], on_request=None) -> JobReport:
        """``on_request(job_dir, text) -> reply line`` answers the child's requests (kernel builds)."""
        jd = self.work_root / uuid.uuid4().hex[:16]
        jd.mkdir(mode=0o700)
        (jd / "job.json").write_text(json.dumps(job))
        handler = (lambda text: on_request(jd, text)) if on_request else None
        outcome = sandbox.run(SandboxJob(jd, timeouts, handler))
        res_path = jd / "result.json"
        result = None
        if res_path.is_file() and res_path.stat().st_size <= _MAX_RESULT_BYTES:
            try:
                result = json.loads(res_path.read_text())
                if not isinstance(result, dict):
                    result = None
            except (ValueError, UnicodeDecodeError):
                result = None
        return JobReport(outcome, result, jd, _tail(jd / "log.txt"))

    def discard(self, report: JobReport) -> None:
        """Delete a finished job's directory, off the critical path."""
        if not self.keep:
            threading.Thread(target=shutil.rmtree, args=(report.job_dir, True), daemon=True).start()


def _tail(path: Path, limit: int = 4000) -> str:
    """The last ``limit`` bytes of a possibly huge log (the output cap as the parent sees it)."""
    if not path.exists():
        return ""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size > limit:
            f.seek(size - limit)
        data = f.read(limit).decode(errors="replace")
    head = f"... ({size - limit} earlier bytes cut)\n" if size > limit else ""
    return head + data
