"""Timed repetitions' inputs, made by the parent and handed over ready-made (CPU timing).

Inputs the child made itself, inside the parent's window, gave a candidate time to work unseen: it
could compute while they were being made, then claim microseconds. Instead the parent makes each
paced repetition's inputs with the task's own ``get_inputs`` (a fresh seed), writes them to a new
file with an unguessable name in a folder the child may open files in but never list, and only then
sends the go signal naming it. The child maps the file (copy-on-write, no copy, no prefetch): the
values appear all at once, a few tens of microseconds after the window opens, and the first touch of
each page is timed, for the kernel and the reference alike. The files of audited repetitions are
kept until their expected outputs have been computed from them, by the reference, in its own job.

File layout: an 8-byte little-endian header length, a JSON header (one entry per argument: a tensor's
dtype, shape, strides and data offset, or a plain JSON value), then each tensor's bytes at a page
boundary.
"""
from __future__ import annotations

import contextlib
import json
import mmap
import os
import secrets
import threading
from pathlib import Path

import torch

from harness.tensorio import DTYPE_NAMES, DTYPES

_PAGE = 4096
_NAME_LEN = 32  # hex characters: 128 random bits
_RNG_LOCK = threading.Lock()  # one seeded get_inputs at a time, so a seed always gives the same values


class NotFeedable(ValueError):
    """``get_inputs`` returned something that cannot be written as raw bytes (one line)."""


def feeds_inputs(device: str | torch.device) -> bool:
    """Whether timed repetitions on ``device`` get their inputs from the parent: on a GPU the child
    makes them on the device (microseconds there, where a host-to-device copy would be far slower)."""
    return torch.device(device).type == "cpu"


def _storage_bytes(t: torch.Tensor) -> torch.Tensor:
    """The bytes of a dense tensor's storage as a uint8 tensor (any dtype, bfloat16 included)."""
    return torch.empty(0, dtype=torch.uint8).set_(t.untyped_storage())


def write_inputs(values: list, path: Path) -> int:
    """Write one repetition's arguments to a new file ``path`` (see the module docstring); its size."""
    entries, blobs, offset = [], [], 0
    for v in values:
        if isinstance(v, torch.Tensor):
            if v.dtype not in DTYPE_NAMES:
                raise NotFeedable(f"get_inputs returned a {v.dtype} tensor")
            dense = torch.empty_like(v.detach().cpu())  # the same strides where they are dense, else contiguous
            dense.copy_(v)
            data = _storage_bytes(dense)
            entries.append({"t": "tensor", "dtype": DTYPE_NAMES[v.dtype], "shape": list(dense.shape),
                            "stride": list(dense.stride()), "offset": offset, "nbytes": data.numel()})
            blobs.append((offset, data))
            offset += -(-data.numel() // _PAGE) * _PAGE
        elif v is None or isinstance(v, (bool, int, float, str)):
            entries.append({"t": "py", "v": v})
        else:
            raise NotFeedable(f"get_inputs returned a {type(v).__name__}")
    header = json.dumps({"args": entries}).encode()
    start = -(-(8 + len(header)) // _PAGE) * _PAGE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, len(header).to_bytes(8, "little") + header)
        for off, data in blobs:
            if data.numel():
                os.pwrite(fd, data.numpy(), start + off)
        os.ftruncate(fd, start + offset)
    finally:
        os.close(fd)
    return start + offset


def map_inputs(path: Path) -> list:
    """The arguments in ``path``, the tensors mapped copy-on-write from it (a kernel that writes its
    inputs changes only its own copy). Touching the data is left to whoever runs on them."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        n = int.from_bytes(os.pread(fd, 8, 0), "little")
        entries = json.loads(os.pread(fd, n, 8))["args"]
        mapped = mmap.mmap(fd, size, access=mmap.ACCESS_COPY) if size > -(-(8 + n) // _PAGE) * _PAGE else None
    finally:
        os.close(fd)
    start = -(-(8 + n) // _PAGE) * _PAGE
    args = []
    for e in entries:
        if e["t"] != "tensor":
            args.append(e["v"])
            continue
        dtype = DTYPES[e["dtype"]]
        if not e["nbytes"]:
            args.append(torch.empty_strided(e["shape"], e["stride"], dtype=dtype))
            continue
        raw = torch.frombuffer(mapped, dtype=torch.uint8, count=e["nbytes"], offset=start + e["offset"])
        args.append(raw.view(dtype).as_strided(e["shape"], e["stride"]))
    return args


@contextlib.contextmanager
def _one_thread():
    """The parent's own thread only: OpenMP workers woken here would spin on for a while after the
    work, on the cores the child's next repetition is timed on (a matmul's reference timed 3.4x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class InputFeed:
    """The parent's side for one job: makes each repetition's file, and removes it once it is not needed."""

    def __init__(self, folder: Path, task_path: str, overrides: dict | None):
        from kernelbench_tasks.task import exec_task_module

        path = Path(task_path)
        self._mod = exec_task_module(path.read_text(), path, overrides or {})
        self.folder = folder
        folder.mkdir(mode=0o700)
        folder.chmod(0o311)  # open a file by its name, never list (the child's view of it is read-only)
        self._live: set[str] = set()
        self.bytes = 0  # written so far (harness.pacing caps it)

    def make(self, seed: int) -> str:
        """A new file holding ``get_inputs()`` under ``seed``; returns its name."""
        name = secrets.token_hex(_NAME_LEN // 2)
        self._live.add(name)
        with _RNG_LOCK, torch.random.fork_rng(devices=[]), _one_thread():
            torch.manual_seed(seed)
            self.bytes += write_inputs(list(self._mod.get_inputs()), self.folder / name)
        return name

    def path(self, name: str) -> Path:
        return self.folder / name

    def drop(self, name: str) -> None:
        self._live.discard(name)
        try:
            os.unlink(self.folder / name)
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """Remove every file left (the audited repetitions') and the folder."""
        for name in list(self._live):
            self.drop(name)
        try:
            self.folder.chmod(0o700)
            self.folder.rmdir()
        except OSError:
            pass


def is_feed_name(name: str) -> bool:
    """What the parent names a file with (the child checks a go signal's name before opening it)."""
    return len(name) == _NAME_LEN and all(c in "0123456789abcdef" for c in name)
