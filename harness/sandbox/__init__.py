"""The sandbox seam: run one prepared job directory in isolation and report how it ended.

``Sandbox`` is the interface the evaluator talks to; ``LocalProcessSandbox`` (a fork server with
namespaces and dropped capabilities) is the embedded implementation, ``DockerSandbox`` (the same fork
server in a warm container) the stronger one. The evaluator never knows which one it talks to.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from harness.pacing import Pacer


@dataclass
class SandboxJob:
    job_dir: Path
    # Seconds allowed per phase announced by the worker ("start", "load", "correctness", "timing"...);
    # "default" applies to phases not listed.
    phase_timeouts: dict[str, float] = field(default_factory=lambda: {"default": 120.0})
    # Answers a child's request (a "req:<text>" marker) with one line written back to it; the
    # deadline is paused while the parent works on it (used for builds done outside the child).
    on_request: Callable[[str], str] | None = None
    # Answers the child's timed-repetition handshake ("t:" lines) and records what the parent saw.
    pacer: "Pacer | None" = None


@dataclass
class SandboxOutcome:
    exit_code: int | None
    signal: int | None
    timed_out: bool
    last_phase: str
    wall_s: float
    markers: list[tuple[str, float]]  # (name, seconds since job start) as seen from outside
    isolation: dict = field(default_factory=dict)
    violation: str | None = None  # the job broke the protocol (flood, oversized line): killed, one line why


class Sandbox(Protocol):
    def run(self, job: SandboxJob) -> SandboxOutcome: ...

    def close(self) -> None: ...
