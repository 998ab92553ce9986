"""Nsight Compute profile of a correct candidate's kernels, as text feedback (GPU + ncu only).

The same worker entry point runs standalone under ``ncu`` (one correctness trial, no timing), so
this path shares all its code with the sandboxed run except the launcher.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.sandbox.isolation import scrubbed_env

METRICS = {
    "sm__warps_active.avg.pct_of_peak_sustained_active": "achieved occupancy %",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed": "DRAM throughput % of peak",
    "lts__t_sectors.avg.pct_of_peak_sustained_elapsed": "L2 throughput % of peak",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed": "SM throughput % of peak",
    "gpu__time_duration.sum": "duration (ns)",
    "smsp__average_warp_latency_issue_stalled_long_scoreboard": "stall: long scoreboard",
    "smsp__average_warp_latency_issue_stalled_barrier": "stall: barrier",
    "smsp__average_warp_latency_issue_stalled_mio_throttle": "stall: MIO throttle",
}


def available(evaluator, device: str) -> bool:
    return (evaluator.cfg.profile and evaluator.backend.can_run and device.startswith("cuda")
            and shutil.which("ncu") is not None)


def profile_candidate(evaluator, ref, cand: Path, artifacts: dict, device: str) -> str | None:
    """Run the candidate once under ncu (inputs from the cached reference ``ref``), with the same
    job an evaluation's run gets, less timing and the NaN fill."""
    if not available(evaluator, device):
        return None
    jd = Path(tempfile.mkdtemp(prefix="kgepa-prof-"))
    job = evaluator.candidate_job(cand, ref, artifacts, 1, timed=False, device=device, poison=False)
    (jd / "job.json").write_text(json.dumps(job))
    cmd = ["ncu", "--csv", "--page", "raw", "--metrics", ",".join(METRICS), "--launch-count", "20",
           sys.executable, "-m", "harness.worker.main", str(jd)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=scrubbed_env(home=str(jd)),
                              cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:
        return "profile: ncu timed out"
    finally:
        shutil.rmtree(jd, ignore_errors=True)
    return summarize_ncu_csv(proc.stdout) or f"profile: ncu produced no metrics ({proc.stderr.strip()[-300:]})"


def summarize_ncu_csv(text: str) -> str:
    start = text.find('"ID"')
    if start < 0:
        return ""
    rows = list(csv.DictReader(io.StringIO(text[start:])))
    lines = []
    for row in rows:
        name = row.get("Kernel Name", "?")
        if not row.get("ID", "").isdigit():
            continue
        parts = [f"{label} {row[m]}" for m, label in METRICS.items() if row.get(m) not in (None, "", "n/a")]
        lines.append(f"{name[:80]}: " + ", ".join(parts))
    return "\n".join(lines[:20])
