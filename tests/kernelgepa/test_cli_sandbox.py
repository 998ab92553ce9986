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


def test_default_image_is_built_on_first_use():
    """An engine without our image: --sandbox docker builds it (a local import) instead of stopping; another
    image name still stops with the one-line hint. (A fake engine: the real one is shared with other runs.)"""
    import docker
    import pytest

    from harness.sandbox.client import SandboxStartError
    from harness.sandbox.docker import DEFAULT_IMAGE
    from kernelgepa.cli_sandbox import ensure_image

    class Engine:
        def __init__(self):
            self.imported = []
            self.images, self.api = self, self

        def get(self, name):
            if name not in self.imported:
                raise docker.errors.ImageNotFound(name)
            return type("Image", (), {"labels": {"built": "1"}})()

        def import_image_from_data(self, data, repository, tag, changes):
            self.imported.append(f"{repository}:{tag}")

    engine = Engine()
    ensure_image(engine, DEFAULT_IMAGE)
    assert engine.imported == [DEFAULT_IMAGE]
    ensure_image(engine, DEFAULT_IMAGE)  # present now: nothing rebuilt
    assert engine.imported == [DEFAULT_IMAGE]
    with pytest.raises(SandboxStartError, match="build-image"):
        ensure_image(engine, "someone-else:1")
