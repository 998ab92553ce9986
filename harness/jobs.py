"""Preparing sandbox jobs and reading what they report back (shared by reference and candidate runs)."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import threading
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from harness.cache import locked
from harness.feed import InputFeed
from harness.pacing import Pacer
from harness.sandbox import Sandbox, SandboxJob, SandboxOutcome
from harness.untrusted import UntrustedError, load_json

_MAX_RESULT_BYTES = 4 << 20
# A job folder younger than this is never taken for an orphan (made, not yet locked by its owner).
_ORPHAN_AFTER_S = 60.0
_KEPT = "KEPT"  # marks a folder kept on purpose (``keep``): never swept


@dataclass
class JobReport:
    outcome: SandboxOutcome
    result: dict | None  # None if the child died before writing one
    job_dir: Path
    log_tail: str
    malformed: str | None = None  # why the result file was refused (one line)
    pacer: Pacer | None = None  # what the parent saw of the timed repetitions (timed jobs)

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
        if o.violation:
            return "crashed", o.last_phase, o.violation
        if o.signal:
            name = signal.Signals(o.signal).name if o.signal in signal.Signals._value2member_map_ else str(o.signal)
            return "crashed", o.last_phase, f"killed by {name} in phase '{o.last_phase}'"
        if self.malformed:
            return "crashed", o.last_phase, self.malformed
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
    """Creates job directories under ``work_root`` and runs them in a sandbox. Each folder is locked
    (flock) by its owner until discarded, so the folders of a killed parent are found and removed by
    the next runner on the machine instead of piling up."""

    def __init__(self, work_root: Path | None = None, keep: bool = False):
        self.work_root = Path(work_root or tempfile.gettempdir()) / "kernelgepa-jobs"
        self.work_root.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self._locks: dict[Path, int] = {}
        self._locks_guard = threading.Lock()
        sweep_orphans(self.work_root)

    def run(self, sandbox: Sandbox, job: dict, timeouts: dict[str, float], on_request=None) -> JobReport:
        """``on_request(job_dir, text) -> reply line`` answers the child's requests (kernel builds)."""
        jd = self.work_root / uuid.uuid4().hex[:16]
        jd.mkdir(mode=0o700)
        self._own(jd)
        (jd / "work").mkdir()
        (jd / "out").mkdir()
        job = stage_job(job, jd)
        (jd / "job.json").write_text(json.dumps(job))
        handler = (lambda text: on_request(jd, text)) if on_request else None
        feed = InputFeed(jd / "feed", job["task_path"], job.get("overrides")) \
            if job.get("time") and job.get("feed_inputs") else None
        pacer = Pacer(job["timing"], int(job.get("expected_out_bytes") or 0), seeded=bool(job.get("seeded_timing")),
                      feed=feed) if job.get("time") else None
        try:
            outcome = sandbox.run(SandboxJob(jd, timeouts, handler, pacer))
        except BaseException:
            if feed:
                feed.close()
            self._release(jd)
            raise
        result, malformed = None, None
        if (jd / "out" / "result.json").exists() or os.path.islink(jd / "out" / "result.json"):
            try:
                result = load_json(jd / "out" / "result.json", _MAX_RESULT_BYTES)
                if not isinstance(result, dict):
                    raise UntrustedError("malformed result file: not an object")
            except UntrustedError as e:
                result, malformed = None, str(e)
        return JobReport(outcome, result, jd, _tail(jd / "log.txt"), malformed, pacer)

    def discard(self, report: JobReport) -> None:
        """Delete a finished job's directory, off the critical path (its inputs files at once)."""
        if report.pacer and report.pacer.feed:
            report.pacer.feed.close()
        threading.Thread(target=self._release, args=(report.job_dir,), daemon=True).start()

    def _own(self, jd: Path) -> None:
        fd = os.open(jd, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_SH)
        with self._locks_guard:
            self._locks[jd] = fd

    def _release(self, jd: Path) -> None:
        """Remove the folder (or mark it kept), then drop its lock: a sweeper never races our rmtree."""
        if self.keep:
            (jd / _KEPT).touch()
        else:
            shutil.rmtree(jd, ignore_errors=True)
        with self._locks_guard:
            fd = self._locks.pop(jd, None)
        if fd is not None:
            os.close(fd)


