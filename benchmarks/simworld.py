"""A simulated kernel world for measuring the search itself: no LLM, no compiler, no network.

The simulated writer, harness and reflection model plug into the real ``kernelgepa.engine.Engine``,
so the real frontier, parent selectors, minibatch gate, merge policy and SQLite run store are what
gets measured. Everything is deterministic given the seed (independent of PYTHONHASHSEED).

Assumptions of the world (what "a kernel task" and "a strategy" are reduced to):

* **Tactics.** A kernel is the set of *tactics* it uses, drawn from a vocabulary of ``n_tactics``
  tokens ``T00 T01 ...`` (think "tile for shared memory", "vectorize loads", "online softmax").
* **Correctness.** Each task has 1-3 REQUIRED tactics, drawn with popularity weights 1/(k+1)
  (``T00`` most popular), so a few tactics are needed by many tasks and the rest are task-specific:
  knowledge transfers between tasks only through the popular ones. Missing a "structural" required
  tactic (even index) is a ``compile_error`` (score 0.0); missing any other one is ``incorrect``
  (score 0.2), so fixing one of two missing tactics earns partial credit. A quarter of the tasks
  (p 0.25) also have a BREAKING tactic, drawn by popularity and so usually one that other tasks
  need, which makes the kernel ``incorrect`` when present.
* **Speed.** A correct kernel's speedup is ``base * prod(factor of each tactic present)``, with
  ``base`` in [0.45, 0.80] (a straightforward kernel loses to PyTorch), 3 BONUS tactics per task
  (x1.15-1.45) and 2 HURT tactics (x0.75-0.92, e.g. a tiling that does not fit this shape); all
  other tactics are neutral. Timing noise is lognormal (sigma 0.03), drawn once per kernel.
  With the defaults, about 90% of the tasks can beat 1.0x with their own best tactic set, but the
  best single shared set reaches only fast_1 of about 0.5 (``World.oracle``): breaking and hurt
  tactics make one strategy unable to serve every task, which is where specialists matter.
* **Writer** (``SimAdapter``, same interface as ``KernelAdapter``). It applies the strategy's
  tactics: in shared mode the ``TACTICS:`` line applies to every task; in the no-shared ablation
  only the task's own ``TASK <name>:`` line applies. Like the real adapter it is warm-started from
  the task's best kernel so far: it keeps each of that kernel's tactics with probability 0.7. It
  forgets each tactic with probability 0.1 and adds one stray tactic with probability 0.05. Like
  the real adapter (default refine policy) it makes up to 1 + ``rounds`` attempts per task, refining
  only an attempt that is not correct or no better than the warm start, and keeps the best; in the
  refinement round it adds the tactic the harness named as missing with probability 0.5 (a writer
  fixing a compile error). Every draw is a distinct kernel (an LLM at temperature > 0 rarely repeats
  code byte for byte), so every attempt is a rollout; a repeated (strategy, task) pair replays the
  same draws, so it costs nothing, as a stored evaluation costs nothing in a real run.
* **Harness feedback** (through the real ``feedback.result_feedback``): names one missing required
  tactic (the first one at the failing rung) or the breaking tactic; for correct kernels it gives
  the timing and, with probability 0.3, a profiler-style note naming one absent bonus tactic or one
  present hurt tactic of that task.
* **Reflection** (``SimReflector``). Reads the current strategy and the minibatch feedback from the
  real prompt, then: adds each named missing tactic (p 0.7), drops each named breaking tactic
  (p 0.7), follows each profiler note (p 0.5), explores one random unused tactic (p 0.5) and
  forgets one tactic (p 0.1). In shared mode the edits go to the shared ``TACTICS:`` line, so a
  lesson from one task reaches all of them (and so does a tactic that breaks or slows another
  task). In the no-shared ablation the edits go to the notes of the task whose feedback prompted
  them (exploration: one random tactic per minibatch task, p 0.5 each, which is generous to the
  ablation), so nothing transfers between tasks. Merge returns the union of both parents' tactics
  (per task in the ablation).

A rollout is one evaluated kernel (a row in the store), as for the real rollout budget; fast_1 is
the share of tasks whose best kernel so far is correct and faster than 1.0x, as in the engine's
progress events.
"""
from __future__ import annotations

