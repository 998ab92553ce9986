"""Collects medians from the benchmarks in one run and prints side-by-side ratios at the end."""
from __future__ import annotations

import pytest

_ROWS: list[tuple[str, str, float, str, float]] = []


@pytest.fixture
def report_ratio():
    """report_ratio(title, name_a, seconds_a, name_b, seconds_b): one side-by-side row (a/b)."""
    def add(title, a, ta, b, tb):
        _ROWS.append((title, a, ta, b, tb))
    return add


def pytest_terminal_summary(terminalreporter):
    if not _ROWS:
        return
    tr = terminalreporter
    tr.section("side-by-side (medians from this run)")
    for title, a, ta, b, tb in _ROWS:
        tr.write_line(f"{title}: {a} {ta * 1e3:.1f} ms | {b} {tb * 1e3:.1f} ms | ratio {a}/{b} = {ta / tb:.3f}")
