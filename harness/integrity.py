"""Content hashes for cache entries (reference outputs and baselines, build artifacts).

Trusted code seals an entry when it writes it: a ``SEAL.json`` listing the SHA-256 of every file.
A reader verifies the seal before trusting the entry; an entry whose files were changed, added,
removed or never sealed is deleted and rebuilt by the caller, never used. Verified entries are
remembered per process by their files' stat signatures, so a warm cache costs a few ``stat`` calls.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from harness.cache import SIZE_FILE, USE_FILE

SEAL = "SEAL.json"
# The bounded cache's own bookkeeping inside an entry (its size, the lock a run holds while reading it):
# written by trusted code after sealing, and not part of what a verdict reads.
_BOOKKEEPING = {SEAL, SIZE_FILE, USE_FILE}
_verified: dict[str, tuple] = {}


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _files(entry: Path) -> list[Path]:
    return sorted(p for p in entry.rglob("*") if not (p.parent == entry and p.name in _BOOKKEEPING) and not p.is_dir())


def _signature(entry: Path) -> tuple:
    return tuple((str(p.relative_to(entry)), st.st_size, st.st_mtime_ns, st.st_ino)
                 for p in [entry / SEAL, *_files(entry)] for st in [p.lstat()])


def seal(entry: Path) -> None:
    """Record the hash of every file in ``entry`` and make it owned by us, read-only to others
    (a sandbox child wrote some of them under another uid)."""
    for p in [entry, *entry.rglob("*")]:
        if p.is_symlink():
            raise ValueError(f"refusing to seal a symlink in a cache entry: {p.name}")
        if os.geteuid() == 0:
            os.chown(p, 0, 0)
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    hashes = {str(p.relative_to(entry)): _digest(p) for p in _files(entry)}
    (entry / SEAL).write_text(json.dumps({"sha256": hashes}, sort_keys=True))
    os.chmod(entry / SEAL, 0o644)


def verify(entry: Path) -> bool:
    """Whether ``entry`` holds exactly the files its seal lists, with the sealed contents."""
    try:
        sig = _signature(entry)
        if _verified.get(str(entry)) == sig:
            return True
        sealed = json.loads((entry / SEAL).read_text())["sha256"]
        files = _files(entry)
        ok = (sorted(str(p.relative_to(entry)) for p in files) == sorted(sealed)
              and all(not p.is_symlink() and _digest(p) == sealed[str(p.relative_to(entry))] for p in files))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if ok:
        _verified[str(entry)] = sig
    return ok


def discard_unless_verified(entry: Path) -> bool:
    """True if ``entry`` exists and verifies; otherwise it is removed (to be rebuilt) and False."""
    if not entry.exists():
        return False
    if verify(entry):
        return True
    shutil.rmtree(entry, ignore_errors=True)
    return False