import math
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kernelgepa.adapter import Attempt
from kernelgepa.budget import Budget, BudgetExhausted
from kernelgepa.engine import Engine, EngineConfig
from kernelgepa.feedback import result_feedback
from kernelgepa.llm import LLMCall, LLMReply
from kernelgepa.policies import REFINE
from kernelgepa.scoring import kernel_score
from kernelgepa.store import SQLiteStore

MODES = ("shared", "no-shared")
MERGE_MARKER = "Write one strategy that keeps the insights of both"
_TACTIC = re.compile(r"\bT\d{2}\b")
_STRATEGY = re.compile(r"<strategy>(.*?)</strategy>", re.S)


# ---- the world --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskSpec:
    name: str
    base: float                  # speedup of a correct kernel with no bonus or hurt tactic
    required: tuple[str, ...]    # all needed for correctness, in the order the harness reports them
    bonus: dict[str, float]      # tactic -> speedup factor > 1
    hurt: dict[str, float]       # tactic -> speedup factor < 1
    breaks: tuple[str, ...]      # any of these present -> incorrect


@dataclass(frozen=True)
class WorldParams:
    n_tasks: int = 12
    n_tactics: int = 16
    popularity: float = 1.0          # required/breaking tactic k drawn with weight 1 / (k + 1) ** popularity
    base: tuple[float, float] = (0.45, 0.80)
    n_bonus: int = 3
    bonus: tuple[float, float] = (1.15, 1.45)
    n_hurt: int = 2
    hurt: tuple[float, float] = (0.75, 0.92)
    p_breaking: float = 0.25
    timing_sigma: float = 0.03
    # the writer
    p_forget: float = 0.10
    p_stray: float = 0.05
    p_refine_fix: float = 0.5
    p_note: float = 0.3              # a correct kernel's feedback carries a profiler-style note
    p_warm_keep: float = 0.7         # warm start: each tactic of the task's best kernel so far is kept
    # the reflection model
    p_fix: float = 0.7
    p_follow_note: float = 0.5
    p_explore: float = 0.5
    p_drop: float = 0.1


class World:
    """The hidden ground truth: which tactics each task needs, likes and hates."""

    def __init__(self, seed: int, params: WorldParams | None = None):
        self.p = p = params or WorldParams()
        rng = random.Random(f"world:{seed}")
        self.tactics = [f"T{k:02d}" for k in range(p.n_tactics)]
        weights = [1.0 / (k + 1) ** p.popularity for k in range(p.n_tactics)]
        self.tasks: dict[str, TaskSpec] = {}
        for i in range(p.n_tasks):
            required = _weighted_sample(rng, self.tactics, weights, rng.choice((1, 2, 2, 3)))
            rest = [t for t in self.tactics if t not in required]
            breaks: tuple[str, ...] = ()
            if rng.random() < p.p_breaking:
                breaks = tuple(_weighted_sample(rng, rest, [weights[self.tactics.index(t)] for t in rest], 1))
                rest = [t for t in rest if t not in breaks]
            picked = rng.sample(rest, p.n_bonus + p.n_hurt)
            bonus = {t: round(rng.uniform(*p.bonus), 3) for t in picked[:p.n_bonus]}
            hurt = {t: round(rng.uniform(*p.hurt), 3) for t in picked[p.n_bonus:]}
            name = f"task{i:02d}"
            self.tasks[name] = TaskSpec(name, round(rng.uniform(*p.base), 3), tuple(required), bonus, hurt, breaks)

    @property
    def names(self) -> list[str]:
        return list(self.tasks)

    @staticmethod
    def structural(tactic: str) -> bool:
        """Missing a structural tactic fails at compile time; missing any other one gives wrong output."""
        return int(tactic[1:]) % 2 == 0

    def judge(self, task: str, tactics: frozenset[str] | set[str]) -> dict:
        """The noiseless verdict on a kernel that uses ``tactics``: status, rung, error, message, speedup."""
        spec = self.tasks[task]
        missing = [t for t in spec.required if t not in tactics]
        compile_missing = [t for t in missing if self.structural(t)]
        if compile_missing:
            t = compile_missing[0]
            return {"status": "compile_error", "rung": "compile", "error": "compilation failed",
                    "messages": f"error: missing {t} (the kernel does not build without it)", "speedup": None}
        if missing:
            t = missing[0]
            return {"status": "incorrect", "rung": "correctness", "error": "output mismatch",
                    "messages": f"error: missing {t} (results are wrong without it)", "speedup": None}
        broken = [t for t in spec.breaks if t in tactics]
        if broken:
            return {"status": "incorrect", "rung": "correctness", "error": "output mismatch",
                    "messages": f"error: {broken[0]} breaks correctness on this task", "speedup": None}
        return {"status": "ok", "rung": "timing", "error": None, "messages": "", "speedup": self.speedup(task, tactics)}

    def speedup(self, task: str, tactics) -> float:
        spec = self.tasks[task]
        s = spec.base
        for t in sorted(tactics):
            s *= spec.bonus.get(t, 1.0) * spec.hurt.get(t, 1.0)
        return s

    def oracle(self) -> dict:
        """What is reachable at all: fast_1 with the best tactic set for each task separately, and with
        the best single shared set (exhaustive over all 2**n_tactics sets, vectorized)."""
        import numpy as np

        names, k = self.names, len(self.tactics)
        bit = {t: 1 << i for i, t in enumerate(self.tactics)}
        solvable = 0
        for name, spec in self.tasks.items():
            best = set(spec.required) | set(spec.bonus)
            solvable += self.judge(name, best)["status"] == "ok" and self.speedup(name, best) > 1.0
        sets = np.arange(1 << k, dtype=np.int64)
        members = ((sets[:, None] >> np.arange(k)) & 1).astype(np.float64)       # (2**k, k)
        logf = np.zeros((k, len(names)))
        req = np.zeros(len(names), dtype=np.int64)
        brk = np.zeros(len(names), dtype=np.int64)
        for j, name in enumerate(names):
            spec = self.tasks[name]
            for t, f in (*spec.bonus.items(), *spec.hurt.items()):
                logf[self.tactics.index(t), j] = math.log(f)
            req[j] = sum(bit[t] for t in spec.required)
            brk[j] = sum(bit[t] for t in spec.breaks)
        base = np.log([self.tasks[n].base for n in names])
        fast = ((sets[:, None] & req) == req) & ((sets[:, None] & brk) == 0) & (members @ logf + base > 0)
        counts = fast.sum(axis=1)
        top = int(counts.argmax())
        return {"per_task_fast_1": solvable / len(names), "shared_fast_1": int(counts[top]) / len(names),
                "best_shared_set": [t for t in self.tactics if top & bit[t]]}


