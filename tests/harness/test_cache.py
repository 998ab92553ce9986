"""The bounded cache: cap, least-recently-used eviction, whole entries only, one line on a full disk."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness import cache as cache_mod
from harness.build import Builder, BuildRequest
from harness.cache import BoundedCache, CacheWriteError, configured_max, parse_bytes

ROOT = Path(__file__).resolve().parents[2]
KiB = 1 << 10


def staged(store: BoundedCache, section: str, size: int) -> Path:
    d = store.stage(section)
    (d / "data.bin").write_bytes(os.urandom(size))
    return d


def age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_sizes_and_cap_sources(tmp_path, monkeypatch):
    assert parse_bytes("5GB") == 5 << 30 and parse_bytes("500M") == 500 << 20 and parse_bytes("1024") == 1024
    with pytest.raises(ValueError):
        parse_bytes("lots")
    monkeypatch.delenv("KERNELGEPA_CACHE_MAX", raising=False)
    assert configured_max(tmp_path) == cache_mod.DEFAULT_MAX_BYTES
    (tmp_path / "cache.json").write_text('{"max": "2GB"}')
    assert configured_max(tmp_path) == 2 << 30
    monkeypatch.setenv("KERNELGEPA_CACHE_MAX", "1MB")
    assert configured_max(tmp_path) == 1 << 20


def test_least_recently_used_entries_are_evicted_to_fit_the_cap(tmp_path):
    store = BoundedCache(tmp_path, max_bytes=300 * KiB)
    sec = store.section("ref")
    for name in ("a", "b", "c"):
        store.install(staged(store, "ref", 100 * KiB), sec / name)
        age(sec / name, 3600)  # not in use
    store.touch(sec / "a")  # a used recently: b is now the least recently used
    age(sec / "a", 1800)
    store.install(staged(store, "ref", 100 * KiB), sec / "d")
    assert sorted(p.name for p in sec.iterdir() if not p.name.startswith(".")) == ["a", "c", "d"]
    assert sum(e.bytes for e in store.entries()) <= 300 * KiB + 4 * 4 * KiB  # block rounding of the size files


def test_entries_in_use_are_not_evicted(tmp_path):
    store = BoundedCache(tmp_path, max_bytes=150 * KiB)
    sec = store.section("build")
    store.install(staged(store, "build", 100 * KiB), sec / "busy")  # just used: a run may be reading it
    store.install(staged(store, "build", 100 * KiB), sec / "new")
    assert (sec / "busy").is_dir() and (sec / "new").is_dir()


def test_install_from_another_filesystem_copies_then_renames(tmp_path):
    """Job folders live under /tmp, the cache elsewhere: a rename across filesystems would fail, so the
    entry is copied into the section first (the source is left to its owner)."""
    store = BoundedCache(tmp_path / "cache", max_bytes=1 << 30)
    src = tmp_path / "job" / "out"
    src.mkdir(parents=True)
    (src / "reference.json").write_text("{}")
    final = store.section("ref") / "k"
    assert store.install(src, final)
    assert (final / "reference.json").read_text() == "{}" and src.is_dir()
    assert [p.name for p in final.parent.iterdir() if p.name.startswith(".staging")] == []


def test_a_second_install_of_the_same_key_keeps_the_first(tmp_path):
    store = BoundedCache(tmp_path, max_bytes=1 << 30)
    sec = store.section("ref")
    first = staged(store, "ref", 10)
    (first / "who").write_text("first")
    assert store.install(first, sec / "k")
    second = staged(store, "ref", 10)
    assert not store.install(second, sec / "k")
    assert (sec / "k" / "who").read_text() == "first" and not second.exists()


def test_clear_removes_every_entry_and_staging_leftovers(tmp_path):
    store = BoundedCache(tmp_path, max_bytes=1 << 30)
    store.install(staged(store, "ref", 10 * KiB), store.section("ref") / "k")
    leftover = store.stage("build")
    assert store.clear() >= 10 * KiB
    assert store.entries() == [] and not leftover.exists()


_FULL_DISK = """
import os, resource, signal, sys
from pathlib import Path
from harness.cache import BoundedCache, CacheWriteError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
root, src = Path(sys.argv[1]), Path(sys.argv[2])
store = BoundedCache(root, max_bytes=1 << 30)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))
try:
    store.install(src, store.section("ref") / "big")
except CacheWriteError as e:
    print("ERR", e)
    sys.exit(3)
