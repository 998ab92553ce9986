"""Turn raw compiler / runtime output into the few lines an engineer (or an LLM) needs."""
from __future__ import annotations

import re

_ERROR = re.compile(r"(\berror\b|\bError\b|undefined reference|fatal)", re.I)
_NOISE = re.compile(
    r"^(In file included from|\s+from |.*: note: |.*required from |.*In instantiation of"
    r"|.*In member function|.*In function|\s*\d+ errors? detected|Compilation terminated"
    r"|ninja: build stopped|ptxas info\s+: (Compile time|0 bytes gmem))"
)
_PTXAS_ENTRY = re.compile(r"Compiling entry function '([^']+)' for '(\w+)'")
_PTXAS_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_PTXAS_USED = re.compile(r"Used (\d+) registers(?:, used (\d+) barriers)?(?:, (\d+) bytes smem)?")


def trim_compiler_output(text: str, *, max_errors: int = 6, max_chars: int = 4000,
                         keep_ptxas: bool = False) -> str:
    """Keep each error line with its source line and caret; drop include chains and template noise."""
    lines = text.splitlines()
    kept: list[str] = []
    errors = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if _ERROR.search(line) and not _NOISE.match(line):
            errors += 1
            if errors > max_errors:
                kept.append(f"... ({sum(1 for l in lines[i:] if _ERROR.search(l))} more error lines)")
                break
            kept.append(line)
            # gcc prints "  N | code" then a caret line; nvcc prints the code line then the caret.
            for follow in lines[i + 1:i + 3]:
                if follow.strip() and ("^" in follow or "|" in follow or follow.startswith("  ")):
                    kept.append(follow[:300])
            i += 1
            continue
        if keep_ptxas and line.startswith(("ptxas info", "    ")) and not _NOISE.match(line):
            kept.append(line)
        i += 1
    if not kept and text.strip():
        kept = [l for l in lines if l.strip() and not _NOISE.match(l)][-20:]
    out = "\n".join(kept)
    return out if len(out) <= max_chars else out[:max_chars] + "\n... (truncated)"


def first_error_line(log: str, limit: int = 500) -> str:
    """The first line of a compiler log that mentions an error (else its start): the one-line verdict."""
    first = next((l for l in log.splitlines() if "error" in l.lower()), log[:200])
    return first.strip()[:limit]


def parse_ptxas(text: str) -> list[dict]:
    """Registers, barriers, shared memory, stack and spills per compiled kernel from ``-Xptxas -v``."""
    kernels: list[dict] = []
    cur: dict | None = None
    for line in text.splitlines():
        m = _PTXAS_ENTRY.search(line)
        if m:
            cur = {"kernel": m.group(1), "arch": m.group(2)}
            kernels.append(cur)
            continue
        if cur is None:
            continue
        m = _PTXAS_FRAME.search(line)
        if m:
            cur.update(stack_bytes=int(m.group(1)), spill_store_bytes=int(m.group(2)),
                       spill_load_bytes=int(m.group(3)))
        m = _PTXAS_USED.search(line)
        if m:
            cur.update(registers=int(m.group(1)), barriers=int(m.group(2) or 0),
                       smem_bytes=int(m.group(3) or 0))
    return kernels


def format_resources(kernels: list[dict]) -> str:
    return "\n".join(
        f"{k['kernel']} ({k.get('arch', '?')}): {k.get('registers', '?')} registers, "
        f"{k.get('smem_bytes', 0)} B smem, {k.get('spill_store_bytes', 0)} B spill stores, "
        f"{k.get('spill_load_bytes', 0)} B spill loads, {k.get('stack_bytes', 0)} B stack"
        for k in kernels
    )


def trim_traceback(text: str, *, keep_files: tuple[str, ...] = ("candidate",), max_chars: int = 3000) -> str:
    """Keep the frames in the candidate's own file and the final exception line, not torch internals."""
    lines = text.rstrip().splitlines()
    if not lines:
        return ""
    kept = []
    for i, line in enumerate(lines):
        if line.strip().startswith("File ") and any(k in line for k in keep_files):
            kept.append(line.strip())
            if i + 1 < len(lines) and not lines[i + 1].strip().startswith("File "):
                kept.append("    " + lines[i + 1].strip())
    kept.append(lines[-1])
    out = "\n".join(kept)
    return out[-max_chars:]
