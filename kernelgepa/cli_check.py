"""``kernelgepa check FILE...``: the static rules on solution files, nothing run. For users linting
solutions and for other projects' CI; exit code 1 when any file fails."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.config import RULES


def add_rules_args(p: argparse.ArgumentParser, *, tolerance: bool = True) -> None:
    """``--rules`` and, unless ``tolerance`` is False (``check`` runs nothing, so compares nothing),
    ``--tolerance``."""
    p.add_argument("--rules", choices=RULES, default="kernelbench",
                   help="kernelbench (default): KernelBench's rules, PyTorch compute ops allowed and recorded, "
                        "decorative kernels refused; strict: no PyTorch compute op in forward")
    if not tolerance:
        return
    p.add_argument("--tolerance", type=float, metavar="TOL",
                   help="atol = rtol for every float dtype instead of KernelBench's (e.g. 1e-2 as in its v0.1); "
                        "recorded in every result")


def add_check_parser(sub) -> None:
    p = sub.add_parser("check", help="static rules on solution files without running them (one row per file)")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_rules_args(p, tolerance=False)
    p.add_argument("--json", metavar="OUT", help='write {"results": [...]} as JSON')


def check_file(path: Path, rules: str) -> dict:
    """One row: file, ok, status (ok | invalid | rejected), reason, and the PyTorch compute calls seen
    in forward (warnings under kernelbench rules, a refusal under strict)."""
    from harness.static_checks import check_candidate, torch_compute_calls

    row = {"file": str(path), "ok": False, "status": "invalid", "reason": "", "torch_calls": []}
    try:
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        row["reason"] = f"cannot read: {getattr(e, 'strerror', None) or e}"
        return row
    verdict = check_candidate(source, str(path))
    if not verdict.ok:
        row.update(status=verdict.status, reason=verdict.reason)
        return row
    row["torch_calls"] = calls = torch_compute_calls(source)
    if calls and rules == "strict":
        row.update(status="rejected", reason=f"PyTorch compute call in forward (--rules strict): {calls[0]}")
        return row
    row.update(ok=True, status="ok")
    return row


def cmd_check(args, write_json) -> int:
    from rich.markup import escape
    from rich.table import Table

    from kernelgepa.tables import console

    rows = [check_file(Path(f), args.rules) for f in args.files]
    table = Table(title=f"static check (--rules {args.rules})")
    for col in ("file", "status", "reason / PyTorch compute calls"):
        table.add_column(col)
    for r in rows:
        note = r["reason"] or ("; ".join(r["torch_calls"][:3]) + (" ..." if len(r["torch_calls"]) > 3 else ""))
        table.add_row(escape(r["file"]), r["status"], escape(note))
    console.print(table)
    if args.json:
        write_json(args.json, {"rules": args.rules, "results": rows})
    return 0 if all(r["ok"] for r in rows) else 1
