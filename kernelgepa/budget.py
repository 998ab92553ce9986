"""Run budgets: rollouts, LLM calls, LLM dollars, iterations, wall time, a stop file and a signal -
whichever fires first."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path


class BudgetExhausted(Exception):
    """Raised between units of work; the run stops cleanly with everything finished kept."""


@dataclass
class Budget:
    max_rollouts: int | None = None
    max_usd: float | None = None
    max_wall_s: float | None = None
    stop_file: Path | None = None
    max_llm_calls: int | None = None   # every recorded call: paid, cached and failed ones
    max_iterations: int | None = None
    started: float = field(default_factory=time.monotonic)
    interrupted: str | None = None     # set by a signal handler: stop at the next check

    def check(self, totals: dict) -> None:
        """``totals``: the store's totals, plus ``iterations`` when the engine checks."""
        if self.interrupted:
            raise BudgetExhausted(f"interrupted by {self.interrupted}")
        if self.stop_file is not None and Path(self.stop_file).exists():
            raise BudgetExhausted(f"stop file {self.stop_file} exists")
        if self.max_rollouts is not None and totals["rollouts"] >= self.max_rollouts:
            raise BudgetExhausted(f"rollout budget reached ({totals['rollouts']}/{self.max_rollouts})")
        if self.max_llm_calls is not None and totals["llm_calls"] >= self.max_llm_calls:
            raise BudgetExhausted(f"LLM-call budget reached ({totals['llm_calls']}/{self.max_llm_calls})")
        if self.max_usd is not None and totals["usd"] >= self.max_usd:
            raise BudgetExhausted(f"dollar budget reached (${totals['usd']:.2f}/${self.max_usd:.2f})")
        done = totals.get("iterations")
        if self.max_iterations is not None and done is not None and done >= self.max_iterations:
            raise BudgetExhausted(f"iteration limit reached ({done})")
        if self.max_wall_s is not None and time.monotonic() - self.started >= self.max_wall_s:
            raise BudgetExhausted(f"wall-time budget reached ({self.max_wall_s:.0f}s)")
