"""Static vector-slot analysis of Peano (llvm-aie) assembly for AIE2/AIE2P kernels.

An AIE core issues one VLIW bundle per cycle, with slots for two loads (A, B), a store (S), scalar
ALU/control (X), moves (M) and the vector unit (V). ``clang++ -S`` prints one bundle per line,
its slot instructions separated by ``;``; a slot left out of a short bundle is empty, and a full
bundle names its empty slots with ``nopa``/``nopb``/``nops``/``nopx``/``nopxm``/``nopm``/``nopv``.

We count the bundles whose V slot holds an instruction, in each function and in its loop bodies
(between a label and a later jump back to it, or between the ``ls``/``le`` labels of a hardware
loop). The V slot is read from the instruction's mnemonic: ``v``-prefixed mnemonics are vector
work, except vector loads (``vld*``), stores (``vst*``) and moves (``vmov``, ``vextract``), which
use the A/B, S and M slots; an explicit ``nopv`` in a bundle always means V is empty.

This is a static measure (it weighs every bundle once, whatever its trip count), reported beside the
emulation's estimate and never as NPUEval's trace-based vector score.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_NOT_VECTOR_SLOT = re.compile(r"^(vld|vst|vmov|vextract)")
_LABEL = re.compile(r"^([.\w$]+):")
_JUMP = re.compile(r"^j\w*$")
_LABEL_REF = re.compile(r"#?([.\w$]+)")


@dataclass
class FunctionSlots:
    name: str
    bundles: int = 0
    vector_bundles: int = 0
    loop_bundles: int = 0
    loop_vector_bundles: int = 0

    @property
    def vector_share(self) -> float:
        return self.vector_bundles / self.bundles if self.bundles else 0.0

    @property
    def loop_vector_share(self) -> float | None:
        return self.loop_vector_bundles / self.loop_bundles if self.loop_bundles else None


@dataclass
class AsmSlots:
    functions: list[FunctionSlots] = field(default_factory=list)

    @property
    def bundles(self) -> int:
        return sum(f.bundles for f in self.functions)

    @property
    def vector_bundles(self) -> int:
        return sum(f.vector_bundles for f in self.functions)

    def resources(self) -> list[dict]:
        """One entry per function, in the shape results carry per-kernel resources."""
        return [{"kernel": f.name, "bundles": f.bundles, "vector_bundles": f.vector_bundles,
                 "loop_bundles": f.loop_bundles, "loop_vector_bundles": f.loop_vector_bundles} for f in self.functions]

    def summary(self) -> str:
        parts = []
        for f in self.functions:
            loop = (f", {100 * f.loop_vector_share:.0f}% of {f.loop_bundles} in loops"
                    if f.loop_vector_share is not None else ", no loop")
            parts.append(f"{f.name}: V slot used in {f.vector_bundles}/{f.bundles} bundles "
                         f"({100 * f.vector_share:.0f}%{loop})")
        return "static assembly analysis (every bundle counted once): " + ("; ".join(parts) or "no function found")


def _strip_comment(line: str) -> str:
    return line.split("//", 1)[0].strip()


def _mnemonic(instr: str) -> str:
    return instr.split(None, 1)[0].lower() if instr.strip() else ""


def bundle_uses_vector_slot(bundle: list[str]) -> bool:
    names = [_mnemonic(i) for i in bundle]
    if "nopv" in names:
        return False
    return any(n.startswith("v") and not _NOT_VECTOR_SLOT.match(n) for n in names)


def _function_names(text: str) -> set[str]:
    return set(re.findall(r"^\s*\.type\s+([.\w$]+)\s*,\s*@function", text, re.M))


def analyse(text: str) -> AsmSlots:
    """Slot use per function of one assembly file (functions found by their ``.type X,@function``)."""
    functions = _function_names(text)
    out = AsmSlots()
    current: FunctionSlots | None = None
    bundles: list[list[str]] = []
    labels: dict[str, int] = {}

    def close() -> None:
        if current is not None:
            _count(current, bundles, labels)
            out.functions.append(current)

    for raw in text.splitlines():
        line = _strip_comment(raw)
        if not line:
            continue
        m = _LABEL.match(line)
        if m:
            name = m.group(1)
            if name in functions:
                close()
                current, bundles, labels = FunctionSlots(name), [], {}
            else:
                labels[name] = len(bundles)
            line = line[m.end():].strip()
            if not line:
                continue
        if current is None or line.startswith("."):
            continue  # directives, and anything before the first function
        bundles.append([s.strip() for s in line.split(";") if s.strip()])
    close()
    return out


def _loop_ranges(bundles: list[list[str]], labels: dict[str, int]) -> list[tuple[int, int]]:
    ranges = []
    hw_start = hw_end = None
    for i, bundle in enumerate(bundles):
        for instr in bundle:
            parts = instr.replace(",", " ").split()
            if not parts:
                continue
            op = parts[0].lower()
            if _JUMP.match(op):
                refs = [m.group(1) for m in map(_LABEL_REF.fullmatch, parts[1:]) if m]
                ranges += [(labels[r], i) for r in refs if r in labels and labels[r] <= i]
            elif op == "movxm" and len(parts) >= 3 and parts[1].lower() in ("ls", "le"):
                target = labels.get(parts[2].lstrip("#"))
                if parts[1].lower() == "ls":
                    hw_start = target
                else:
                    hw_end = target
                if hw_start is not None and hw_end is not None and hw_start <= hw_end:
                    ranges.append((hw_start, min(hw_end, len(bundles) - 1)))
                    hw_start = hw_end = None
    return ranges


def _count(fn: FunctionSlots, bundles: list[list[str]], labels: dict[str, int]) -> None:
    in_loop = set()
    for a, b in _loop_ranges(bundles, labels):
        in_loop.update(range(a, b + 1))
    for i, bundle in enumerate(bundles):
        vec = bundle_uses_vector_slot(bundle)
        fn.bundles += 1
        fn.vector_bundles += vec
        if i in in_loop:
            fn.loop_bundles += 1
            fn.loop_vector_bundles += vec
