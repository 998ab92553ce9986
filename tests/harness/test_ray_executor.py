"""RayExecutor on real Ray: a local instance and a two-node cluster on this machine, all on loopback.

Every Ray process runs inside a private network namespace holding only ``lo`` (see
ray_scenarios.py for why flags alone do not keep Ray on loopback); these tests read what the
scenarios saw and check the host's own sockets while the cluster is up.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from harness.executor import LocalExecutor
from harness.result import Status
from harness.sandbox.local import LocalProcessSandbox
from tests.harness.ray_scenarios import (VERDICT_CASES, case_key, finish, netns_unavailable_reason, requests,
                                         scenario_evaluator, start_scenario)

pytest.importorskip("ray", reason="ray is not installed (pip install 'kernelgepa[ray]')")
pytestmark = pytest.mark.skipif(netns_unavailable_reason() is not None, reason=netns_unavailable_reason() or "")


def _descendants(root: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, grew = {root}, True
    while grew:
        new = {pid for pid, ppid in parents.items() if ppid in found} - found
        found |= new
        grew = bool(new)
    return found


@pytest.fixture(scope="module")
def local_run(cache_root, tmp_path_factory) -> dict:
    return finish(start_scenario("local", cache_root, tmp_path_factory.mktemp("ray-local")))


@pytest.fixture(scope="module")
def cluster_run(cache_root, tmp_path_factory) -> dict:
    proc = start_scenario("cluster", cache_root, tmp_path_factory.mktemp("ray-cluster"))
    try:
        for line in proc.stdout:  # Ray may print its own lines first
            if line.strip() == '{"event": "up"}':
                break
        else:
            pytest.fail("the cluster did not come up: " + proc.stderr.read()[-3000:])
        ours = _descendants(proc.pid)
        host_sockets = subprocess.run(["ss", "-tanpH"], capture_output=True, text=True).stdout
        # Sockets of the cluster's processes visible in this machine's own network stack: must be none.
        leaked = [ln for ln in host_sockets.splitlines() if any(int(p) in ours for p in re.findall(r"pid=(\d+)", ln))]
        proc.stdin.write("\n")
        proc.stdin.flush()
        return {**finish(proc), "host_leaks": leaked, "cluster_pids": len(ours)}
    finally:
        if proc.poll() is None:
            proc.kill()


def test_local_ray_gives_the_same_verdicts_as_the_local_executor(local_run, cache_root):
    # The scenario's own evaluator settings, so this run reuses the builds and baselines Ray's made.
    ex = LocalExecutor(scenario_evaluator(str(cache_root)), lambda: LocalProcessSandbox(threads=1), workers=1)
    try:
        local = {case_key(req): res for req, res in ex.map(requests(VERDICT_CASES))}
    finally:
        ex.close()
    ray = local_run["results"]
    assert local_run["workers"] == 2
    assert {k: r["status"] for k, r in ray.items()} == {k: r.status.value for k, r in local.items()}
    assert {r["status"] for r in ray.values()} == {"ok", "incorrect", "runtime_error", "rejected", "invalid"}
    assert all(r["node"] for r in ray.values()) and all(r.node is None for r in local.values())


def test_evaluations_land_on_both_nodes(cluster_run):
    nodes = cluster_run["nodes"]
    [second] = [node for node, resources in nodes.items() if resources.get("node2")]
    assert len(nodes) == 2 and sorted(cluster_run["worker_nodes"]) == sorted(nodes)
    spread = cluster_run["spread"]
    assert all(r["status"] == "ok" for r in spread.values()), spread
    assert {r["node"] for r in spread.values()} == set(nodes)
    assert any(r["node"] == second for r in spread.values())


def test_killed_worker_evaluation_is_retried_and_finished_results_kept(cluster_run):
    run = cluster_run["retried"]
    assert run["victim"] not in run["workers_after"] and len(run["workers_after"]) == 2  # replaced
    assert run["result"]["status"] == "ok"
    assert any(f"worker {run['victim']}" in w and "lost" in w for w in run["result"]["warnings"])
    assert [r["status"] for r in run["others"]] == ["ok", "ok"]


def test_killed_worker_without_retries_is_an_infra_error_not_a_verdict(cluster_run):
    run = cluster_run["not_retried"]
    assert run["result"]["status"] == Status.INFRA_ERROR.value and not run["result"]["correct"]
    assert f"worker {run['victim']}" in run["result"]["error"]
    assert [r["status"] for r in run["others"]] == ["ok"]
    assert run["victim"] not in run["workers_after"] and len(run["workers_after"]) == 2


def test_cli_eval_runs_on_the_cluster(cluster_run):
    cli = cluster_run["cli"]
    assert cli["rc"] == 0, cli["stderr"]
    [row] = cli["json"]["results"]
    assert row["status"] == "ok" and row["node"] in cluster_run["nodes"]
    assert cli["json"]["summary"]["n_correct"] == 1 and cli["json"]["summary"]["n_infra_error"] == 0


_LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1", "::1", "*", "0.0.0.0", "::"}


def _hosts(ss_output: str) -> set[str]:
    hosts = set()
    for line in ss_output.splitlines():
        for addr in line.split()[3:5]:
            hosts.add(addr.rsplit(":", 1)[0].strip("[]"))
    return hosts


def test_ray_traffic_stays_on_loopback(local_run, cluster_run):
    for run in (local_run, cluster_run):
        # Only lo exists where Ray runs, so even its wildcard listeners are reachable on loopback only.
        assert run["interfaces"] == ["lo"]
        assert "ESTAB" in run["sockets"] and "raylet" in run["sockets"]
        assert _hosts(run["sockets"]) <= _LOOPBACK, run["sockets"]
    assert cluster_run["cluster_pids"] > 5 and cluster_run["host_leaks"] == []
