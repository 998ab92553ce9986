"""Static false rejections on real, honest solutions: the 413 LLM-written KernelBench solutions that
KernelBench's own eval accepted, from a public leaderboard's data (not shipped: point
KERNELGEPA_KB_SOLUTIONS at its raw_data.json, a list of {"code": ...}). Target: at most 1 % refused
by `kernelgepa check` under the default rules."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.static_checks import check_candidate

CORPUS = Path(os.environ.get("KERNELGEPA_KB_SOLUTIONS") or "/nonexistent")


@pytest.mark.skipif(not CORPUS.is_file(), reason="no solution corpus: set KERNELGEPA_KB_SOLUTIONS to its raw_data.json")
def test_static_false_rejections_on_accepted_solutions(benchmark):
    codes = [r["code"] for r in json.loads(CORPUS.read_text())]
    verdicts = benchmark.pedantic(lambda: [check_candidate(c) for c in codes], rounds=3, iterations=1)
    refused = [v.reason for v in verdicts if not v.ok]
    print(f"\n{len(refused)}/{len(codes)} refused ({100 * len(refused) / len(codes):.2f} %): {refused}")
    assert len(codes) >= 400 and len(refused) <= 0.01 * len(codes)
