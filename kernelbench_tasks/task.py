"""KernelBench-format tasks: a Python file with ``Model``, ``get_inputs`` and ``get_init_inputs``.

Sizes are module-level integer constants. A task can be loaded at its written sizes, with a
named size profile (``SIZE_PROFILES = {"gpu": {...}}`` in the file), or shrunk to a memory
budget; every non-default size is recorded in ``size_label`` so numbers measured at different
sizes are never mixed.
"""
from __future__ import annotations

import ast
import hashlib
import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

_OFFLINE_BLOCKERS = ("transformers", "huggingface_hub", "timm", "torchvision", "datasets", "requests")


@dataclass(frozen=True)
class InputSpec:
    shape: tuple[int, ...] | None
    dtype: str  # torch dtype name, or the Python type for non-tensor inputs

    def __str__(self) -> str:
        return f"{self.dtype}{list(self.shape)}" if self.shape is not None else self.dtype


@dataclass(frozen=True)
class Task:
    name: str
    path: Path
    level: int | None
    source: str
    status: str = "loaded"  # loaded | error | skipped
    error: str | None = None
    overrides: dict = field(default_factory=dict)
    size_label: str = "default"
    inputs: tuple[InputSpec, ...] = ()
    tolerance: dict | None = None
    init_args: tuple[str, ...] = ()       # get_init_inputs() at the loaded size, each value's repr
    parameters: tuple[tuple[str, InputSpec], ...] = ()  # Model's parameters and buffers, in creation order

    # What a solution is, for the search (NpuTask answers the same three questions for C++ kernels).
    language: ClassVar[str] = "python"     # code-block language of the writer's reply
    solution_suffix: ClassVar[str] = ".py"
    entry_name: ClassVar[str] = "ModelNew"  # the name a solution must define

    @property
    def brief(self) -> str:
        """What the kernel writer is shown of the task: the PyTorch reference."""
        return self.source

    @property
    def key(self) -> str:
        """Content hash of what defines the problem: source plus the sizes applied."""
        blob = self.source + repr(sorted(self.overrides.items()))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def input_bytes(self) -> int:
        return sum(_nbytes(s) for s in self.inputs)

    def to_dict(self) -> dict:
        return {"name": self.name, "level": self.level, "path": str(self.path), "status": self.status,
                "error": self.error, "size_label": self.size_label, "overrides": self.overrides,
                "inputs": [str(s) for s in self.inputs]}


class TaskLoadError(Exception):
    pass


