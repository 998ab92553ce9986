"""``--sandbox docker`` on the command line: one line when the engine or image is missing, a real run otherwise."""
from __future__ import annotations

import json

from harness.result import Status
from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR
from kernelgepa.cli import main

RELU = SUITE_DIR / "level1" / "1_ReLU.py"


def _one_error_line(rc: int, err: str) -> str:
    lines = err.strip("\n").splitlines()
    assert rc == 1 and len(lines) == 1 and lines[0].startswith("kernelgepa: error:"), (rc, err)
    return lines[0]


def test_unreachable_engine_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    rc = main(["eval", "--tasks", str(RELU), "--sandbox", "docker"])
    line = _one_error_line(rc, capsys.readouterr().err)
    assert "/nonexistent/docker.sock" in line or "pip install" in line


def test_missing_image_is_one_line(docker_image, capsys):
    rc = main(["baseline", "--tasks", str(RELU), "--sandbox", "docker", "--docker-image", "kernelgepa-none:0"])
    assert "kernelgepa sandbox build-image" in _one_error_line(rc, capsys.readouterr().err)


def test_build_image_then_eval_in_docker(docker_image, tmp_path, capsys):
    tag = "kernelgepa-host:cli-test"
    assert main(["sandbox", "build-image", "--tag", tag]) == 0
    assert tag in capsys.readouterr().out
    out = tmp_path / "eval.json"
    rc = main(["eval", "--tasks", str(RELU), "--solutions", str(EXAMPLES_DIR / "cpu"), "--trials", "2",
               "--threads", "2", "--sandbox", "docker", "--docker-image", tag, "--cache-dir", str(tmp_path / "cache"),
               "--json", str(out)])
    assert rc == 0
    [row] = json.loads(out.read_text())["results"]
    assert row["status"] == Status.OK.value and row["speedup"] > 0
    assert row["sandbox"]["container"] == tag and row["sandbox"]["read_only_root"]
