"""The on-disk cache's bound: size accounting, least-recently-used eviction, atomic installs.

Entries are directories ``<root>/<section>/<key>`` (sections: ``ref`` for baselines and reference
outputs, ``build`` for compiled kernels). An entry appears whole or not at all: it is staged in a
hidden folder of its own section (same filesystem, so the final rename is atomic; a staging folder
elsewhere is copied in first) and renamed into place. Each use touches the entry's mtime; after an
install the least recently used entries are removed until the whole root fits its cap. Entries used
in the last few minutes are never evicted (a running evaluation may be reading them), so the cap can
be exceeded by what is in use right now: entries used in the last minutes, and entries a run holds
(``hold``: a shared flock the evictor's non-blocking exclusive lock cannot take). A full disk or a permission error becomes one
``CacheWriteError`` line, with the staging folder removed and every entry intact.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 5 << 30  # like ccache's default: room for a level's baselines and builds
MARKER = ".kernelgepa-cache"  # marks a section folder whose subfolders are evictable entries
SIZE_FILE = ".size"
IN_USE_S = 600.0  # entries used this recently are never evicted (between lookup and hold, build and load)
USE_FILE = ".use"  # shared flock held while a run reads the entry (see ``hold``)
STALE_STAGING_S = 3600.0
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "G": 1 << 30, "GB": 1 << 30,
          "T": 1 << 40, "TB": 1 << 40}


class CacheWriteError(Exception):
    """The cache could not be written (disk full, permissions): one line, cache left consistent."""


def parse_bytes(text: str) -> int:
    """``5GB``, ``500M``, ``1024`` (bytes; binary units). Raises ValueError with a short reason."""
    t = str(text).strip().upper().replace("IB", "B")
    num = t.rstrip("KMGTB")
    unit = t[len(num):]
    try:
        value = float(num)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (e.g. 5GB, 500MB)") from None
    if unit not in _UNITS or value < 0:
        raise ValueError(f"not a size: {text!r} (e.g. 5GB, 500MB)")
    return int(value * _UNITS[unit])


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def configured_max(root: Path) -> int:
    """The cap: $KERNELGEPA_CACHE_MAX, else ``max`` in ``<root>/cache.json``, else 5 GB."""
    env = os.environ.get("KERNELGEPA_CACHE_MAX")
    if env:
        return parse_bytes(env)
    try:
        return parse_bytes(json.loads((Path(root) / "cache.json").read_text())["max"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class Entry:
    path: Path
    bytes: int
    used: float  # last use (mtime of the entry folder)


def _tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
            except OSError:
                pass
    return total


def write_error(where: Path, e: OSError) -> CacheWriteError:
    return CacheWriteError(f"cannot write the cache at {where}: {e.strerror or e} "
                           f"(free space or `kernelgepa cache clear`; cap with --cache-max)")


def locked(path: Path) -> bool:
    """Whether a live process holds an flock on ``path`` (a file or a folder); False if it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def _copy_tree(src: Path, dst: Path) -> None:
    """Like shutil.copytree, but the first failure is raised as the OSError it is (ENOSPC, EACCES)."""
    dst.mkdir()
    for item in src.iterdir():
        if item.is_dir() and not item.is_symlink():
            _copy_tree(item, dst / item.name)
        else:
            shutil.copy2(item, dst / item.name, follow_symlinks=False)