def sweep_orphans(work_root: Path) -> list[Path]:
    """Remove job folders no live runner holds (their parent was killed): returns what was removed.
    A folder younger than ``_ORPHAN_AFTER_S`` may not be locked yet, so it is left alone."""
    removed, now = [], time.time()
    for jd in work_root.iterdir():
        try:
            if not jd.is_dir() or jd.is_symlink() or (jd / _KEPT).exists() \
                    or now - jd.stat().st_mtime < _ORPHAN_AFTER_S or locked(jd):
                continue
        except OSError:
            continue
        shutil.rmtree(jd, ignore_errors=True)
        removed.append(jd)
    return removed


def stage_artifact(path: str, jd: Path) -> str:
    """A copy of a built artifact inside the job folder (the child sees no cache): the cache entry
    itself stays out of the candidate's reach."""
    src = Path(path)
    dst = jd / "art" / src.parent.name / src.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        shutil.copyfile(src, dst)
    return str(dst)


def stage_job(job: dict, jd: Path) -> dict:
    """The job as the child may see it: the reference's trial inputs copied into ``in/`` (never its
    expected outputs or timings) and prebuilt artifacts copied into ``art/``."""
    job = dict(job)
    extra = job.pop("extra_refs", [])
    if job.get("ref_dir"):
        from harness.reference import select_trials

        dst = jd / "in"
        dst.mkdir()
        view: dict = {"trials": []}
        for i, (src, seeds) in enumerate([(job["ref_dir"], None), *extra]):
            src = Path(src)
            ref = json.loads((src / "reference.json").read_text())
            view.setdefault("init", ref["init"])
            chosen = ref["trials"] if seeds is None else select_trials(ref["trials"], seeds)
            # seeds and digests let the child regenerate inputs (harness.worker.inputs) where none are stored
            trials = [{k: t[k] for k in ("seed", "variant", "input_digest", "inputs") if k in t} for t in chosen]
            for name in _files(trials):  # another run's files get a prefix: names must not collide
                shutil.copyfile(src / name, dst / (f"x{i}_{name}" if i else name))
            view["trials"] += _renamed(trials, f"x{i}_") if i else trials
            if i == 0:
                for name in _files(view["init"]):
                    shutil.copyfile(src / name, dst / name)
        (dst / "reference.json").write_text(json.dumps(view))
        job["ref_dir"] = str(dst)
    if job.get("feed_files"):  # an audited repetition's inputs, linked in (harness.feed)
        (jd / "in").mkdir(exist_ok=True)
        job["feed_files"] = [_link(Path(f), jd / "in" / f"feed{k}") for k, f in enumerate(job["feed_files"])]
    if job.get("artifacts"):
        job["artifacts"] = {k: stage_artifact(v, jd) if v else v for k, v in job["artifacts"].items()}
    return job


def _link(src: Path, dst: Path) -> str:
    """``src`` at ``dst`` without copying its bytes where both are on one file system."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    return str(dst)


def _files(spec) -> list[str]:
    if isinstance(spec, dict):
        return ([spec["file"]] if spec.get("t") == "tensor" else []) + [f for v in spec.values() for f in _files(v)]
    if isinstance(spec, list):
        return [f for v in spec for f in _files(v)]
    return []


def _renamed(spec, prefix: str):
    if isinstance(spec, dict):
        return {k: (prefix + v if k == "file" and spec.get("t") == "tensor" else _renamed(v, prefix))
                for k, v in spec.items()}
    if isinstance(spec, list):
        return [_renamed(v, prefix) for v in spec]
    return spec


def _tail(path: Path, limit: int = 4000) -> str:
    """The last ``limit`` bytes of a possibly huge log (the output cap as the parent sees it)."""
    if not path.is_file() or path.is_symlink():
        return ""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size > limit:
            f.seek(size - limit)
        data = f.read(limit).decode(errors="replace")
    head = f"... ({size - limit} earlier bytes cut)\n" if size > limit else ""
    return head + data
