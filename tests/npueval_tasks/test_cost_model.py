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
