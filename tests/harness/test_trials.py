"""Which value-range variants make a fair trial (harness.trials), and replaying a drawn trial seed."""
from __future__ import annotations

import torch

from harness.backends import get_backend
from harness.config import DEFAULT_TOLERANCES
from harness.evaluate import Evaluator
from harness.result import Status
from harness.trials import describe, unusable, vary
from tests.conftest import fast_config


def test_a_variant_is_used_only_where_the_reference_is_finite_varied_and_well_conditioned():
    tol = {"float32": DEFAULT_TOLERANCES["float32"]}
    x = torch.randn(1000, dtype=torch.float64)
    assert unusable([x.float()], [x], tol) is None
    assert "not finite" in unusable([torch.tensor([1.0, float("inf")])], [], tol)
    assert "near zero or constant" in unusable([torch.full((10,), 3.0)], [torch.full((10,), 3.0).double()], tol)
    off = x.float() + 1e-3  # what a float32 reference gives where the op is ill-conditioned
    assert "ill-conditioned" in unusable([off], [x], tol)
    assert "float64" in unusable([x.float()], [], tol)


def test_variants_move_only_floating_point_inputs_and_name_themselves():
    idx, x = torch.arange(4), torch.ones(4)
    assert vary([idx, x, 3], "scaled_x1000")[0] is idx and vary([idx, x, 3], "scaled_x1000")[1][0] == 1000
    assert float(vary([x], "negated_shifted")[0][0]) == 2.0
    assert describe({"seed": 7, "random": True}) == "random seed 7"
    assert describe({"seed": 7, "random": True, "variant": "scaled_x1000"}) == "inputs scaled by 1000 (random seed 7)"
    assert describe({"seed": 42}) is None


def test_a_drawn_seed_is_recorded_and_replays_the_same_verdict(cache_root, sandbox, task, candidate):
    """The cheat's outputs are right on every public trial; the drawn seed catches it, and replaying
    that seed catches it the same way."""
    path = candidate("precomputed_outputs")
    fixed_only = Evaluator(get_backend("cpu"), fast_config(static_checks=False, random_trials=0, time_kernels=False),
                           cache_root=cache_root).evaluate(task("1_ReLU"), path, sandbox, "cpu")
    assert fixed_only.status != Status.INCORRECT and "random" not in fixed_only.seeds, fixed_only.error
    first = Evaluator(get_backend("cpu"), fast_config(static_checks=False), cache_root=cache_root).evaluate(
        task("1_ReLU"), path, sandbox, "cpu")
    [seed] = first.seeds["random"]
    assert first.status == Status.INCORRECT and f"random seed {seed}" in first.error
    again = Evaluator(get_backend("cpu"), fast_config(static_checks=False, trial_seed=seed), cache_root=cache_root
                      ).evaluate(task("1_ReLU"), path, sandbox, "cpu")
    assert again.seeds == first.seeds and again.error == first.error


def test_a_handed_out_pool_run_survives_another_workers_refill(cache_root, sandbox, task, monkeypatch):
    """Worker A gets the pool's last block; worker B, refilling before A runs, must not remove A's run
    (it did: the report tests then found no reference.json)."""
    from contextlib import ExitStack

    import harness.evaluate

    monkeypatch.setattr(harness.evaluate, "FIRST_RANDOM_POOL", 1)
    monkeypatch.setattr(harness.evaluate, "RANDOM_POOL", 1)
    ev = Evaluator(get_backend("cpu"), fast_config(time_kernels=False), cache_root=cache_root)
    relu = task("1_ReLU")
    with ExitStack() as a_held:
        a_run, a_seeds = ev._random_reference(relu, sandbox, "cpu", (), a_held)
        with ExitStack() as b_held:
            b_run, b_seeds = ev._random_reference(relu, sandbox, "cpu", (), b_held)  # refills: A's run is spent
            assert b_run.dir != a_run.dir and b_seeds != a_seeds
        assert (a_run.dir / "reference.json").exists()
    with ExitStack() as c_held:
        ev._random_reference(relu, sandbox, "cpu", (), c_held)  # the next refill removes A's run, now free
    assert not a_run.dir.exists()


