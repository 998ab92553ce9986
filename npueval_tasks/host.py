"""Turn an NPUEval kernel into one host C++ translation unit for the AIE emulation.

The unit is: the kernel source (the prompt's includes and the filled-in function), the task's
``program_code`` wrapper unchanged, and a generated entry point ``kg_npu_entry(void** args)`` that
calls the wrapper with each parameter cast to its declared type (runtime parameters are passed by
pointer to their value). ``kg_npu_stats`` exports the emulation's operation counters as JSON;
``kg_npu_ablate`` picks a vector op whose result the next run perturbs (the liveness check).

It is built with g++ against ``emulation/include`` (see ``harness.build``, kind ``aie_host``):
``-O1 -fno-inline`` keeps the emulation's functions out of the kernel's code, and
``-fsanitize-coverage=trace-pc`` counts the kernel's executed basic blocks (the scalar work).
"""
from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from npueval_tasks.task import NpuTask

EMULATION_DIR = Path(__file__).resolve().parent / "emulation"
INCLUDE_DIR = EMULATION_DIR / "include"
ENTRY = "kg_npu_entry"
STATS = "kg_npu_stats"
ABLATE = "kg_npu_ablate"  # perturb the result of the vector op with this ordinal (-1: none)

# Names of the emulation's internals: a kernel that refers to them could forge its own counters.
INTERNAL_NAMES = (re.compile(r"\b(aie_emu|detail_emu|__sanitizer_\w+|kg_npu_\w+)\b"),
                  "refers to the host emulation's internals")
# Checked again after the kernel's own macros are expanded (harness.static_checks.preprocessed):
# internal names anywhere in a token (mangled names too), and no assembler labels or inline
# assembly, which could bind a local name to any symbol of the process.
# Attributes and pragmas that switch off or change the instrumentation counting the kernel's scalar
# blocks (it would then look all-vector) are refused too.
EXPANDED_RULES = ((re.compile(r"aie_emu|detail_emu|__sanitizer_|kg_npu_"), "refers to the host emulation's internals"),
                  (re.compile(r"\b(asm|__asm__|__asm)\b"), "uses inline assembly or an assembler label"),
                  (re.compile(r"no_sanitize|no_instrument_function|\boptimize\s*\(|#\s*pragma\s+(GCC|clang)\b"),
                   "switches off or changes the instrumentation that counts its scalar work"))


@cache
def emulation_digest() -> str:
    """Hash of the emulation headers: part of every build key, so editing them rebuilds kernels."""
    h = hashlib.sha256()
    for p in sorted(INCLUDE_DIR.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(INCLUDE_DIR).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def _stats_function() -> str:
    return f'''
extern "C" __attribute__((no_sanitize_coverage)) int {STATS}(char* buf, int cap) {{
    const aie_emu::counters& s = aie_emu::stats;
    int n = std::snprintf(buf, cap, "{{\\"blocks\\": %llu, \\"events0\\": %d, \\"events1\\": %d, "
                          "\\"vector_ops\\": %llu, \\"ablated_slots\\": %llu, \\"ops\\": {{",
                          s.blocks, s.events0, s.events1, s.vector_ops, s.ablated_slots);
    for (int k = 0; k < static_cast<int>(aie_emu::op_kind::count_) && n < cap; ++k) {{
        const aie_emu::op_counter& c = s.by_kind[k];
        n += std::snprintf(buf + n, cap - n, "%s\\"%s\\": [%llu, %llu, %llu]", k ? ", " : "",
                           aie_emu::op_names[k], c.ops, c.lanes, c.slots);
    }}
    if (n < cap) n += std::snprintf(buf + n, cap - n, "}}}}");
    return n;
}}
extern "C" __attribute__((no_sanitize_coverage)) void {ABLATE}(long long ordinal) {{
    aie_emu::stats.ablate_at = ordinal;
}}
'''


def host_translation_unit(task: NpuTask, kernel_source: str) -> str:
    """The C++ unit for ``kernel_source`` (a whole kernel file) with the task's wrapper and entry."""
    casts = []
    for i, p in enumerate(task.signature.params):
        casts.append(f"static_cast<{p.ctype}*>(args[{i}])" if p.pointer else f"*static_cast<{p.ctype}*>(args[{i}])")
    entry = (f'extern "C" __attribute__((no_sanitize_coverage)) void {ENTRY}(void** args) {{\n'
             f"    {task.name}_wrapper({', '.join(casts)});\n}}\n")
    return "\n".join([
        f"// kernelgepa host build of {task.name} (AIE emulation {emulation_digest()})",
        "#include <aie_api/aie.hpp>",
        "#include \"aie_kernel_utils.h\"",
        "#line 1 \"kernel.cc\"",
        kernel_source,
        "#line 1 \"wrapper.cc\"",
        task.program_code,
        "#line 1 \"entry.cc\"",
        entry,
        _stats_function(),
    ])


# g++ cannot type `c ? bf16 : 0.0f` (bfloat16 is a class here, convertible both ways), while the
# AIE compiler's bfloat16 is arithmetic and promotes to float. This error triggers one retry with
# each ?: branch given a unary plus, which promotes a bfloat16 operand to float like the target.
TERNARY_BF16_ERROR = re.compile(r"operands to .\?:. have different types [^\n]*bfloat16")
_LEXEME = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|::|[?:()\[\]{};,]', re.S)


def promote_ternary_branches(source: str) -> str:
    """Insert ``+`` at the start of both branches of every ``?:`` (comments and literals skipped)."""
    inserts: list[int] = []
    stack: list[int] = []  # per open ?: : the bracket depth it was opened at
    depth = 0
    for m in _LEXEME.finditer(source):
        tok = m.group(0)
        if tok in "([{" and len(tok) == 1:
            depth += 1
        elif tok in ")]}" and len(tok) == 1:
            depth -= 1
            while stack and stack[-1] > depth:
                stack.pop()
        elif tok == "?":
            stack.append(depth)
            inserts.append(m.end())
        elif tok == ":" and stack and stack[-1] == depth:
            stack.pop()
            inserts.append(m.end())
        elif tok == ";":
            stack.clear()
    out, last = [], 0
    for pos in inserts:
        out += [source[last:pos], " +"]
        last = pos
    return "".join(out) + source[last:]