# ---- source-level size constants --------------------------------------------------------------
_INT_OPS = {ast.Mult: lambda a, b: a * b, ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
            ast.FloorDiv: lambda a, b: a // b if b else None, ast.LShift: lambda a, b: a << b if 0 <= b < 64 else None}


def _int_value(node: ast.expr) -> int | None:
    """An int literal, or int arithmetic on literals on one line (``2048 * 2``, as KernelBench writes sizes)."""
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    if isinstance(node, ast.BinOp) and type(node.op) in _INT_OPS and node.lineno == node.end_lineno:
        a, b = _int_value(node.left), _int_value(node.right)
        return None if a is None or b is None else _INT_OPS[type(node.op)](a, b)
    return None


def _constant_nodes(source: str) -> dict[str, ast.expr]:
    """Module-level ints bound to names: ``n = 4``, ``h, w = 32, 32``, ``n: int = 4``, ``n = 2048 * 2``."""
    nodes: dict[str, ast.expr] = {}
    for node in ast.parse(source).body:
        pairs = []
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            tgt, val = node.targets[0], node.value
            if isinstance(tgt, ast.Name):
                pairs = [(tgt, val)]
            elif isinstance(tgt, ast.Tuple) and isinstance(val, ast.Tuple) and len(tgt.elts) == len(val.elts):
                pairs = list(zip(tgt.elts, val.elts))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            pairs = [(node.target, node.value)]
        for t, v in pairs:
            if isinstance(t, ast.Name) and _int_value(v) is not None:
                nodes[t.id] = v
    return nodes


def size_constants(source: str) -> dict[str, int]:
    """The problem's size knobs: module-level integer constants."""
    return {k: _int_value(v) for k, v in _constant_nodes(source).items()}


def apply_overrides(source: str, overrides: dict[str, int]) -> str:
    """Rewrite the literal of each overridden constant in the source (so derived values follow)."""
    if not overrides:
        return source
    nodes = _constant_nodes(source)
    unknown = sorted(set(overrides) - set(nodes))
    if unknown:
        raise TaskLoadError(f"size override for unknown constant(s) {', '.join(unknown)} "
                            f"(module-level int constants: {', '.join(nodes) or 'none'})")
    lines = source.splitlines(keepends=True)
    edits = sorted(((nodes[k], int(v)) for k, v in overrides.items()),
                   key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True)
    for node, value in edits:
        ln = lines[node.lineno - 1]
        lines[node.lineno - 1] = ln[:node.col_offset] + str(value) + ln[node.end_col_offset:]
    return "".join(lines)


def exec_task_module(source: str, path: Path, overrides: dict[str, int] | None = None) -> types.ModuleType:
    mod = types.ModuleType("kernelbench_task_" + re.sub(r"\W", "_", path.stem))
    mod.__file__ = str(path)
    code = compile(apply_overrides(source, overrides or {}), str(path), "exec")
    exec(code, mod.__dict__)  # noqa: S102 - task files are the user's own problem definitions
    for attr in ("Model", "get_inputs", "get_init_inputs"):
        if not hasattr(mod, attr):
            raise TaskLoadError(f"missing {attr}")
    return mod


def _nbytes(spec: InputSpec) -> int:
    if spec.shape is None:
        return 0
    import torch

    n = 1
    for s in spec.shape:
        n *= s
    return n * torch.empty((), dtype=getattr(torch, spec.dtype)).element_size()


def describe_inputs(mod: types.ModuleType) -> tuple[InputSpec, ...]:
    """Input shapes and dtypes without allocating them (meta device)."""
    import torch

    with torch.device("meta"):
        values = mod.get_inputs()
    specs = []
    for v in values:
        if isinstance(v, torch.Tensor):
            specs.append(InputSpec(tuple(v.shape), str(v.dtype).removeprefix("torch.")))
        else:
            specs.append(InputSpec(None, type(v).__name__))
    return tuple(specs)


def describe_model(mod: types.ModuleType) -> tuple[tuple[str, ...], tuple[tuple[str, InputSpec], ...]]:
    """``get_init_inputs()`` and the parameters ``Model`` creates from it, built on the meta device (no
    memory, no values): what a solution must reproduce to get the same weights. Empty if that fails."""
    import torch

    try:
        init = list(mod.get_init_inputs())
        with torch.device("meta"):
            model = mod.Model(*init)
        named = [*model.named_parameters(), *model.named_buffers()]
    except Exception:  # noqa: BLE001 - informational only: the prompt then names no parameters
        return (), ()
    args = tuple(repr(v)[:80] for v in init)
    return args, tuple((n, InputSpec(tuple(t.shape), str(t.dtype).removeprefix("torch."))) for n, t in named)


def _level_of(path: Path) -> int | None:
    for part in reversed(path.parts[:-1]):
        m = re.fullmatch(r"level_?(\d+)", part)
        if m:
            return int(m.group(1))
    return None


def _offline_blocker(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for n in names:
            if n.split(".")[0] in _OFFLINE_BLOCKERS:
                return f"imports {n.split('.')[0]} (downloads models/data or is not installed): cannot run offline"
    if "from_pretrained" in source:
        return "calls from_pretrained (downloads model weights): cannot run offline"
    return None


def _first_line(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0] if msg else ''}".rstrip(": ")


# ---- loading ----------------------------------------------------------------------------------
def load_task(path: str | Path, *, profile: str | None = None, shrink_to: int | None = None) -> Task:
    """Load one task file; never raises for a bad file: the Task carries status and a one-line error."""
    from kernelbench_tasks.shrink import footprint_bytes, shrink_overrides

    path = Path(path)
    base = dict(name=path.stem, path=path, level=_level_of(path))
    try:
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        return Task(source="", status="error", error=f"cannot read file: {_first_line(e)}", **base)
    blocker = _offline_blocker(source)
    if blocker:
        return Task(source=source, status="skipped", error=blocker, **base)
    try:
        ast.parse(source)
    except SyntaxError as e:
        return Task(source=source, status="error", error=f"syntax error at line {e.lineno}: {e.msg}", **base)
    stage = "import"
    try:
        mod = exec_task_module(source, path)
        overrides, label = {}, "default"
        profiles = getattr(mod, "SIZE_PROFILES", None) or {}
        if profile and profiles:  # files without profiles (official KernelBench) keep their sizes
            if profile not in profiles:
                raise TaskLoadError(f"no size profile {profile!r} (has: {', '.join(profiles)})")
            overrides, label = {k: int(v) for k, v in profiles[profile].items()}, f"profile:{profile}"
            mod = exec_task_module(source, path, overrides)
        stage = "get_inputs"
        inputs = describe_inputs(mod)
        if shrink_to is not None and footprint_bytes(mod)[1] > shrink_to:
            overrides = {**overrides, **shrink_overrides(source, path, overrides, shrink_to)}
            label = f"shrunk:{_human(shrink_to)}" + ("" if label == "default" else f"+{label}")
            shrunk = exec_task_module(source, path, overrides)
            inputs = describe_inputs(shrunk)
            have = footprint_bytes(shrunk)[1]
            if have > shrink_to:
                return Task(source=source, status="skipped", overrides=overrides, size_label=label, inputs=inputs,
                            error=f"its tensors (inputs, weights, outputs, largest temporary) are still "
                                  f"{_human_approx(have)} after shrinking its size constants "
                                  f"(budget {_human(shrink_to)})", **base)
        tol = getattr(mod, "TOLERANCE", None)
        init_args, parameters = describe_model(mod)
        return Task(source=source, overrides=overrides, size_label=label, inputs=inputs,
                    tolerance=dict(tol) if isinstance(tol, dict) else None, init_args=init_args,
                    parameters=parameters, **base)
    except TaskLoadError as e:
        return Task(source=source, status="error", error=str(e), **base)
    except ImportError as e:
        return Task(source=source, status="skipped", error=f"needs a module that is not installed: {_first_line(e)}", **base)
    except Exception as e:  # noqa: BLE001 - any failure in user task code becomes one line
        where = "while importing" if stage == "import" else "in get_inputs()"
        return Task(source=source, status="error", error=f"{where}: {_first_line(e)}", **base)


def discover(path: str | Path) -> list[Path]:
    """A file, a folder of task files, or a KernelBench checkout (``levelN/*.py`` anywhere below)."""
    p = Path(path)
    if not p.exists():
        raise TaskLoadError(f"no such file or directory: {p}")
    if p.is_file():
        return [p]
    files = sorted(f for f in p.rglob("*.py") if not f.name.startswith("_") and "__pycache__" not in f.parts)
    leveled = [f for f in files if _level_of(f.relative_to(p)) is not None or _level_of(f) is not None]
    picked = leveled or files
    return sorted(picked, key=lambda f: (_level_of(f) or 0, _num_prefix(f.stem), f.stem))


def _num_prefix(stem: str) -> int:
    m = re.match(r"(\d+)", stem)
    return int(m.group(1)) if m else 1 << 30


def load_tasks(path: str | Path, *, profile: str | None = None, shrink_to: int | None = None) -> list[Task]:
    return [load_task(f, profile=profile, shrink_to=shrink_to) for f in discover(path)]


def _human(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n}B"


def _human_approx(n: int) -> str:
    return f"{n / (1 << 20):.1f}MB" if n < (1 << 30) else f"{n / (1 << 30):.2f}GB"


def parse_size(text: str) -> int:
    """'256MB', '1GB', '512k', '1000' -> bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not m:
        raise ValueError(f"not a size: {text!r} (examples: 64MB, 1GB)")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2)]
    return int(float(m.group(1)) * mult)
