"""Ray scenarios for test_ray_executor.py, each run in a private network namespace.

Ray resolves a node IP of 127.0.0.1 to the machine's routable address and binds its gRPC servers to
every interface, so flags alone cannot keep its traffic on loopback. Run under ``unshare -rn`` (a
network namespace holding only ``lo``), every Ray process here can only listen and connect on
127.0.0.1. Usage: ``python -m tests.harness.ray_scenarios {local,cluster,throughput} CACHE_ROOT WORK_DIR``;
prints one JSON object on the last stdout line ("cluster" first prints {"event": "up"} and waits
for a line on stdin, so the caller can inspect the host's sockets while the cluster runs).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness.backends import get_backend
from harness.config import TimingConfig
from harness.evaluate import Evaluator
from harness.executor import EvalRequest
from harness.ray_executor import RayExecutor
from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR, load_task
from tests.conftest import CANDIDATES, fast_config

# (task, candidate): "example" = the shipped CPU solution, a name = tests/harness/candidates/NAME.py
VERDICT_CASES = [("1_ReLU", "example"), ("2_LeakyReLU", "example"), ("1_ReLU", "wrong_values"),
                 ("1_ReLU", "runtime_error"), ("1_ReLU", "uses_torch_op"), ("5_Softmax", None)]
SPREAD_CASES = [("1_ReLU", "example"), ("2_LeakyReLU", "example"), ("1_ReLU", "relu_ok"), ("5_Softmax", "example")]
GCS_PORT = 6380
# Correct ReLU whose first call spins for a few seconds: long enough to kill its worker mid-run.
SLOW_RELU = r'''
import torch
import torch.nn as nn
from harness.native import load_cpp

_lib = load_cpp(r"""
#include <time.h>
static int first = 1;
extern "C" void relu(const float* x, float* y, long n) {
    if (first) {
        struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
        do { clock_gettime(CLOCK_MONOTONIC, &b); } while (b.tv_sec - a.tv_sec < 4);
        first = 0;
    }
    for (long i = 0; i < n; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
}
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="slow_relu")


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
'''


ROOT = Path(__file__).resolve().parents[2]
NETNS = ["unshare", "--user", "--map-root-user", "--net"]


def netns_unavailable_reason() -> str | None:
    """Why the scenarios cannot run here (None: they can)."""
    missing = [tool for tool in ("unshare", "ip", "ss") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} to keep Ray inside a loopback-only network namespace"
    if subprocess.run([*NETNS, "true"], capture_output=True).returncode != 0:
        return "cannot create a private network namespace (unshare -rn), so Ray would listen on this machine's addresses"
    return None


def start_scenario(name: str, cache_root: Path, work: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([*NETNS, sys.executable, "-m", "tests.harness.ray_scenarios", name, str(cache_root),
                             str(work)], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"ray scenario failed: {err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def requests(cases) -> list[EvalRequest]:
    out = []
    for task_name, cand in cases:
        [path] = SUITE_DIR.rglob(f"{task_name}.py")
        file = {None: None, "example": EXAMPLES_DIR / "cpu" / f"{task_name}.py"}.get(cand, CANDIDATES / f"{cand}.py")
        out.append(EvalRequest(load_task(path), file))
    return out


def case_key(req: EvalRequest) -> str:
    return f"{req.task.name}:{req.candidate.name if req.candidate else None}"


def bench_config() -> dict:
    """Short trials and timing: throughput of the executor, not of the kernels."""
    return dict(trials=2, timing=TimingConfig(warmup=1, min_reps=3, max_reps=10, target_s=0.05, audits=1))


def example_requests() -> list[EvalRequest]:
    names = sorted(p.stem for p in (EXAMPLES_DIR / "cpu").glob("*.py"))
    return [EvalRequest(load_task(next(SUITE_DIR.rglob(f"{n}.py"))), EXAMPLES_DIR / "cpu" / f"{n}.py") for n in names]


def scenario_evaluator(cache_root: str, **config) -> Evaluator:
    return Evaluator(get_backend("cpu"), fast_config(threads=1, **config), cache_root=Path(cache_root))


def _sockets() -> str:
    return subprocess.run(["ss", "-tanpH"], capture_output=True, text=True).stdout


def run_local(cache_root: str, work: Path, ray_tmp: str) -> dict:
    import ray

    ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, num_cpus=2, _temp_dir=ray_tmp,
             object_store_memory=100 << 20, log_to_driver=False, logging_level="WARNING")
    ex = RayExecutor(scenario_evaluator(cache_root), workers=2)
    try:
        results = {case_key(req): res.to_dict() for req, res in ex.map(requests(VERDICT_CASES))}
        return {"results": results, "sockets": _sockets(), "workers": len(ex.workers),
                "interfaces": [name for _, name in socket.if_nameindex()]}
    finally:
        ex.close()
        ray.shutdown()


def _ray_start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(["ray", "start", "--block", "--node-ip-address=127.0.0.1", "--num-cpus=1",
                                 "--object-store-memory=100000000", "--disable-usage-stats", *args],
                                stdout=out, stderr=subprocess.STDOUT)


def _wait_for(check, what: str, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout_s:g}s")
        time.sleep(0.2)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _kill_mid_evaluation(ex: RayExecutor, req: EvalRequest, others: list[EvalRequest]) -> dict:
    """Start ``req``, then ``others`` on the remaining workers, and SIGKILL the worker running ``req``."""
    box: dict = {}
    slow = threading.Thread(target=lambda: box.update(slow=ex.evaluate(req)))
    slow.start()
    _wait_for(lambda: any(w.busy for w in ex.workers), "slow evaluation")
    [victim] = [w for w in ex.workers if w.busy]
    rest = threading.Thread(target=lambda: box.update(others=list(ex.map(others))))
    rest.start()
    time.sleep(1.5)  # the slow candidate is compiling or spinning now
    os.kill(victim.pid, signal.SIGKILL)
    slow.join()
    rest.join()
    return {"victim": victim.pid, "result": box["slow"].to_dict(),
            "others": [res.to_dict() for _, res in box["others"]],
            "workers_after": [w.pid for w in ex.workers]}


def _cli_eval(cache_root: str, work: Path) -> dict:
    """``kernelgepa eval --executor ray --ray-address`` against the running cluster."""
    [task] = SUITE_DIR.rglob("2_LeakyReLU.py")
    proc = subprocess.run([sys.executable, "-m", "kernelgepa.cli", "eval", "--executor", "ray", "--ray-address",
                           f"127.0.0.1:{GCS_PORT}", "--tasks", str(task), "--threads", "1", "--trials", "2",
                           "--cache-dir", cache_root, "--json", str(work / "cli.json")], capture_output=True, text=True)
    return {"rc": proc.returncode, "stderr": proc.stderr[-2000:],
            "json": json.loads((work / "cli.json").read_text()) if proc.returncode == 0 else None}


def run_cluster(cache_root: str, work: Path, ray_tmp: str) -> dict:
    import ray

    head = _ray_start(["--head", f"--port={GCS_PORT}", "--include-dashboard=false", f"--temp-dir={ray_tmp}"],
                      work / "head.log")
    nodes = [head]
    try:
        _wait_for(lambda: _port_open(GCS_PORT) or head.poll() is not None, "head node")
        if head.poll() is not None:
            raise RuntimeError("ray start --head failed: " + (work / "head.log").read_text()[-2000:])
        nodes.append(_ray_start([f"--address=127.0.0.1:{GCS_PORT}", '--resources={"node2": 1}'], work / "node2.log"))
        ray.init(address=f"127.0.0.1:{GCS_PORT}", _node_ip_address="127.0.0.1", log_to_driver=False,
                 logging_level="WARNING")
        _wait_for(lambda: sum(n["Alive"] for n in ray.nodes()) == 2, "second node")
        print(json.dumps({"event": "up"}), flush=True)
        sys.stdin.readline()
        out = {"nodes": {n["NodeID"]: n["Resources"] for n in ray.nodes() if n["Alive"]}}
        slow = work / "slow_relu.py"
        slow.write_text(SLOW_RELU)
        [slow_req] = requests([("1_ReLU", "example")])
        slow_req = EvalRequest(slow_req.task, slow)
        ex = RayExecutor(scenario_evaluator(cache_root), workers=2, max_retries=1)
        try:
            out["spread"] = {case_key(req): res.to_dict() for req, res in ex.map(requests(SPREAD_CASES))}
            out["worker_nodes"] = [w.node for w in ex.workers]
            out["retried"] = _kill_mid_evaluation(ex, slow_req, requests(SPREAD_CASES[:2]))
            ex.max_retries = 0
            out["not_retried"] = _kill_mid_evaluation(ex, slow_req, requests(SPREAD_CASES[2:3]))
        finally:
            ex.close()
            ray.shutdown()
        out["cli"] = _cli_eval(cache_root, work)
        out["sockets"] = _sockets()
        out["interfaces"] = [name for _, name in socket.if_nameindex()]
        return out
    finally:
        for proc in reversed(nodes):
            proc.terminate()
        for proc in nodes:
            proc.wait(60)


def run_throughput(cache_root: str, work: Path, ray_tmp: str) -> dict:
    """Seconds for RayExecutor.map over the CPU examples with 1 and 2 workers (caches warmed by the caller)."""
    import ray

    ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, num_cpus=2, _temp_dir=ray_tmp,
             object_store_memory=100 << 20, log_to_driver=False, logging_level="WARNING")
    seconds = {}
    try:
        for workers in (1, 2):
            ex = RayExecutor(scenario_evaluator(cache_root, **bench_config()), workers=workers)
            try:
                t0 = time.perf_counter()
                statuses = [res.status.value for _, res in ex.map(example_requests())]
                seconds[workers] = time.perf_counter() - t0
            finally:
                ex.close()
            assert statuses.count("ok") == len(statuses), statuses
    finally:
        ray.shutdown()
    return {"seconds": seconds}


def main() -> None:
    scenario, cache_root, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # Token authentication with a per-run secret, shared by every process of this cluster only.
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    ray_tmp = tempfile.mkdtemp(prefix="kr-", dir="/tmp")  # Ray's socket paths must stay under 107 bytes
    try:
        out = {"local": run_local, "cluster": run_cluster, "throughput": run_throughput}[scenario](cache_root, work, ray_tmp)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
