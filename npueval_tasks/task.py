"""NPUEval-format tasks: one JSON object per line describing an AIE kernel and its test vectors.

Fields (NPUEval's format): ``kernel_name``; ``prompt`` (a C++ comment, the includes and the empty
function to fill); ``canonical_solution`` (the body completing the prompt); ``program_code`` (an
``extern "C"`` wrapper calling ``event0(); kernel(...); event1();``); ``test_vectors`` with
``inputs``, one ``outputs`` entry and optional ``rtps`` (runtime parameters), each a list of
``{name: values, "dtype": d}``; optional ``tolerances`` ``{atol, rtol}`` (default 1e-2 each).

A malformed line becomes one ``LoadProblem`` with a one-line reason; the other lines still load.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

DTYPES = {  # NPUEval dtype name -> (C++ type, bytes per element)
    "bfloat16": ("bfloat16", 2), "float32": ("float", 4), "int8": ("int8_t", 1), "uint8": ("uint8_t", 1),
    "int16": ("int16_t", 2), "uint16": ("uint16_t", 2), "int32": ("int32_t", 4), "uint32": ("uint32_t", 4),
}
_CPP_TO_DTYPE = {cpp: name for name, (cpp, _) in DTYPES.items()}
_CPP_TO_DTYPE.update({"int8": "int8", "uint8": "uint8", "int16": "int16", "uint16": "uint16", "int32": "int32",
                      "uint32": "uint32", "int": "int32", "unsigned": "uint32", "float32_t": "float32"})
DEFAULT_ATOL = DEFAULT_RTOL = 1e-2
_INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535),
               "int32": (-(1 << 31), (1 << 31) - 1), "uint32": (0, (1 << 32) - 1)}
_PARAM = re.compile(r"^(?:const\s+)?([A-Za-z_]\w*)\s*(\*?)\s*(?:__restrict__\s+|__restrict\s+|restrict\s+)?([A-Za-z_]\w*)$")


class TaskFormatError(ValueError):
    """One line's problem, said in one line."""


@dataclass(frozen=True)
class Param:
    """One parameter of the kernel function, as the prompt declares it."""
    name: str
    ctype: str  # element / scalar C++ type as written (e.g. bfloat16, int8_t)
    pointer: bool

    @property
    def dtype(self) -> str | None:
        return _CPP_TO_DTYPE.get(self.ctype)


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[Param, ...]


@dataclass(frozen=True)
class Buffer:
    """A test-vector buffer (input or output) or a runtime parameter (``values`` of length 1)."""
    name: str
    dtype: str
    values: tuple[float, ...]  # flattened row-major
    shape: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        return len(self.values)

    @property
    def nbytes(self) -> int:
        return self.size * DTYPES[self.dtype][1]


@dataclass(frozen=True)
class NpuTask:
    name: str
    prompt: str
    signature: Signature
    canonical_solution: str
    program_code: str
    inputs: tuple[Buffer, ...]
    output: Buffer
    rtps: tuple[Buffer, ...] = ()
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    source: str = ""  # file the task came from
    line: int = 0

    # What a solution is, for the search: the whole kernel source (includes and function) in C++.
    language: ClassVar[str] = "cpp"
    solution_suffix: ClassVar[str] = ".cc"

    @property
    def entry_name(self) -> str:
        """The function a solution must define."""
        return self.signature.name

    @property
    def brief(self) -> str:
        """What the kernel writer is shown: NPUEval's prompt (description, example, buffer sizes,
        includes and the empty function)."""
        return self.prompt

    @property
    def description(self) -> str:
        """The prompt's leading comment: what the kernel computes, an example, the buffer sizes."""
        m = re.search(r"/\*(.*?)\*/", self.prompt, re.S)
        return m.group(1).strip() if m else ""

    @property
    def canonical_source(self) -> str:
        """The whole kernel source of the canonical solution: the prompt with its body filled in."""
        return complete_prompt(self.prompt, self.canonical_solution)

    def arguments(self) -> list[tuple[Param, Buffer]]:
        """Each kernel parameter in call order with the buffer or runtime parameter it receives."""
        by_name = {b.name: b for b in (*self.inputs, self.output, *self.rtps)}
        return [(p, by_name[p.name]) for p in self.signature.params]

    def to_dict(self) -> dict:
        return {"name": self.name, "signature": f"{self.signature.name}({', '.join(p.ctype + ('*' if p.pointer else '') + ' ' + p.name for p in self.signature.params)})",
                "inputs": [f"{b.name}: {b.dtype}[{b.size}]" for b in self.inputs],
                "output": f"{self.output.name}: {self.output.dtype}[{self.output.size}]",
                "rtps": {b.name: b.values[0] for b in self.rtps}, "atol": self.atol, "rtol": self.rtol}


