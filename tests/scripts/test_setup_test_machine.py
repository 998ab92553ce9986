"""scripts/setup_test_machine.sh: harmless where it cannot install (no root, no apt), quick when all is there."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup_test_machine.sh"


def test_without_root_or_apt_it_only_says_what_is_missing(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "seq", "sleep", "cat"):
        path = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        if path:
            (bin_dir / tool).symlink_to(path)
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "python").symlink_to(sys.executable)
    os.chmod(bin_dir / "id", 0o755)
    proc = subprocess.run([str(bin_dir / "bash"), str(SCRIPT)], env={"PATH": str(bin_dir)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "skipped installing docker.io chromium-headless-shell" in proc.stdout
    assert "needs root and apt-get" in proc.stdout
