"""Job folders: a killed parent's are swept by the next runner, live and kept ones are not."""
from __future__ import annotations

import os
import time

from harness.jobs import JobRunner, sweep_orphans


def _aged(d):
    old = time.time() - 3600
    os.utime(d, (old, old))
    return d


def test_a_killed_parents_job_folders_are_removed_and_nothing_live_is(tmp_path):
    live = JobRunner(tmp_path)
    root = live.work_root
    held = root / "held"
    held.mkdir()
    live._own(held)
    orphan, young, kept = root / "orphan", root / "young", root / "kept"
    for d in (orphan, young, kept):
        (d / "out").mkdir(parents=True)
        (d / "out" / "t0_out_0.bin").write_bytes(b"\0" * 4096)
    (kept / "KEPT").touch()
    for d in (held, orphan, kept):
        _aged(d)
    assert sweep_orphans(root) == [orphan]
    assert held.exists() and young.exists() and kept.exists()
    os.close(live._locks.pop(held))  # its owner let go without removing it (killed): now an orphan
    JobRunner(tmp_path)  # a new runner sweeps on start
    assert not held.exists()
