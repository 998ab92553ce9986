"""Cache entries are sealed by trusted code and verified on read: a corrupt entry is rebuilt, never used."""
from __future__ import annotations

import json
import os

import pytest

from harness.backends import get_backend
from harness.evaluate import Evaluator
from harness.integrity import SEAL, discard_unless_verified, seal, verify
from harness.result import Status
from tests.conftest import CANDIDATES, fast_config


def _entry(tmp_path):
    e = tmp_path / "entry"
    (e / "sub").mkdir(parents=True)
    (e / "a.bin").write_bytes(b"\x01" * 64)
    (e / "sub" / "b.json").write_text("{}")
    seal(e)
    return e


@pytest.mark.parametrize("tamper", ["change", "add", "remove", "symlink", "seal"])
def test_any_change_to_a_sealed_entry_fails_verification(tmp_path, tamper):
    e = _entry(tmp_path)
    assert verify(e)
    if tamper == "change":
        (e / "a.bin").write_bytes(b"\x02" + b"\x01" * 63)
    elif tamper == "add":
        (e / "planted.so").write_bytes(b"x")
    elif tamper == "remove":
        (e / "sub" / "b.json").unlink()
    elif tamper == "symlink":
        (e / "a.bin").unlink()
        os.symlink("/etc/hostname", e / "a.bin")
    else:
        (e / SEAL).write_text(json.dumps({"sha256": {}}))
    assert not verify(e)
    assert not discard_unless_verified(e) and not e.exists()


def test_unsealed_entry_is_not_trusted(tmp_path):
    e = tmp_path / "entry"
    e.mkdir()
    (e / "reference.json").write_text("{}")
    assert not discard_unless_verified(e)


@pytest.fixture(scope="module")
def ev(tmp_path_factory):
    return Evaluator(get_backend("cpu"), fast_config(), cache_root=tmp_path_factory.mktemp("integrity-cache"))


def _ok(ev, sandbox, task):
    r = ev.evaluate(task("1_ReLU"), CANDIDATES / "relu_ok.py", sandbox, "cpu")
    assert r.status == Status.OK, (r.error, r.messages)
    return r


@pytest.mark.parametrize("what", ["expected_output", "baseline", "artifact"])
def test_corrupt_cache_entry_is_rebuilt_and_the_verdict_is_unchanged(ev, sandbox, task, what):
    first = _ok(ev, sandbox, task)
    [ref] = [d for d in (ev.cache_root / "ref").iterdir() if d.is_dir() and not d.name.startswith(".")]
    if what == "expected_output":
        out = ref / "t0_out_0.bin"
        out.write_bytes(b"\0" * out.stat().st_size)  # zeros: a kernel returning zeros would now "pass"
    elif what == "baseline":
        data = json.loads((ref / "reference.json").read_text())
        data["timing"]["median_ms"] *= 1000
        (ref / "reference.json").write_text(json.dumps(data))
    else:
        [lib] = list((ev.cache_root / "build").glob("*/lib.so"))
        lib.write_bytes(b"not a library")
    again = _ok(ev, sandbox, task)
    assert verify(ref) or not ref.exists()
    if what == "baseline":
        assert again.baseline.median_ms < 100 * first.baseline.median_ms
    if what == "artifact":
        assert again.compile_s and again.compile_s > 0  # rebuilt, not loaded
