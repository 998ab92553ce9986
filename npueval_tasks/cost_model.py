"""Estimated vector utilisation of an emulated AIE kernel (a proxy, never NPUEval's vector score).

NPUEval's score needs a hardware trace: the share of cycles in the event0..event1 window in
which the vector unit issued an instruction. Without an NPU we estimate it from what the host
emulation counted inside the same window:

* ``V`` vector-unit issue cycles: every emulated vector operation (arithmetic, compare, select,
  shift, bitwise, mul/mac, conversions, shuffles, reductions, float math) costs
  ``ceil(lanes * element bits / 512)`` cycles, at least 1; a reduction over N lanes costs
  ``ceil(log2 N)``; an ``aie::mmul`` costs its MACs divided by 256 (8-bit), 128 (bfloat16),
  64 (int16) or 16 (32-bit) MACs per cycle.
* ``M`` memory cycles: vector loads and stores cost ``ceil(bits / 256)`` port cycles each; two
  load ports and one store port, so ``M = max(ceil(loads / 2), stores)``. They co-issue with
  vector work, so the vector section of the kernel costs ``max(V, M)``.
* ``S`` scalar cycles: one per basic block of the kernel's own code executed in the window
  (counted by compiler instrumentation; the emulation's code is not instrumented). Loop control,
  scalar arithmetic and scalar loads each live in such blocks; we charge them without overlap.

``estimate = V / (max(V, M) + S)``, where ``V`` counts only vector work that reaches the output: the
child re-runs the kernel with each vector op's result perturbed (``harness/worker/aie_host.py``), and
an op whose perturbation leaves the output unchanged did discarded work (the AIE compiler would have
removed it), so padding a kernel with dead vector ops cannot raise its estimate. A kernel whose
output differs between identical runs gets no vector work counted. Scalar kernels score 0 (no vector issue at all); a tight
vector loop scores high. It is an honest order-of-magnitude guide for search, not a cycle model:
no latencies, stalls, pipelining or VLIW packing of scalar code. The kernel shares its process with
the counters: naming them, building their name with macros, or binding a symbol with an assembler
label is refused before compiling, but a kernel that corrupts memory could still distort them
(correctness is judged elsewhere, from the output bytes).
"""
from __future__ import annotations

from dataclasses import dataclass

VECTOR_KINDS = ("alu", "mul", "mac", "compare", "select", "shift", "bitwise", "reduce", "convert", "shuffle",
                "mmul", "math")
LOAD_PORTS = 2
LABEL = "estimated (host emulation cost model, not a hardware trace)"


@dataclass(frozen=True)
class VectorEstimate:
    utilisation: float
    vector_cycles: int
    memory_cycles: int
    scalar_cycles: int
    vector_ops: int
    discarded_cycles: int = 0  # vector cycles whose results never reached the output (not counted in V)
    unstable: bool = False
    label: str = LABEL

    @property
    def estimated_cycles(self) -> int:
        return max(self.vector_cycles, self.memory_cycles) + self.scalar_cycles

    def summary(self) -> str:
        dead = (" (the output differs between identical runs: no vector work counted)" if self.unstable else
                f" ({self.discarded_cycles} more vector cycles discarded: their results never reach the output)"
                if self.discarded_cycles else "")
        return (f"vector utilisation {100 * self.utilisation:.1f}% ({self.label}): {self.vector_ops} vector ops "
                f"= {self.vector_cycles} vector cycles reaching the output{dead}, {self.memory_cycles} vector "
                f"memory cycles, {self.scalar_cycles} scalar basic blocks, ~{self.estimated_cycles} cycles in the window")


def estimate(stats: dict, liveness: dict | None = None) -> VectorEstimate:
    """``stats`` as the emulation exports it: {"blocks": n, "ops": {kind: [ops, lanes, slots]}};
    ``liveness`` as the child measured it (None: every vector op counts)."""
    ops = stats.get("ops", {})

    def col(kind: str, i: int) -> int:
        return int(ops.get(kind, [0, 0, 0])[i])

    issued = sum(col(k, 2) for k in VECTOR_KINDS)
    unstable = bool(liveness) and not liveness.get("stable")
    if liveness is None:
        share = 1.0
    elif unstable:
        share = 0.0
    else:
        share = int(liveness.get("live_slots", 0)) / max(int(liveness.get("tested_slots", 0)), 1)
    vector_cycles = round(issued * min(share, 1.0))
    memory_cycles = max(-(-col("load", 2) // LOAD_PORTS), col("store", 2))
    scalar_cycles = int(stats.get("blocks", 0))
    total = max(vector_cycles, memory_cycles) + scalar_cycles
    return VectorEstimate(utilisation=vector_cycles / total if total else 0.0, vector_cycles=vector_cycles,
                          memory_cycles=memory_cycles, scalar_cycles=scalar_cycles,
                          vector_ops=sum(col(k, 0) for k in VECTOR_KINDS), discarded_cycles=issued - vector_cycles,
                          unstable=unstable)