@dataclass(frozen=True)
class LoadProblem:
    source: str
    line: int
    name: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.name or '?'}: {self.reason}"


@dataclass
class TaskSet:
    tasks: list[NpuTask] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


def complete_prompt(prompt: str, body: str) -> str:
    """Replace the prompt's placeholder body (``// Implementation goes here`` and the closing brace)
    with ``body``, which NPUEval stores without the opening brace but with the closing one."""
    m = re.search(r"\{\s*(//[^\n]*\n\s*)?\}\s*$", prompt)
    if not m:
        raise TaskFormatError("prompt does not end with an empty function body")
    return prompt[:m.start()] + "{\n    " + body.strip() + "\n"


def parse_signature(prompt: str) -> Signature:
    """The function the prompt asks for: the last ``void name(params) {`` in it."""
    found = re.findall(r"\bvoid\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*\{", prompt)
    if not found:
        raise TaskFormatError("prompt declares no `void name(...) {` function")
    name, plist = found[-1]
    params = []
    for raw in filter(None, (p.strip() for p in plist.split(","))):
        m = _PARAM.match(re.sub(r"\s*\*\s*", " * ", raw).replace(" * ", " *", 1).strip())
        if not m:
            raise TaskFormatError(f"cannot parse parameter {raw!r}")
        params.append(Param(name=m.group(3), ctype=m.group(1), pointer=bool(m.group(2))))
    return Signature(name, tuple(params))


