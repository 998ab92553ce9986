"""Trial inputs: regenerated from their seeds instead of stored, when that reproduces them exactly.

The reference role generates each trial's inputs, regenerates them once more and, if both agree,
stores only a digest; the candidate role regenerates them before any candidate code is imported and
checks the digest (a task whose ``get_inputs`` is not reproducible keeps its inputs on disk).

Timed repetitions get inputs nobody has seen before (``fresh_inputs``): on the CPU the parent's go
signal names a file it has just written them to (harness.feed), on a GPU it carries a fresh seed whose
inputs the child makes on the device then. The audited repetitions' inputs go to the reference, which
computes their expected outputs.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import torch

from harness.feed import is_feed_name, map_inputs
from harness.tensorio import decode, encode
from harness.trials import vary


def digest(values: list) -> str:
    h = hashlib.sha256()
    for v in values:
        if isinstance(v, torch.Tensor):
            t = v.detach().cpu().contiguous()
            h.update(f"{t.dtype}{tuple(t.shape)}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        else:
            h.update(repr(v).encode())
    return h.hexdigest()


def generate(mod, seed: int, variant: str | None = None, device: torch.device | str | None = None) -> list:
    """The task's inputs for ``seed``, moved to ``variant``'s value range if given (harness.trials).
    ``device``: made there (timing inputs: generating on a GPU costs microseconds, on the host far more)."""
    torch.manual_seed(seed)
    with torch.device(device) if device is not None else contextlib.nullcontext():
        values = list(mod.get_inputs())
    return vary(values, variant) if variant else values


def reproducible_on(mod, seed: int, device) -> bool:
    """Whether ``get_inputs`` gives the same values for the same seed on ``device`` (no unseeded
    randomness of its own): only then can timed repetitions use fresh seeded inputs."""
    return digest(generate(mod, seed, device=device)) == digest(generate(mod, seed, device=device))


def task_module(job: dict):
    from kernelbench_tasks.task import exec_task_module

    path = Path(job["task_path"])
    return exec_task_module(path.read_text(), path, job.get("overrides") or {})


def record(mod, seed: int, inputs: list, out_dir: Path, prefix: str, variant: str | None = None) -> dict:
    """What the reference stores about one trial's inputs: the digest, plus the inputs themselves only
    if generating them again from the seed gives different values."""
    d = digest(inputs)
    if digest(generate(mod, seed, variant)) == d:
        return {"input_digest": d}
    return {"input_digest": d, "inputs": encode(inputs, out_dir, prefix)}


def load_trial_inputs(job: dict, ref_dir: Path, mod) -> list[list]:
    """Each trial's inputs on the CPU: read back, or regenerated from the seed and checked."""
    trials = json.loads((ref_dir / "reference.json").read_text())["trials"][: job["n_trials"]]
    sets = []
    for t in trials:
        if "inputs" in t:
            sets.append(decode(t["inputs"], ref_dir))
            continue
        values = generate(mod, t["seed"], t.get("variant"))
        if digest(values) != t["input_digest"]:
            raise RuntimeError(f"the inputs of seed {t['seed']} could not be regenerated exactly (task file changed?)")
        sets.append(values)
    return sets


def fresh_inputs(feed: Path | None, mod, device, buffers: list):
    """How a paced repetition's go signal becomes the arguments it runs on (harness.worker.timing):
    ``@<name>`` maps the file the parent wrote in ``feed``; a seed makes that seed's inputs with the
    task module ``mod`` on ``device``, written into ``buffers``. None: neither is offered (the fixed
    trials' inputs rotate)."""
    if feed is not None:
        def mapped(payload: str) -> list:
            name = payload.removeprefix("@")
            if not is_feed_name(name):
                raise RuntimeError(f"go signal names no inputs file: {payload[:40]!r}")
            return map_inputs(feed / name)
        return mapped
    if mod is None:
        return None
    from harness.worker.timing import copy_into

    def made_here(payload: str) -> list:
        copy_into(buffers, generate(mod, int(payload), device=device))
        return buffers
    return made_here
