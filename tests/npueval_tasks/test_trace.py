import json

import pytest

from npueval_tasks.trace import TraceError, vector_score, vector_score_file


def ev(name, ph, ts):
    return {"name": name, "ph": ph, "ts": ts, "pid": 0, "tid": 0}


def test_vector_pairs_inside_the_window_over_its_length():
    trace = [ev("INSTR_EVENT_0", "B", 100), ev("INSTR_EVENT_0", "E", 101),
             ev("INSTR_VECTOR", "B", 110), ev("INSTR_VECTOR", "E", 130),
             ev("INSTR_VECTOR", "B", 150), ev("INSTR_VECTOR", "E", 160),
             ev("INSTR_EVENT_1", "B", 200), ev("INSTR_EVENT_1", "E", 201)]
    assert vector_score(trace) == pytest.approx(30 / 100)


def test_vector_outside_or_straddling_the_window_counts_only_inside():
    trace = [ev("INSTR_VECTOR", "B", 0), ev("INSTR_VECTOR", "E", 40),      # before the window
             ev("INSTR_EVENT_0", "B", 50), ev("INSTR_VECTOR", "B", 45), ev("INSTR_VECTOR", "E", 60),
             ev("INSTR_VECTOR", "B", 140), ev("INSTR_VECTOR", "E", 170),  # straddles the end
             ev("INSTR_EVENT_1", "B", 150), ev("INSTR_VECTOR", "B", 180), ev("INSTR_VECTOR", "E", 190)]
    assert vector_score(trace) == pytest.approx((10 + 10) / 100)


def test_unordered_events_metadata_and_back_to_back_pairs(tmp_path):
    trace = {"traceEvents": [{"name": "process_name", "ph": "M", "args": {}},
                             ev("INSTR_EVENT_1", "B", 20), ev("INSTR_VECTOR", "E", 15), ev("INSTR_VECTOR", "B", 10),
                             ev("INSTR_VECTOR", "E", 10), ev("INSTR_VECTOR", "B", 5), ev("INSTR_EVENT_0", "B", 0)]}
    assert vector_score(trace) == pytest.approx(10 / 20)
    f = tmp_path / "trace.json"
    f.write_text(json.dumps(trace))
    assert vector_score_file(f) == pytest.approx(0.5)


def test_scalar_kernel_scores_zero_and_missing_events_are_errors(tmp_path):
    assert vector_score([ev("INSTR_EVENT_0", "B", 0), ev("INSTR_EVENT_1", "B", 1000)]) == 0.0
    with pytest.raises(TraceError, match="INSTR_EVENT_0"):
        vector_score([ev("INSTR_VECTOR", "B", 0), ev("INSTR_EVENT_1", "B", 10)])
    with pytest.raises(TraceError, match="INSTR_EVENT_1"):
        vector_score([ev("INSTR_EVENT_0", "B", 0)])
    with pytest.raises(TraceError, match="numeric ts"):
        vector_score([{"name": "INSTR_EVENT_0", "ph": "B"}])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(TraceError, match="cannot read"):
        vector_score_file(tmp_path / "bad.json")