def _weighted_sample(rng: random.Random, items: list[str], weights: list[float], k: int) -> list[str]:
    items, weights, out = list(items), list(weights), []
    for _ in range(min(k, len(items))):
        i = rng.choices(range(len(items)), weights=weights)[0]
        out.append(items.pop(i))
        weights.pop(i)
    return out


# ---- strategy text ----------------------------------------------------------------------------
def parse_strategy(text: str) -> tuple[set[str], dict[str, set[str]]]:
    """``TACTICS: T01 T05`` (shared) and ``TASK <name>: T02`` lines (per-task notes) -> sets."""
    shared: set[str] = set()
    per_task: dict[str, set[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"TACTICS:(.*)$", line)
        if m:
            shared |= set(_TACTIC.findall(m.group(1)))
            continue
        m = re.match(r"TASK\s+(\S+?):(.*)$", line)
        if m:
            per_task.setdefault(m.group(1), set()).update(_TACTIC.findall(m.group(2)))
    return shared, per_task


def format_strategy(shared: set[str], per_task: dict[str, set[str]] | None = None) -> str:
    lines = [" ".join(["TACTICS:", *sorted(shared)])]
    for name in sorted(per_task or {}):
        if per_task[name]:
            lines.append(" ".join([f"TASK {name}:", *sorted(per_task[name])]))
    return "\n".join(lines)


def tactics_for(text: str, task: str, mode: str) -> set[str]:
    shared, per_task = parse_strategy(text)
    return set(shared) if mode == "shared" else set(per_task.get(task, set()))


# ---- progress -----------------------------------------------------------------------------------
@dataclass
class Tracker:
    """Running fast_1 after every rollout: share of tasks whose best kernel is correct and > 1.0x."""
    n_tasks: int
    stop_at: float | None = None
    rollouts: int = 0
    solved: set[str] = field(default_factory=set)
    curve: list[tuple[int, float]] = field(default_factory=list)   # (rollout, fast_1) at each rise

    def add(self, task: str, status: str, speedup: float | None) -> None:
        self.rollouts += 1
        if status == "ok" and speedup is not None and speedup > 1.0 and task not in self.solved:
            self.solved.add(task)
            self.curve.append((self.rollouts, self.fast_1))

    @property
    def fast_1(self) -> float:
        return len(self.solved) / max(1, self.n_tasks)

    @property
    def done(self) -> bool:
        return self.stop_at is not None and self.fast_1 >= self.stop_at - 1e-9

    def rollouts_to(self, target: float) -> int | None:
        return next((r for r, f in self.curve if f >= target - 1e-9), None)


# ---- the simulated writer + harness -----------------------------------------------------------
class SimAdapter:
    """Same interface as ``KernelAdapter``: a strategy in, one scored kernel per task out."""

    backend = "cpu"
    language = "python"

    def __init__(self, world: World, store, budget: Budget, *, mode: str = "shared", seed: int = 0,
                 rounds: int = 1, tracker: Tracker | None = None, warm_start: bool = True, refine: str = "short"):
        assert mode in MODES, mode
        self.world, self.store, self.budget = world, store, budget
        self.mode, self.seed, self.rounds, self.warm_start = mode, seed, rounds, warm_start
        self.tracker = tracker or Tracker(len(world.tasks))
        self.refine = REFINE[refine]()

    def run(self, strategy_id: int, strategy: str, task_names: list[str]) -> dict[str, Attempt]:
        return {t: self._task(strategy_id, strategy, t) for t in task_names}

    def _task(self, strategy_id: int, strategy: str, name: str) -> Attempt:
        p = self.world.p
        rng = random.Random(f"writer:{self.seed}:{strategy_id}:{name}")
        wanted = tactics_for(strategy, name, self.mode)
        prev = self.store.best_kernel(name) if self.warm_start else None
        if prev:  # the writer sees the task's best kernel so far and keeps most of what it does
            kept = re.search(r"# tactics:(.*)", prev["source"]).group(1).split()
            wanted |= {t for t in kept if rng.random() < p.p_warm_keep}
        best: Attempt | None = None
        parent_id, fix = None, None
        for r in range(1 + self.rounds):
            self.budget.check(self.store.totals())
            if self.tracker.done:
                raise BudgetExhausted(f"fast_1 target {self.tracker.stop_at} reached")
            call = LLMCall(model="sim-writer", tag="kernel", id=f"writer:{self.seed}:{strategy_id}:{name}:{r}")
            self.store.add_llm_call(call.to_dict())
            used = {t for t in sorted(wanted) if rng.random() >= p.p_forget}
            if rng.random() < p.p_stray:
                used.add(rng.choice(self.world.tactics))
            if fix and rng.random() < p.p_refine_fix:
                used.add(fix)
            attempt = self._judge(name, frozenset(used), strategy_id, parent_id, call.id, rng)
            if best is None or attempt.score > best.score:
                best = attempt
            if not self.refine.wanted(attempt.score, attempt.status == "ok", prev["score"] if prev else None):
                break
            parent_id = attempt.kernel_id
            m = re.search(r"missing (T\d{2})", attempt.feedback)
            fix = m.group(1) if m else None
        return best

    def _judge(self, name: str, used: frozenset[str], strategy_id: int, parent_id: int | None, call_id: str,
               rng: random.Random) -> Attempt:
        # an LLM at temperature > 0 rarely writes byte-identical code twice: the variant tag makes every
        # draw a distinct kernel (and so a rollout), as it would be in a real run
        source = (f"# simulated kernel for {name}, variant {rng.getrandbits(32):08x}\n"
                  f"# tactics: {' '.join(sorted(used))}\nclass ModelNew:\n    pass\n")
        seen = self.store.kernel_by_source(name, source)
        if seen is None:  # like the real adapter: identical code is never re-evaluated
            v = self.world.judge(name, used)
            speedup = v["speedup"]
            if speedup is not None:
                speedup = speedup * math.exp(rng.gauss(0.0, self.world.p.timing_sigma))
            notes = self._notes(name, used, rng) if v["status"] == "ok" else []
            result = {"status": v["status"], "rung": v["rung"], "error": v["error"], "speedup": speedup,
                      "baseline_ms": 1.0, "kernel_ms": 1.0 / speedup if speedup else None,
                      "kernel": {"reps": 50, "cv": 0.02} if speedup else None,
                      "messages": v["messages"], "warnings": notes}
            score = kernel_score(v["status"], speedup)
            kid = self.store.add_kernel(name, source, strategy_id=strategy_id, parent_kernel_id=parent_id,
                                        status=v["status"], speedup=speedup, score=score, result=result,
                                        llm_calls=[call_id])
            self.tracker.add(name, v["status"], speedup)
            seen = {"id": kid, "status": v["status"], "speedup": speedup, "score": score, "result": result}
        return Attempt(name, seen["id"], source, seen["status"], seen["speedup"], seen["score"],
                       result_feedback(seen["result"]))

    def _notes(self, name: str, used: frozenset[str], rng: random.Random) -> list[str]:
        if rng.random() >= self.world.p.p_note:
            return []
        spec = self.world.tasks[name]
        options = [f"profile suggests {t} would help here" for t in sorted(spec.bonus) if t not in used]
        options += [f"profile shows {t} slowed this kernel" for t in sorted(spec.hurt) if t in used]
        return [rng.choice(options)] if options else []


# ---- the simulated reflection model -------------------------------------------------------------
class SimReflector:
    """Reads reflection and merge prompts built by ``kernelgepa.prompts`` and edits the tactic sets."""

    def __init__(self, world: World, *, mode: str = "shared", seed: int = 0):
        assert mode in MODES, mode
        self.world, self.mode, self.seed, self.calls = world, mode, seed, 0

    def prompt_budget(self) -> int | None:
        return None  # no context limit: prompts go as built

    def complete(self, messages: list[dict], tag: str = "") -> LLMReply:
        self.calls += 1
        rng = random.Random(f"reflector:{self.seed}:{self.calls}")
        prompt = messages[-1]["content"]
        if MERGE_MARKER in prompt:
            text = self._merge(prompt)
        else:
            blocks = _STRATEGY.findall(prompt)
            text = self._reflect(blocks[0] if blocks else "", _records(prompt), rng)
        call = LLMCall(model="sim-reflector", tag=tag, id=f"reflector:{self.seed}:{self.calls}")
        return LLMReply(f"Here is the improved strategy.\n<strategy>\n{text}\n</strategy>\n", call)

    def _merge(self, prompt: str) -> str:
        shared: set[str] = set()
        per_task: dict[str, set[str]] = {}
        for block in _STRATEGY.findall(prompt):
            s, pt = parse_strategy(block)
            shared |= s
            for t, ts in pt.items():
                per_task.setdefault(t, set()).update(ts)
        return format_strategy(shared, per_task)

    def gepa_lm(self, prompt: str) -> str:
        """The reflection LM for the ``gepa`` library: reads optimize_anything's prompt (the current
        component in a fenced block, then ``# Example N`` records with ``## task`` and
        ``## harness_feedback``) and answers in a fenced block, as that prompt asks."""
        self.calls += 1
        rng = random.Random(f"reflector:{self.seed}:{self.calls}")
        m = re.search(r"## Current Component.*?```\n(.*?)```", prompt, re.S)
        examples = re.split(r"^# Example \d+", prompt.split("## Evaluation Results", 1)[-1], flags=re.M)[1:]
        records = [(t.group(1), ex) for ex in examples if (t := re.search(r"## task\n(\S+)", ex))]
        return f"```\n{self._reflect(m.group(1) if m else '', records, rng)}\n```"

    def _reflect(self, strategy: str, records: list[tuple[str, str]], rng: random.Random) -> str:
        shared, per_task = parse_strategy(strategy)
        shared, per_task = set(shared), {t: set(v) for t, v in per_task.items()}
        for task, feedback in records:
            target = shared if self.mode == "shared" else per_task.setdefault(task, set())
            p = self.world.p
            # (what the feedback says, how often reflection acts on it, add or remove the tactic)
            for pattern, prob, act in ((r"missing (T\d{2})", p.p_fix, target.add),
                                       (r"(T\d{2}) breaks correctness", p.p_fix, target.discard),
                                       (r"suggests (T\d{2})", p.p_follow_note, target.add),
                                       (r"(T\d{2}) slowed", p.p_follow_note, target.discard)):
                for t in re.findall(pattern, feedback):
                    if rng.random() < prob:
                        act(t)
            if self.mode != "shared":
                self._explore(target, rng)
        if self.mode == "shared":
            self._explore(shared, rng)
        return format_strategy(shared, per_task)

    def _explore(self, target: set[str], rng: random.Random) -> None:
        p = self.world.p
        if rng.random() < p.p_explore:
            unused = [t for t in self.world.tactics if t not in target]
            if unused:
                target.add(rng.choice(unused))
        if target and rng.random() < p.p_drop:
            target.discard(rng.choice(sorted(target)))


def _records(prompt: str) -> list[tuple[str, str]]:
    """(task, harness feedback) for each kernel shown in a reflection prompt."""
    out = []
    for chunk in re.split(r"^### Task ", prompt, flags=re.M)[1:]:
        task = chunk.split("\n", 1)[0].strip()
        feedback = chunk.split("Harness feedback:", 1)[1] if "Harness feedback:" in chunk else ""
        out.append((task, feedback))
    return out


# ---- one search -------------------------------------------------------------------------------
@dataclass
class SimRun:
    mode: str
    selector: str
    seed: int
    tracker: Tracker
    stopped: str
    iterations: int
    strategies: int
    accepted: int
    rollouts: int

    def rollouts_to(self, target: float) -> int | None:
        return self.tracker.rollouts_to(target)


def run_search(mode: str, selector: str, seed: int, *, stop_at: float | None = 0.5, max_rollouts: int = 1500,
               params: WorldParams | None = None, minibatch: int | None = None, rounds: int = 1,
               workdir: Path | None = None, engine: dict | None = None, warm_start: bool = True) -> SimRun:
    """One GEPA search with the real engine and a fresh SQLite store over the world drawn from ``seed``."""
    world = World(seed, params)
    with tempfile.TemporaryDirectory(prefix="simworld-", dir=workdir) as d:
        store = SQLiteStore(Path(d) / "run.db")
        try:
            budget = Budget(max_rollouts=max_rollouts)
            tracker = Tracker(len(world.tasks), stop_at)
            adapter = SimAdapter(world, store, budget, mode=mode, seed=seed, rounds=rounds, tracker=tracker,
                                 warm_start=warm_start)
            reflector = SimReflector(world, mode=mode, seed=seed)
            sized = {} if minibatch is None else {"minibatch": minibatch}  # None: the engine's default
            cfg = EngineConfig(selector=selector, seed=seed, seed_strategies=("TACTICS:",), **sized, **(engine or {}))
            stopped = Engine(adapter, reflector, store, world.names, budget, cfg).run()
            strategies = store.strategies()
            return SimRun(mode, selector, seed, tracker, stopped, store.get_meta("iteration", 0), len(strategies),
                          sum(s["accepted"] for s in strategies), store.totals()["rollouts"])
        finally:
            store.close()


def run_gepa_search(seed: int, *, max_rollouts: int = 1500, params: WorldParams | None = None, rounds: int = 1,
                    workdir: Path | None = None, merge: bool = True, warm_start: bool = True,
                    minibatch: int | None = None) -> SimRun:
    """The same world, writer and reflection model searched by the ``gepa`` library's
    ``optimize_anything`` (multi-task mode) through ``kernelgepa.gepa_bridge``: gepa's own loop,
    selection and prompt, stopped by the same rollout budget (evaluated kernels; gepa's own
    metric-call count also counts re-evaluations of pairs already judged, which cost no rollout).
    ``minibatch``: gepa's reflection minibatch size (None: its default, 3)."""
    from kernelgepa.gepa_bridge import optimize_with_gepa

    world = World(seed, params)
    with tempfile.TemporaryDirectory(prefix="simworld-gepa-", dir=workdir) as d:
        store = SQLiteStore(Path(d) / "run.db")
        try:
            tracker = Tracker(len(world.tasks))
            adapter = SimAdapter(world, store, Budget(max_rollouts=max_rollouts), mode="shared", seed=seed,
                                 rounds=rounds, tracker=tracker, warm_start=warm_start)
            reflector = SimReflector(world, mode="shared", seed=seed)
            result = optimize_with_gepa(adapter, store, world.names, seed_strategy="TACTICS:",
                                        reflection_lm=reflector.gepa_lm, seed=seed, merge=merge, minibatch=minibatch)
            strategies = store.strategies()
            return SimRun("shared", "gepa", seed, tracker, "rollout budget", reflector.calls, len(strategies),
                          len(result.candidates), store.totals()["rollouts"])
        finally:
            store.close()



def rollouts_needed(runs: list[SimRun], target: float, cap: int) -> list[int]:
    """Rollouts each run needed to reach fast_1 >= ``target``; a run that never did counts as ``cap``."""
    return [r.rollouts_to(target) or cap for r in runs]


def never_reached(runs: list[SimRun], target: float) -> int:
    return sum(r.rollouts_to(target) is None for r in runs)
