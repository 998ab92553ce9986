"""The optimize progress display: a live panel on a terminal, one line per event in logs."""
from rich.console import Console

from kernelgepa import tables

STATE = {"iteration": 3, "event": "mutation 7 accepted: minibatch 1.20 -> 2.10", "rollouts": 12, "usd": 0.5,
         "frontier": 2, "fast_1": 0.33, "best_speedup": {"1_ReLU": 1.5, "5_Softmax": None}}


def test_panel_shows_counters_best_speedups_and_recent_events():
    c = Console(width=100, record=True)
    c.print(tables._search_panel(STATE, ["it 3: mutation 7 accepted"], False))
    out = c.export_text()
    for want in ("rollouts", "12", "0.500", "0.33", "1_ReLU", "1.50x", "5_Softmax", "mutation 7 accepted"):
        assert want in out


def test_without_a_terminal_each_event_is_one_line(monkeypatch):
    c = Console(width=200, record=True, force_terminal=False)
    monkeypatch.setattr(tables, "console", c)
    with tables.search_progress() as update:
        update(STATE)
        update({**STATE, "iteration": 4, "event": "merge 9 rejected by the gate"})
    lines = c.export_text().strip().splitlines()
    assert len(lines) == 2 and "rollouts 12" in lines[0] and "1_ReLU=1.50x" in lines[0] and "merge 9" in lines[1]


def test_npu_runs_show_labelled_vector_utilisation_and_no_fast_1():
    state = {**STATE, "best_speedup": {"relu_int8": None}, "best_vector_util": {"relu_int8": (0.34, "estimated")}}
    c = Console(width=100, record=True)
    c.print(tables._search_panel(state, [], True))
    out = c.export_text()
    assert "34.0% vector (estimated)" in out and "fast_1" not in out
    assert "fast_1" not in tables._search_line(state, True) and "34.0% vector (estimated)" in tables._search_line(state, True)