def test_pool_runs_start_small_double_and_leave_nothing_behind(tmp_path, sandbox, task):
    """A task's first pool holds two evaluations' seeds, the next four; spent pools go at the next
    refill, the rest when the evaluator is closed or collected, a killed process's pools once idle
    for an hour: the cache does not fill with seeds nobody will draw again (it did: 11 GB in a CI run)."""
    import gc
    import os
    import time
    from contextlib import ExitStack

    from harness.cache import BoundedCache
    from harness.evaluate import ORPHAN_POOL_S
    from harness.reference import RANDOM_SECTION

    relu, cache = task("1_ReLU"), tmp_path / "cache"
    ev = Evaluator(get_backend("cpu"), fast_config(time_kernels=False), cache_root=cache)

    def draw():
        with ExitStack() as held:
            return ev._random_reference(relu, sandbox, "cpu", (), held)

    (first, s1), (same, s2), (second, s3) = draw(), draw(), draw()
    assert same.dir == first.dir and len(first.data["trials"]) == 2 and s1 != s2
    assert len(second.data["trials"]) == 4 and s3 not in (s1, s2)
    assert not first.dir.exists() and second.dir.exists()  # spent: removed at the refill
    ev.close()
    assert not second.dir.exists()
    after_close, _ = draw()  # still usable
    assert after_close.dir.exists()
    del ev, same, second, after_close
    gc.collect()
    assert not [e for e in (cache / RANDOM_SECTION).iterdir() if not e.name.startswith(".")]

    killed = Evaluator(get_backend("cpu"), fast_config(time_kernels=False), cache_root=cache)
    with ExitStack() as held:
        orphan, _ = killed._random_reference(relu, sandbox, "cpu", (), held)
    killed._random_runs.clear()  # as if its process had been killed: nobody will remove it
    del killed
    gc.collect()
    old = time.time() - ORPHAN_POOL_S - 60
    os.utime(orphan.dir, (old, old))
    survivor = Evaluator(get_backend("cpu"), fast_config(time_kernels=False), cache_root=cache)
    with ExitStack() as held:
        fresh, _ = survivor._random_reference(relu, sandbox, "cpu", (), held)
    assert not orphan.dir.exists()
    assert fresh.dir in {e.path for e in BoundedCache(cache).entries()}, "one cap counts the random section too"


_UNSEEDED_TASK = '''
import random
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)
def get_inputs():
    return [torch.randn(4096) + random.random()]  # randomness of its own: no seed reproduces it
def get_init_inputs():
    return []
'''


def test_timing_inputs_are_fresh_per_repetition_even_where_get_inputs_ignores_the_seed(cache_root, sandbox, task,
                                                                                      tmp_path):
    """On the CPU the parent makes each timed repetition's inputs and hands them over (harness.feed), so
    a task whose get_inputs has randomness of its own is timed on fresh inputs too. Whether inputs
    reproduce from a seed (what a GPU run makes them from) is still recorded with the baseline, also
    when the baseline was measured alone first (kernelgepa baseline)."""
    from kernelbench_tasks import load_task
    from tests.conftest import CANDIDATES

    fed = "fresh inputs per repetition, written by the harness and mapped by the run"
    ev = Evaluator(get_backend("cpu"), fast_config(), cache_root=cache_root)
    seeded = ev.evaluate(task("1_ReLU"), CANDIDATES / "relu_ok.py", sandbox, "cpu")
    assert seeded.status == Status.OK and seeded.kernel, (seeded.error, seeded.messages)
    assert seeded.seeds["timing_inputs"] == fed
    baseline_first = Evaluator(get_backend("cpu"), fast_config(), cache_root=tmp_path / "cache")
    baseline_first.reference(task("1_ReLU"), sandbox, "cpu", baseline_only=True)
    later = baseline_first.evaluate(task("1_ReLU"), CANDIDATES / "relu_ok.py", sandbox, "cpu")
    assert later.status == Status.OK and later.seeds["timing_inputs"] == fed, (later.seeds, later.error)
    assert baseline_first.reference(task("1_ReLU"), sandbox, "cpu").data["seeded_timing"] is True
    (tmp_path / "relu_unseeded.py").write_text(_UNSEEDED_TASK)
    unseeded = load_task(tmp_path / "relu_unseeded.py")
    r = ev.evaluate(unseeded, CANDIDATES / "relu_ok.py", sandbox, "cpu")
    assert r.status == Status.OK and r.kernel, (r.error, r.messages)
    assert r.seeds["timing_inputs"] == fed, r.seeds
    assert ev.reference(unseeded, sandbox, "cpu").data["seeded_timing"] is False