class BoundedCache:
    def __init__(self, root: Path, max_bytes: int | None = None):
        self.root = Path(root)
        self.max_bytes = configured_max(self.root) if max_bytes is None else max_bytes

    def section(self, name: str) -> Path:
        d = self.root / name
        try:
            d.mkdir(parents=True, exist_ok=True)
            if not (d / MARKER).exists():
                (d / MARKER).touch()
        except OSError as e:
            raise write_error(d, e) from None
        return d

    # ---- use ------------------------------------------------------------------------------------
    @staticmethod
    def touch(entry: Path) -> None:
        """Record a use (LRU order); a read-only cache is still readable."""
        try:
            os.utime(entry)
        except OSError:
            pass

    @staticmethod
    @contextmanager
    def hold(entry: Path):
        """Keep ``entry`` from eviction while a run reads it (any process; released on exit or crash)."""
        try:
            fd = os.open(entry / USE_FILE, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError:  # a read-only cache: nothing evicts there
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    @staticmethod
    def _held(entry: Path) -> bool:
        return locked(entry / USE_FILE)

    def stage(self, section: str) -> Path:
        """A fresh hidden folder in ``section`` to build an entry in (same filesystem as the entry)."""
        try:
            return Path(tempfile.mkdtemp(prefix=".staging-", dir=self.section(section)))
        except OSError as e:
            raise write_error(self.root / section, e) from None

    def install(self, src: Path, final: Path, *, replace: bool = False) -> bool:
        """Move the finished folder ``src`` to ``final`` atomically, then evict to fit the cap. A ``src``
        from ``stage`` is consumed; one elsewhere (another filesystem, maybe) is copied and left to its
        owner. ``replace``: an existing entry is swapped out; else False means another process installed
        the same key first (``final`` is theirs)."""
        own = src.parent == final.parent
        staging = None if own else self.stage(final.parent.name)
        staged = src if own else staging / "entry"
        try:
            if staging is not None:
                _copy_tree(src, staged)
            (staged / SIZE_FILE).write_text(str(_tree_bytes(staged)))
            if replace and final.exists():
                self._remove(final)
            try:
                os.rename(staged, final)
                won = True
            except OSError:
                if not final.is_dir():
                    raise
                won = False
        except OSError as e:
            raise write_error(final.parent, e) from None
        finally:
            for leftover in (staging, staged if own else None):
                if leftover is not None and leftover.exists():
                    shutil.rmtree(leftover, ignore_errors=True)
        self.touch(final)
        self.trim(protect={final})
        return won

    # ---- accounting and eviction ----------------------------------------------------------------
    def entries(self) -> list[Entry]:
        out = []
        for section in (self.root.iterdir() if self.root.is_dir() else ()):
            if not (section / MARKER).exists():
                continue
            for e in section.iterdir():
                if e.name.startswith(".") or not e.is_dir():
                    continue
                try:
                    size = int((e / SIZE_FILE).read_text())
                except (OSError, ValueError):
                    size = _tree_bytes(e)
                try:
                    out.append(Entry(e, size, e.stat().st_mtime))
                except OSError:  # evicted meanwhile
                    pass
        return out

    def trim(self, protect: set[Path] = frozenset()) -> list[Entry]:
        """Evict least recently used entries until the total fits the cap; returns what was removed."""
        entries = sorted(self.entries(), key=lambda e: e.used)
        total = sum(e.bytes for e in entries)
        now, removed = time.time(), []
        for e in entries:
            if total <= self.max_bytes:
                break
            if e.path in protect or now - e.used < IN_USE_S or self._held(e.path):
                continue
            if self._remove(e.path):
                total -= e.bytes
                removed.append(e)
        self._drop_stale_staging(now)
        return removed

    def clear(self) -> int:
        """Remove every entry (in use or not); returns the bytes freed."""
        freed = 0
        for e in self.entries():
            if self._remove(e.path):
                freed += e.bytes
        self._drop_stale_staging(float("inf"))
        return freed

    @classmethod
    def drop_unheld(cls, entries: set[Path]) -> None:
        """Remove each of ``entries`` no run holds, taking it (or a vanished one) out of the set."""
        for e in list(entries):
            if not e.exists() or (not cls._held(e) and cls._remove(e)):
                entries.discard(e)

    def drop_idle(self, section: str, idle_s: float) -> list[Path]:
        """Remove the entries of ``section`` no run holds and none has used for ``idle_s``."""
        now, removed = time.time(), []
        for e in self.entries():
            if e.path.parent.name == section and now - e.used > idle_s and not self._held(e.path) \
                    and self._remove(e.path):
                removed.append(e.path)
        return removed

    @staticmethod
    def _remove(entry: Path) -> bool:
        """Rename away first, so a reader sees the entry whole or not at all."""
        trash = entry.with_name(f".evicted-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(entry, trash)
        except OSError:
            return False
        shutil.rmtree(trash, ignore_errors=True)
        entry.with_name(entry.name + ".lock").unlink(missing_ok=True)  # a builder's per-key lock file
        return True

    def _drop_stale_staging(self, now: float) -> None:
        for section in (self.root.iterdir() if self.root.is_dir() else ()):
            if not (section / MARKER).exists():
                continue
            for d in section.glob(".*"):
                if d.name == MARKER or not d.is_dir():
                    continue
                try:
                    old = now - d.stat().st_mtime > STALE_STAGING_S or d.name.startswith(".evicted-")
                except OSError:
                    continue
                if old:
                    shutil.rmtree(d, ignore_errors=True)
