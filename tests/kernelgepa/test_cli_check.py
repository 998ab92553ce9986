"""``kernelgepa check``: the static rules on files, one row each, nothing run."""
from __future__ import annotations

import argparse
import json

from kernelbench_tasks import EXAMPLES_DIR
from kernelgepa.cli import main
from tests.conftest import CANDIDATES


def test_rows_statuses_json_and_exit_code(tmp_path, capsys):
    files = [EXAMPLES_DIR / "cpu" / "1_ReLU.py", CANDIDATES / "partial_linear_fused.py",
             CANDIDATES / "network.py", tmp_path / "missing.py"]
    (tmp_path / "broken.py").write_text("def f(:\n")
    files.append(tmp_path / "broken.py")
    out = tmp_path / "check.json"
    assert main(["check", *map(str, files), "--json", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert doc["rules"] == "kernelbench"
    rows = {r["file"].rsplit("/", 1)[-1]: r for r in doc["results"]}
    assert set(rows["1_ReLU.py"]) >= {"file", "ok", "status", "reason"}
    assert rows["1_ReLU.py"]["ok"] and rows["1_ReLU.py"]["status"] == "ok"
    # kernelbench rules: a kept library GEMM is allowed, and listed
    partial = rows["partial_linear_fused.py"]
    assert partial["ok"] and partial["torch_calls"] == ["line 25: torch.mm"]
    assert rows["network.py"]["status"] == "rejected" and "socket" in rows["network.py"]["reason"]
    assert rows["missing.py"]["status"] == "invalid" and "cannot read" in rows["missing.py"]["reason"]
    assert rows["broken.py"]["status"] == "invalid" and "syntax error" in rows["broken.py"]["reason"]
    assert "Traceback" not in capsys.readouterr().err


def test_strict_rules_refuse_torch_compute_calls(tmp_path):
    out = tmp_path / "check.json"
    assert main(["check", str(CANDIDATES / "partial_linear_fused.py"), "--rules", "strict", "--json", str(out)]) == 1
    [row] = json.loads(out.read_text())["results"]
    assert row["status"] == "rejected" and "torch.mm" in row["reason"] and "--rules strict" in row["reason"]
    assert main(["check", str(EXAMPLES_DIR / "cpu" / "1_ReLU.py"), "--rules", "strict"]) == 0


def _subparser(name: str):
    from kernelgepa.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def test_check_takes_the_shared_rules_option_without_tolerance():
    """``check`` gets ``--rules`` from the helper ``eval`` uses (same choices, default and help), and no
    ``--tolerance``: it runs nothing, so it compares nothing."""
    def options(name):
        return {a.dest: a for a in _subparser(name)._actions}

    check, ev = options("check"), options("eval")
    assert "tolerance" not in check and "tolerance" in ev
    assert (check["rules"].choices, check["rules"].default, check["rules"].help) == \
           (ev["rules"].choices, ev["rules"].default, ev["rules"].help)