"""


def test_disk_full_is_one_line_and_leaves_no_partial_entry(tmp_path):
    src = tmp_path / "job"
    src.mkdir()
    (src / "out.bin").write_bytes(os.urandom(1 << 20))  # larger than the file-size limit below
    root = tmp_path / "cache"
    proc = subprocess.run([sys.executable, "-c", _FULL_DISK, str(root), str(src)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert proc.returncode == 3, proc.stderr
    [line] = proc.stdout.strip().splitlines()
    assert line.startswith("ERR cannot write the cache at") and "kernelgepa cache clear" in line
    assert "Traceback" not in proc.stderr
    assert [p.name for p in (root / "ref").iterdir()] == [cache_mod.MARKER]  # no entry, no staging left


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs needs root")
def test_full_tmpfs_keeps_existing_entries_whole(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (no mount privilege in this container)")
    try:
        store = BoundedCache(mnt, max_bytes=1 << 30)
        sec = store.section("ref")
        store.install(staged(store, "ref", 100 * KiB), sec / "kept")
        src = tmp_path / "job"
        src.mkdir()
        (src / "out.bin").write_bytes(os.urandom(1 << 20))
        with pytest.raises(CacheWriteError, match="No space left on device"):
            store.install(src, sec / "too-big")
        assert not (sec / "too-big").exists() and (sec / "kept" / "data.bin").stat().st_size == 100 * KiB
        assert [p.name for p in sec.iterdir() if p.name.startswith(".staging")] == []
    finally:
        subprocess.run(["umount", str(mnt)])


def test_unwritable_cache_is_one_line(tmp_path):
    """Without write permission (as root, whom permission bits do not stop: a read-only mount)."""
    root = tmp_path / "ro"
    BoundedCache(root).section("ref")
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-o", "bind,ro", str(root), str(root)]).returncode != 0:
            pytest.skip("cannot make a read-only mount here (no mount privilege in this container)")
    else:
        os.chmod(root / "ref", 0o555)
    try:
        with pytest.raises(CacheWriteError, match="cannot write the cache at .*(Permission denied|Read-only)"):
            BoundedCache(root).stage("ref")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(root)])


def test_build_cache_key_includes_link_mode_and_gpu_arch(tmp_path):
    """A compile-only CUDA build must never be served to a machine that runs kernels, nor an sm_80 build
    to an sm_90 device; plain C++ builds are shared."""
    cuda = BuildRequest(kind="cuda", name="k", sources=("__global__ void k() {}",))
    cpp = BuildRequest(kind="cpp", name="k", sources=("int f() { return 1; }",))
    linked = Builder(tmp_path, cuda_arch="sm_90", link_cuda=True)
    compile_only = Builder(tmp_path, cuda_arch="sm_90", link_cuda=False)
    other_arch = Builder(tmp_path, cuda_arch="sm_80", link_cuda=True)
    keys = {b.entry_key(cuda) for b in (linked, compile_only, other_arch)}
    assert len(keys) == 3
    assert linked.entry_key(cpp) == compile_only.entry_key(cpp) == other_arch.entry_key(cpp) == cpp.key


def test_builds_are_cache_entries_evicted_like_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELGEPA_CACHE_MAX", "1")  # every entry not in use is evicted at once
    b = Builder(tmp_path / "build")
    src = textwrap.dedent("""extern "C" int one() { return 1; }""")
    first = b.build(BuildRequest(kind="cpp", name="one", sources=(src,)))
    assert first.ok and not first.cached
    entry = Path(first.artifact).parent
    assert (entry / cache_mod.SIZE_FILE).exists() and (tmp_path / "build" / cache_mod.MARKER).exists()
    age(entry, 3600)
    b.build(BuildRequest(kind="cpp", name="two", sources=(src.replace("one", "two"),)))
    assert not entry.exists()  # the least recently used build went to fit the cap


def test_an_entry_a_run_holds_is_not_evicted(tmp_path):
    store = BoundedCache(tmp_path, max_bytes=1)
    sec = store.section("ref")
    store.install(staged(store, "ref", 10 * KiB), sec / "held")
    age(sec / "held", 3600)
    with store.hold(sec / "held"):
        age(sec / "held", 3600)
        store.trim()
        assert (sec / "held").is_dir()
    age(sec / "held", 3600)
    store.trim()
    assert not (sec / "held").exists()
