import pytest

from npueval_tasks.cost_model import estimate


def test_estimate_is_vector_cycles_over_overlapped_memory_plus_scalar_blocks():
    stats = {"blocks": 16, "ops": {"alu": [16, 256, 16], "load": [32, 512, 32], "store": [16, 256, 16]}}
    est = estimate(stats)
    assert (est.vector_cycles, est.memory_cycles, est.scalar_cycles) == (16, 16, 16)
    assert est.utilisation == pytest.approx(16 / 32) and est.estimated_cycles == 32
    assert "estimated" in est.summary() and "50.0%" in est.summary()


def test_memory_bound_and_scalar_only_and_empty():
    assert estimate({"blocks": 0, "ops": {"alu": [1, 16, 1], "store": [8, 512, 16]}}).utilisation == pytest.approx(1 / 16)
    assert estimate({"blocks": 700, "ops": {}}).utilisation == 0.0
    assert estimate({}).utilisation == 0.0


def test_only_vector_work_that_reaches_the_output_counts():
    stats = {"blocks": 16, "ops": {"alu": [64, 1024, 64], "load": [32, 512, 32], "store": [16, 256, 16]}}
    live = estimate(stats, {"stable": True, "tested_slots": 64, "live_slots": 16})
    assert live.vector_cycles == 16 and live.discarded_cycles == 48
    assert live.utilisation == pytest.approx(estimate({**stats, "ops": {**stats["ops"], "alu": [16, 256, 16]}}).utilisation)
    assert "48 more vector cycles discarded" in live.summary()
    assert estimate(stats, {"stable": True, "tested_slots": 64, "live_slots": 0}).utilisation == 0.0
    unstable = estimate(stats, {"stable": False, "tested_slots": 64, "live_slots": 64})
    assert unstable.utilisation == 0.0 and "differs between identical runs" in unstable.summary()
