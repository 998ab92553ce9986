"""Collects medians from the benchmarks in one run and prints side-by-side ratios at the end."""
from __future__ import annotations

import pytest

_ROWS: list[tuple[str, str, float, str, float, str]] = []


@pytest.fixture
def report_ratio():
    """report_ratio(title, name_a, value_a, name_b, value_b, unit="s"): one side-by-side row (a/b).
    Values in seconds print as ms; any other unit (e.g. "rollouts") prints as given."""
    def add(title, a, ta, b, tb, unit="s"):
        _ROWS.append((title, a, ta, b, tb, unit))
    return add


def pytest_terminal_summary(terminalreporter):
    if not _ROWS:
        return
    tr = terminalreporter
    tr.section("side-by-side (medians from this run)")
    for title, a, ta, b, tb, unit in _ROWS:
        fa, fb = (f"{ta * 1e3:.1f} ms", f"{tb * 1e3:.1f} ms") if unit == "s" else (f"{ta:g} {unit}", f"{tb:g} {unit}")
        tr.write_line(f"{title}: {a} {fa} | {b} {fb} | ratio {a}/{b} = {ta / tb:.3f}")