def _flatten(raw) -> tuple[list | None, tuple[int, ...]]:
    """Row-major values and shape of a number or a rectangular nested list; (None, ()) otherwise."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return [raw], ()
    if not isinstance(raw, list) or not raw:
        return None, ()
    parts = [_flatten(x) for x in raw]
    if any(v is None for v, _ in parts) or len({s for _, s in parts}) != 1:
        return None, ()
    return [x for v, _ in parts for x in v], (len(raw), *parts[0][1])


def _buffers(entries, where: str, *, scalar: bool) -> tuple[Buffer, ...]:
    if not isinstance(entries, list):
        raise TaskFormatError(f"test_vectors.{where} must be a list")
    out = []
    for e in entries:
        if not isinstance(e, dict) or "dtype" not in e or len(e) != 2:
            raise TaskFormatError(f"test_vectors.{where}: each entry is {{name: values, 'dtype': d}}")
        dtype = e["dtype"]
        if dtype not in DTYPES:
            raise TaskFormatError(f"test_vectors.{where}: unknown dtype {dtype!r} (known: {', '.join(DTYPES)})")
        name, raw = next((k, v) for k, v in e.items() if k != "dtype")
        values, shape = _flatten(raw)
        if values is None:
            raise TaskFormatError(f"buffer {name!r}: values must be a number or a (nested, rectangular) list of numbers")
        if scalar and len(values) != 1:
            raise TaskFormatError(f"runtime parameter {name!r} must be one value")
        if dtype in _INT_RANGES:
            lo, hi = _INT_RANGES[dtype]
            if any(not float(v).is_integer() or not lo <= v <= hi for v in values if math.isfinite(v)):
                raise TaskFormatError(f"buffer {name!r}: values outside {dtype}")
        out.append(Buffer(str(name), dtype, tuple(values), shape))
    return tuple(out)


def parse_task(obj: dict, *, source: str = "", line: int = 0) -> NpuTask:
    """Build one task from a decoded JSONL object, checking that buffers match the signature."""
    if not isinstance(obj, dict):
        raise TaskFormatError("line is not a JSON object")
    missing = [k for k in ("kernel_name", "prompt", "program_code", "test_vectors") if k not in obj]
    if missing:
        raise TaskFormatError(f"missing field(s): {', '.join(missing)}")
    name = obj["kernel_name"]
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_]\w{0,63}", name):
        raise TaskFormatError(f"kernel_name must be a C identifier, got {name!r}")
    sig = parse_signature(obj["prompt"])
    if sig.name != name:
        raise TaskFormatError(f"prompt's function is {sig.name!r}, not the kernel_name")
    if f"{name}_wrapper" not in obj["program_code"]:
        raise TaskFormatError(f"program_code does not define {name}_wrapper")
    tv = obj["test_vectors"]
    if not isinstance(tv, dict):
        raise TaskFormatError("test_vectors must be an object")
    inputs = _buffers(tv.get("inputs", []), "inputs", scalar=False)
    outputs = _buffers(tv.get("outputs", []), "outputs", scalar=False)
    rtps = _buffers(tv.get("rtps", []), "rtps", scalar=True)
    if len(outputs) != 1:
        raise TaskFormatError(f"expected exactly one output buffer, got {len(outputs)}")
    given = {b.name: b for b in (*inputs, *outputs, *rtps)}
    for p in sig.params:
        b = given.pop(p.name, None)
        if b is None:
            raise TaskFormatError(f"parameter {p.name!r} has no test-vector buffer or runtime parameter")
        if p.pointer == (b in rtps):
            kind = "pointer" if p.pointer else "scalar"
            raise TaskFormatError(f"parameter {p.name!r} is a {kind} but its test vector is "
                                  f"{'a runtime parameter' if b in rtps else 'a buffer'}")
        if p.dtype and p.dtype != b.dtype:
            raise TaskFormatError(f"parameter {p.name!r} is {p.ctype} but its test vector is {b.dtype}")
    if given:
        raise TaskFormatError(f"test vectors for unknown parameter(s): {', '.join(given)}")
    tol = obj.get("tolerances") or {}
    if not isinstance(tol, dict) or any(not isinstance(tol.get(k, 0.0), (int, float)) or tol.get(k, 0.0) < 0
                                        for k in ("atol", "rtol")):
        raise TaskFormatError("tolerances must be {atol, rtol} with non-negative numbers")
    solution = obj.get("canonical_solution") or ""
    if not isinstance(solution, str):
        raise TaskFormatError("canonical_solution must be a string")
    task = NpuTask(name=name, prompt=obj["prompt"], signature=sig, canonical_solution=solution,
                   program_code=obj["program_code"], inputs=inputs, output=outputs[0], rtps=rtps,
                   atol=float(tol.get("atol", DEFAULT_ATOL)), rtol=float(tol.get("rtol", DEFAULT_RTOL)),
                   source=source, line=line)
    complete_prompt(task.prompt, "")  # the prompt must have a body to fill
    return task


def load_npueval(path: str | Path) -> TaskSet:
    """Load every task of an NPUEval JSONL file; bad lines become problems, never exceptions."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TaskFormatError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    result = TaskSet()
    seen: set[str] = set()
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        name = None
        try:
            obj = json.loads(raw)
            name = obj.get("kernel_name") if isinstance(obj, dict) else None
            task = parse_task(obj, source=str(path), line=lineno)
            if task.name in seen:
                raise TaskFormatError("duplicate kernel_name")
            seen.add(task.name)
            result.tasks.append(task)
        except json.JSONDecodeError as e:
            result.problems.append(LoadProblem(str(path), lineno, None, f"not valid JSON ({e.msg})"))
        except TaskFormatError as e:
            result.problems.append(LoadProblem(str(path), lineno, name if isinstance(name, str) else None, str(e)))
    return result
