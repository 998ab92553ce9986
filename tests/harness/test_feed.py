"""Timed repetitions' inputs handed over ready-made (harness.feed): the file format round trip, and
the folder a child can open files in by name but never list."""
from __future__ import annotations

import os
import stat

import pytest
import torch

from harness.feed import InputFeed, NotFeedable, is_feed_name, map_inputs, write_inputs

TASK = '''
import torch
import torch.nn as nn
n = 64
class Model(nn.Module):
    def forward(self, a, b, k):
        return a[:, :k] @ b
def get_inputs():
    return [torch.randn(n, n), torch.randn(n, n).t(), 32]
def get_init_inputs():
    return []
'''


def test_arguments_round_trip_with_dtypes_strides_and_plain_values(tmp_path):
    values = [torch.randn(3, 5).t(), torch.randn(7, dtype=torch.float64).to(torch.bfloat16),
              torch.tensor([True, False, True]), torch.empty(0, 4), torch.arange(6).expand(2, 6), 3, 0.5, None, "x"]
    write_inputs(values, tmp_path / "f")
    got = map_inputs(tmp_path / "f")
    assert got[5:] == [3, 0.5, None, "x"]
    for want, have in zip(values[:5], got[:5]):
        assert have.dtype == want.dtype and have.shape == want.shape and torch.equal(have, want)
    assert got[0].stride() == values[0].stride()  # a transposed input stays transposed
    assert got[4].is_contiguous()  # an expanded one is written out in full


def test_a_kernel_writing_its_inputs_changes_only_its_own_copy(tmp_path):
    write_inputs([torch.zeros(1024)], tmp_path / "f")
    x = map_inputs(tmp_path / "f")[0]
    x.fill_(7.0)
    assert torch.equal(map_inputs(tmp_path / "f")[0], torch.zeros(1024))


def test_values_that_are_not_raw_bytes_are_refused_in_one_line(tmp_path):
    with pytest.raises(NotFeedable, match="get_inputs returned a dict"):
        write_inputs([{"a": 1}], tmp_path / "f")


def test_a_feed_makes_seeded_files_in_an_unlistable_folder_and_removes_them(tmp_path):
    (tmp_path / "task.py").write_text(TASK)
    feed = InputFeed(tmp_path / "feed", str(tmp_path / "task.py"), {"n": 16})
    assert stat.S_IMODE(os.stat(feed.folder).st_mode) == 0o311  # open by name, never list
    a, b = feed.make(5), feed.make(5)
    assert a != b and is_feed_name(a) and not is_feed_name("../" + a[3:])
    x, y = map_inputs(feed.path(a)), map_inputs(feed.path(b))
    torch.manual_seed(5)
    want = torch.randn(16, 16)
    assert torch.equal(x[0], want) and torch.equal(y[0], want) and x[2] == 32 and x[1].shape == (16, 16)
    feed.drop(a)
    assert not feed.path(a).exists() and feed.path(b).exists()
    feed.close()
    assert not feed.folder.exists()


def test_the_parents_own_random_state_is_left_as_it_was(tmp_path):
    (tmp_path / "task.py").write_text(TASK)
    feed = InputFeed(tmp_path / "feed", str(tmp_path / "task.py"), {})
    torch.manual_seed(1)
    before = torch.random.get_rng_state()
    feed.make(99)
    assert torch.equal(torch.random.get_rng_state(), before)
    feed.close()


def test_inputs_are_made_on_the_parents_own_thread_and_its_thread_count_restored(tmp_path):
    """OpenMP workers woken while the parent makes inputs spin on afterwards, on the cores the child
    is timed on, so the parent makes them on one thread."""
    (tmp_path / "task.py").write_text(TASK.replace("torch.randn(n, n).t(), 32]", "torch.randn(n, n), torch.get_num_threads()]"))
    feed = InputFeed(tmp_path / "feed", str(tmp_path / "task.py"), {})
    before = torch.get_num_threads()
    assert map_inputs(feed.path(feed.make(1)))[2] == 1
    assert torch.get_num_threads() == before
    feed.close()


@pytest.mark.parametrize("how", ["fed", "seeded"])
def test_a_paced_repetition_runs_on_what_its_go_signal_names(tmp_path, how):
    """The timing loop, paced as the parent paces it: each repetition's arguments are the file its go
    names (CPU) or that seed's inputs made in the buffers (what a GPU run does), never the trials'."""
    from harness.worker.inputs import fresh_inputs
    from harness.worker.timing import measure
    from kernelbench_tasks.task import exec_task_module

    (tmp_path / "task.py").write_text(TASK)
    mod = exec_task_module(TASK, tmp_path / "task.py", {"n": 8})
    feed = InputFeed(tmp_path / "feed", str(tmp_path / "task.py"), {"n": 8})
    trial = [torch.zeros(8, 8), torch.zeros(8, 8), 32]
    buffers = [t.clone() if isinstance(t, torch.Tensor) else t for t in trial]
    seen, sent = [], []

    def pace(token):
        if token != "n":
            return "g"
        sent.append(len(sent) + 100)
        return f"g @{feed.make(sent[-1])}" if how == "fed" else f"g {sent[-1]}"

    fresh = fresh_inputs(feed.folder if how == "fed" else None, mod if how == "seeded" else None, "cpu", buffers)
    measure(lambda a, b, k: seen.append(a.clone()), buffers, [trial], torch.device("cpu"),
            {"warmup": 1, "min_reps": 3, "max_reps": 3}, pace, fresh=fresh)
    paced = seen[-3:]
    for x, seed in zip(paced, sent):
        torch.manual_seed(seed)
        assert torch.equal(x, torch.randn(8, 8))
    feed.close()
