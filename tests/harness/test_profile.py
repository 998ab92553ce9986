"""The Nsight Compute summary parser (the profiler itself needs a GPU; its output format does not)."""
import json
import os

import torch

from harness.backends.cupy import CupyBackend
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.profile import profile_candidate, summarize_ncu_csv
from harness.reference import ReferenceRun
from harness.tensorio import encode

NCU_RAW = '''==PROF== Connected to process 4242
==PROF== Profiling "relu_k" - 0: 0%....50%....100% - 9 passes
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","dram__throughput.avg.pct_of_peak_sustained_elapsed","gpu__time_duration.sum","sm__warps_active.avg.pct_of_peak_sustained_active"
"","","","","","","","%","nsecond","%"
"0","4242","python3","127.0.0.1","relu_k(const float *, float *, long)","1","7","91.52","12544","78.31"
'''


def test_ncu_raw_csv_becomes_one_line_per_kernel():
    out = summarize_ncu_csv(NCU_RAW)
    assert out.startswith("relu_k(const float *, float *, long):")
    assert "achieved occupancy % 78.31" in out and "DRAM throughput % of peak 91.52" in out
    assert "duration (ns) 12544" in out and len(out.splitlines()) == 1


def test_no_csv_means_no_summary():
    assert summarize_ncu_csv("==ERROR== the profiler could not be loaded") == ""


class _RunnableCupy(CupyBackend):
    """This machine has no GPU: claim one so the profiler path is taken (ncu below is a stand-in)."""

    @property
    def can_run(self) -> bool:
        return True


def test_profiled_candidate_gets_the_same_backend_setup_as_the_evaluated_run(tmp_path, monkeypatch):
    # A stand-in ncu that keeps the job the profiler wrote: a CuPy candidate's child must be told its
    # backend, or it never installs the CuPy build hooks.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ncu").write_text(f'#!/bin/sh\nfor a; do last="$a"; done\ncp "$last/job.json" {tmp_path}/seen.json\n')
    (bindir / "ncu").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    ev = Evaluator(_RunnableCupy(), EvalConfig(profile=True), cache_root=tmp_path / "cache")
    (tmp_path / "ref").mkdir()
    outs = encode([torch.zeros(1024)], tmp_path / "ref", "t0_out")
    ref = ReferenceRun(tmp_path / "ref", {"trials": [{"outputs": outs}]})
    out = profile_candidate(ev, ref, tmp_path / "cand.py", {"k": "/a.cubin"}, "cuda:0")
    assert out.startswith("profile: ncu produced no metrics")
    job = json.loads((tmp_path / "seen.json").read_text())
    evaluated = ev.candidate_job(tmp_path / "cand.py", ref, {"k": "/a.cubin"}, 1, timed=False)
    assert job["backend"] == "cupy" and job["interpret"] is False and job["compile_only"] is False
    assert job["device"] == "cuda:0" and job["expected_out_bytes"] == 0 and evaluated["expected_out_bytes"] > 0
    assert {k: v for k, v in job.items() if k not in ("device", "expected_out_bytes")} == \
        {k: v for k, v in evaluated.items() if k not in ("device", "expected_out_bytes")}


def test_ncu_profiling_is_opt_in_because_ncu_runs_the_candidate_outside_the_sandbox(tmp_path):
    from kernelgepa.cli import _evaluator, build_parser

    common = ["eval", "--backend", "cpu", "--cache-dir", str(tmp_path)]
    assert _evaluator(build_parser().parse_args(common)).cfg.profile is False
    assert _evaluator(build_parser().parse_args(common + ["--ncu-profile"])).cfg.profile is True
