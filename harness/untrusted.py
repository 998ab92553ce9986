"""Reading what a sandboxed child wrote: untrusted data, bounded before it is interpreted.

A child may leave a symlink where a file is expected (to make the trusted parent read a secret into
a message), a file far too large, or JSON nested deep enough to overflow a recursive reader. Every
read here refuses links and non-regular files, caps the size, and caps the nesting depth; failures
are one-line ``UntrustedError``s that the caller turns into a ``crashed`` verdict.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

MAX_DEPTH = 32


class UntrustedError(ValueError):
    pass


def read_bytes(path: Path | str, limit: int) -> bytes:
    """The whole regular file at ``path`` (no symlink followed), at most ``limit`` bytes."""
    name = os.path.basename(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        raise UntrustedError(f"cannot read {name}: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UntrustedError(f"{name} is not a regular file")
        if st.st_size > limit:
            raise UntrustedError(f"{name}: result file too large ({st.st_size} bytes > {limit})")
        chunks, left = [], st.st_size
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def depth_ok(value, max_depth: int = MAX_DEPTH) -> bool:
    """Whether nested lists/dicts stay within ``max_depth`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            if d > max_depth:
                return False
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return True


def load_json(path: Path | str, limit: int, max_depth: int = MAX_DEPTH):
    data = read_bytes(path, limit)
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise UntrustedError(f"malformed result file: {str(e).splitlines()[0][:200]}") from None
    except RecursionError:
        value = None
        max_depth = -1
    if max_depth < 0 or not depth_ok(value, max_depth):
        raise UntrustedError(f"malformed result file: nested deeper than {MAX_DEPTH} levels")
    return value
