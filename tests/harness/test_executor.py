"""LocalExecutor: parallel workers, results streamed as they finish, runs serialized per device."""
import threading

from harness.devices import DevicePool
from harness.executor import EvalRequest, LocalExecutor
from harness.result import Status
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import EXAMPLES_DIR


class RecordingPool(DevicePool):
    """Counts how many leases of the device are held at once."""

    def __init__(self):
        super().__init__(["cpu"])
        self.held = 0
        self.max_held = 0
        self._lock = threading.Lock()

    def acquire(self):
        dev = super().acquire()
        with self._lock:
            self.held += 1
            self.max_held = max(self.max_held, self.held)
        return dev

    def release(self, device):
        with self._lock:
            self.held -= 1
        super().release(device)


def test_two_workers_share_one_device_without_overlapping_runs(cpu_eval, task, candidate):
    ex = LocalExecutor(cpu_eval, lambda: LocalProcessSandbox(threads=1), workers=2)
    ex.devices = pool = RecordingPool()
    reqs = [EvalRequest(task("1_ReLU"), EXAMPLES_DIR / "cpu" / "1_ReLU.py"),
            EvalRequest(task("2_LeakyReLU"), EXAMPLES_DIR / "cpu" / "2_LeakyReLU.py"),
            EvalRequest(task("1_ReLU"), candidate("wrong_values")),
            EvalRequest(task("5_Softmax"), None)]
    try:
        got = {(r.task.name, r.candidate.name if r.candidate else None): res for r, res in ex.map(reqs)}
    finally:
        ex.close()
    assert len(got) == 4
    assert got[("1_ReLU", "1_ReLU.py")].status == Status.OK
    assert got[("2_LeakyReLU", "2_LeakyReLU.py")].status == Status.OK
    assert got[("1_ReLU", "wrong_values.py")].status == Status.INCORRECT
    assert got[("5_Softmax", None)].status == Status.INVALID and "no solution" in got[("5_Softmax", None)].error
    assert pool.max_held == 1 and pool.held == 0
    assert len(ex._sandboxes) == 0  # closed


def test_leftover_processes_die_with_the_job(tmp_path, cpu_eval, sandbox, task):
    # With the static gate off, a candidate spawns a sleeper that outlives forward; it must be gone after.
    from harness.backends import get_backend
    from harness.evaluate import Evaluator
    from tests.conftest import fast_config

    marker = tmp_path / "alive"
    cand = tmp_path / "orphan.py"
    cand.write_text(f"""
import subprocess, torch.nn as nn
subprocess.Popen(["sh", "-c", "sleep 3; touch {marker}"])
class ModelNew(nn.Module):
    def forward(self, x):
        return x.clamp_min(0)
""")
    ev = Evaluator(get_backend("cpu"), fast_config(static_checks=False), cache_root=cpu_eval.cache_root)
    r = ev.evaluate(task("1_ReLU"), cand, sandbox, "cpu")
    assert r.status == Status.REJECTED  # clamp_min is a PyTorch compute op
    import time
    time.sleep(4)
    assert not marker.exists()
