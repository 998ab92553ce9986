"""Static checks on candidate source, run in the parent before any candidate code executes.

This is the layer the candidate cannot alter. Candidates may only import kernel-writing modules,
may not run dynamic code, touch private or dunder attributes, patch modules, do file or process
I/O, or start threads; embedded C++/CUDA sources may not do I/O, read the environment, start
threads or include files by path. Everything the runtime guards check is backed by this layer.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

ALLOWED_IMPORTS = ("torch", "torch.nn", "torch.nn.functional", "torch.utils.cpp_extension", "math",
                   "harness.native", "typing", "__future__", "triton", "triton.language", "functools",
                   "dataclasses", "cupy", "torch.nn.init", "torch.nn.modules.utils", "itertools", "collections", "collections.abc",
                   "operator", "numbers", "enum")
# Private helpers honest solutions use to mirror the reference's initialisation or argument handling.
_ALLOWED_PRIVATE = {"_calculate_fan_in_and_fan_out", "_calculate_correct_fan", "_single", "_pair", "_triple",
                    "_quadruple"}
# operator's getters reach any attribute by name: getattr() by another door.
_FORBIDDEN_NAMES = {"attrgetter", "methodcaller"}
# CuPy is there to compile and launch the candidate's own RawKernel/RawModule, not for its array
# library: cupy.exp or cupy.matmul would compute the task outside any kernel the candidate wrote.
_CUPY_NAMES = {"RawKernel", "RawModule", "cuda", "ExternalStream", "int32", "int64", "uint32", "uint64",
               "float16", "float32", "float64"}
_FORBIDDEN_CALLS = {"exec", "eval", "compile", "__import__", "open", "globals", "locals", "vars",
                    "getattr", "setattr", "delattr", "breakpoint", "input", "exit", "quit", "memoryview"}
_ALLOWED_DUNDERS = {"__init__", "__name__", "__doc__"}
_SOURCE_RULES = [
    (re.compile(r"#\s*include\s*[<\"](thread|future|pthread\.h|unistd\.h|sys/[\w/.]+|fcntl\.h|dlfcn\.h"
                r"|fstream|filesystem|netinet/[\w.]+|arpa/[\w.]+|sys/socket\.h|signal\.h|spawn\.h)[>\"]"),
     "includes a header for threads, processes, files or sockets"),
    (re.compile(r"#\s*include\s*[<\"](/|[^>\"]*\.\.)"), "includes a file by absolute or parent path"),
    (re.compile(r"\b(fopen|freopen|open|openat|creat|popen|system|fork|vfork|execv\w*|execl\w*|dlopen|dlsym"
                r"|syscall|socket|connect|getenv|secure_getenv|setenv|putenv|ptrace|mmap|mprotect|kill"
                r"|pthread_create)\s*\("),
     "calls a process, file, network or environment function"),
    (re.compile(r"\b(std::thread|std::async|std::jthread|std::ifstream|std::ofstream|std::fstream|environ)\b"),
     "uses threads, file streams or the environment"),
    (re.compile(r"/proc/|/dev/|/etc/|/root/|/home/"), "refers to a system path"),
    # The assembler reads any file .incbin names (compiles also see only their own folder: confine.py).
    (re.compile(r"\bincbin\b"), "embeds a file at compile time (.incbin)"),
]


@dataclass
class StaticVerdict:
    ok: bool
    status: str = ""  # "invalid" (not valid Python) or "rejected" (breaks the rules)
    reason: str = ""


def _module_aliases(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                names.add(a.asname or a.name)
    return names


def _cupy_aliases(tree: ast.AST) -> set[str]:
    return {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
            for a in n.names if a.name == "cupy"}


def check_kernel_source(code: str, extra_rules: tuple = ()) -> str | None:
    """Why a C++/CUDA kernel source breaks the rules (comments ignored), or None."""
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", code, flags=re.S)
    for rx, why in (*_SOURCE_RULES, *extra_rules):
        m = rx.search(code)
        if m:
            return f"kernel source {why}: '{m.group(0).strip()}'"
    return None


def preprocessed(code: str, timeout_s: float = 30.0) -> str:
    """``code`` after the C preprocessor, its ``#include`` lines left out: the kernel's own macros are
    expanded (token pasting can build a name the plain-text rules never see), nobody else's. If the
    preprocessor rejects the code, the code itself is returned; the compile will report the error."""
    import tempfile

    from harness.sandbox.isolation import run_compiler

    body = re.sub(r"^[ \t]*#[ \t]*include\b.*$", "", code, flags=re.M)
    with tempfile.TemporaryDirectory(prefix="kg-cpp-") as d:
        run = run_compiler(["g++", "-E", "-P", "-std=c++20", "-x", "c++", "-"], d, timeout_s=timeout_s, stdin=body)
    return run.stdout if run.ok else code


def _check_source_strings(tree: ast.AST) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 20:
            why = check_kernel_source(node.value)
            if why:
                return f"{why} (line {node.lineno})"
    return None


def check_candidate(source: str, filename: str = "candidate.py") -> StaticVerdict:
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as e:
        return StaticVerdict(False, "invalid", f"Python syntax error at line {e.lineno}: {e.msg}")
    modules = _module_aliases(tree)
    cupy = _cupy_aliases(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name not in ALLOWED_IMPORTS:
                    return StaticVerdict(False, "rejected", f"line {line}: import of '{a.name}' is not allowed")
        elif isinstance(node, ast.ImportFrom):
            if node.level or node.module not in ALLOWED_IMPORTS:
                return StaticVerdict(False, "rejected", f"line {line}: import from '{node.module}' is not allowed")
            private = [a.name for a in node.names if a.name.startswith("_") and a.name not in _ALLOWED_PRIVATE]
            if private or any(a.name in _FORBIDDEN_NAMES for a in node.names):
                name = (private or [a.name for a in node.names if a.name in _FORBIDDEN_NAMES])[0]
                return StaticVerdict(False, "rejected", f"line {line}: import of {node.module}.{name} is not allowed")
            bad = [a.name for a in node.names if node.module == "cupy" and a.name not in _CUPY_NAMES]
            if bad:
                return StaticVerdict(False, "rejected", f"line {line}: cupy.{bad[0]} is not allowed (only RawKernel, "
                                                        "RawModule, cuda.ExternalStream and scalar types)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            return StaticVerdict(False, "rejected", f"line {line}: call to {node.func.id}() is not allowed")
        elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__loader__", "__spec__"):
            return StaticVerdict(False, "rejected", f"line {line}: use of {node.id} is not allowed")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr not in _ALLOWED_DUNDERS:
                return StaticVerdict(False, "rejected", f"line {line}: dunder attribute .{node.attr} is not allowed")
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in cupy and node.attr not in _CUPY_NAMES:
                return StaticVerdict(False, "rejected", f"line {line}: cupy.{node.attr} is not allowed (only RawKernel, "
                                                        "RawModule, cuda.ExternalStream and scalar types)")
            if isinstance(root, ast.Name) and root.id in modules and node.attr in _FORBIDDEN_NAMES:
                return StaticVerdict(False, "rejected", f"line {line}: {root.id}...{node.attr} is not allowed")
            if isinstance(root, ast.Name) and root.id in modules and node.attr.startswith("_") \
                    and node.attr not in _ALLOWED_PRIVATE:
                return StaticVerdict(False, "rejected", f"line {line}: private attribute {root.id}...{node.attr} "
                                                        "is not allowed")
            if isinstance(node.ctx, (ast.Store, ast.Del)) and isinstance(root, ast.Name) and root.id in modules:
                return StaticVerdict(False, "rejected", f"line {line}: assigning to an attribute of module "
                                                        f"'{root.id}' (monkeypatching) is not allowed")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            clash = [n for n in node.names if n in modules]
            if clash:
                return StaticVerdict(False, "rejected", f"line {line}: rebinding module name {clash[0]} is not allowed")
    why = _check_source_strings(tree)
    if why:
        return StaticVerdict(False, "rejected", why)
    if not any(isinstance(n, ast.ClassDef) and n.name == "ModelNew" for n in tree.body):
        return StaticVerdict(False, "invalid", "the candidate defines no top-level class ModelNew")
    return StaticVerdict(True)


# torch functions that allocate, view or copy: what a forward may call under either rule set.
_NON_COMPUTE_CALLS = {"empty", "empty_like", "empty_strided", "zeros", "zeros_like", "ones", "ones_like", "full",
                      "full_like", "tensor", "as_tensor", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze",
                      "transpose", "permute", "t", "narrow", "split", "chunk", "select", "as_strided", "device",
                      "Size", "no_grad", "is_tensor", "is_floating_point", "numel", "contiguous"}
_NON_COMPUTE_PREFIXES = ("cuda.", "backends.", "utils.", "nn.init.", "nn.Parameter", "nn.Module", "nn.ModuleList",
                         "nn.ModuleDict", "nn.ParameterList", "nn.ParameterDict", "nn.Identity", "Tensor", "dtype")


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def torch_compute_calls(source: str) -> list[str]:
    """PyTorch compute calls in ``ModelNew.forward`` that can be seen in the text ("line N: torch.matmul"):
    torch / torch.nn.functional functions beyond allocation and views, and nn compute modules built in
    ``__init__`` and called in forward. KernelBench's own checker lists such calls as warnings; the
    strict rules refuse them. Best effort (tensor methods are invisible here): the harness's op
    record of a real run is what verdicts rest on."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    aliases = {}  # local name -> canonical prefix ("torch", "torch.nn", "torch.nn.functional")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("torch"):
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torch"):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def canonical(call: ast.Call) -> str | None:
        name = _dotted(call.func)
        if not name or name.split(".")[0] not in aliases:
            return None
        head, _, rest = name.partition(".")
        full = aliases[head] + ("." + rest if rest else "")
        return full.removeprefix("torch.").replace("nn.functional.", "F.") if full.startswith("torch.") else None

    model = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ModelNew"), None)
    if model is None:
        return []
    methods = {f.name: f for f in model.body if isinstance(f, ast.FunctionDef)}
    modules = set()  # self.<attr> = nn.<ComputeModule>(...) in __init__
    for node in ast.walk(methods.get("__init__", ast.Module(body=[], type_ignores=[]))):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            name = canonical(node.value)
            if name and name.startswith("nn.") and not name.startswith(_NON_COMPUTE_PREFIXES):
                modules |= {t.attr for t in node.targets if isinstance(t, ast.Attribute)
                            and isinstance(t.value, ast.Name) and t.value.id == "self"}
    found = []
    for node in ast.walk(methods.get("forward", ast.Module(body=[], type_ignores=[]))):
        if not isinstance(node, ast.Call):
            continue
        name = canonical(node)
        if name and not name.startswith(_NON_COMPUTE_PREFIXES) and name.split(".")[-1] not in _NON_COMPUTE_CALLS:
            found.append(f"line {node.lineno}: {'torch.' if not name.startswith('F.') else ''}{name}")
        elif (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
              and node.func.value.id == "self" and node.func.attr in modules):
            found.append(f"line {node.lineno}: self.{node.func.attr} (an nn compute module)")
    return found
