"""Text every backend shares: the rules in force, the construction contract, manual sections, what
to ask after each verdict, and the character budget that trims the least useful parts first."""
from __future__ import annotations

from dataclasses import dataclass, replace

# forward of the cpu and cuda examples: the native route's library called with tensors
NATIVE_MODELNEW = """
class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        y = torch.empty_like(a)
        _lib.sqdiff(a, b, y, a.numel())
        return y
"""

SYSTEM = "You are an expert performance engineer who writes fast, correct kernels."


# ---- the rules a candidate must follow (one function per rule set; `rules_text` picks one) -------------
def _strict_forward(ops: str) -> str:
    return ("- forward must compute with your own kernels (--rules strict). The only PyTorch ops it may dispatch "
            f"allocate, view or copy: {ops}. Any other op in forward (torch.matmul, F.relu, x + y, x.sum(), "
            "nn.Linear(...)(x), ...) is rejected. The constructor may use torch and nn freely.\n")


def _kernelbench_forward(ops: str) -> str:
    return ("- forward may keep PyTorch compute ops (KernelBench's rules: e.g. keep a library convolution or "
            "GEMM and fuse everything after it into one kernel of yours), but your kernels must do real work: a "
            "forward that still dispatches every compute op of the reference, or whose result stays correct "
            "when your kernels' outputs are perturbed (a decorative kernel), is rejected. Ops that only "
            f"allocate, view or copy ({ops}) never count. Pure custom kernels are reported apart.\n")


def _harness_rules(backend: str, forward) -> str:
    """The rules this project's harness enforces on KernelBench-format candidates (static checks in the
    parent, op recording and output checks in the sandboxed child); ``forward`` words the rule set's
    one difference: what forward may compute with PyTorch."""
    from harness.config import DEFAULT_ALLOWED_OPS
    from harness.static_checks import ALLOWED_IMPORTS

    ops = ", ".join(sorted(o.removeprefix("aten::") for o in DEFAULT_ALLOWED_OPS))
    imports = ", ".join(i for i in ALLOWED_IMPORTS if i not in ("__future__", "typing", "functools", "dataclasses"))
    return (
        "Rules (checked by the harness; breaking one makes the kernel `rejected`, score 0):\n"
        + forward(ops) +
        "- No NumPy in forward (no .numpy() or np.asarray of tensors), and no calls from C++ into PyTorch's own "
        "kernels below the dispatcher (at::native::, at::cpu::, at::cuda::<op>).\n"
        "- Do not modify the input tensors in place, and do not return an input or a view of one: return new "
        "tensors (plain, strided, on the run's device) with the reference's shapes and dtypes.\n"
        "- Fresh memory is poisoned (torch.empty returns garbage or NaN): write every output element.\n"
        "- All work must be finished or queued on torch's current stream when forward returns (no other "
        "streams or threads still writing).\n"
        f"- Imports allowed: {imports} (and typing, functools, dataclasses, __future__); nothing else.\n"
        "- Not allowed anywhere: exec, eval, compile, open, getattr/setattr/delattr, globals/locals/vars, "
        "__import__, dunder attributes other than __init__/__name__/__doc__, private (_name) attributes of "
        "modules, assigning to a module's attributes, threads, file/process/network I/O.\n"
        "- Kernel source strings may not include thread, process, file or socket headers, include files by "
        "path, call fopen/system/getenv/fork/dlopen/mmap or similar, or name /proc, /dev, /etc, /home."
        + ("\n- cupy: only RawKernel, RawModule, cuda.ExternalStream and scalar types (cupy.int64, ...); no "
           "cupy array functions." if backend == "cupy" else ""))


def _npu_rules(backend: str) -> str:
    return ("Rules (checked by the harness; breaking one makes the kernel `rejected`, score 0):\n"
            "- One C++ source: the prompt's includes and the function with exactly its signature; no main, "
            "no wrapper, no host headers, no inline assembly.\n"
            "- Do not refer to the host emulation's internals (names containing aie_emu, detail_emu, "
            "__sanitizer_, kg_npu_), directly or through macros.\n"
            "- The kernel source may not do I/O, read the environment, start threads or include files by path.")


RULE_SETS = {"kernelbench": lambda backend: _harness_rules(backend, _kernelbench_forward),
             "strict": lambda backend: _harness_rules(backend, _strict_forward)}


def rules_text(backend: str, rules: str = "kernelbench") -> str:
    """The rules in force for a backend under a named rule set (a later `rules` option switches it)."""
    if backend == "npu":
        return _npu_rules(backend)
    return RULE_SETS[rules](backend)


CONTRACT = ("Construction: the harness calls torch.manual_seed(S), builds Model(*get_init_inputs()), then "
            "torch.manual_seed(S) again and builds ModelNew(*get_init_inputs()) with the same S, and moves it "
            "to the device. ModelNew gets the same weights only if its constructor creates the same parameters "
            "in the same order with the same shapes and the same random draws: keep Model's __init__ as it "
            "is (nn.Linear, nn.Conv2d, ... may be kept as holders of weights) and read their tensors in "
            "forward (e.g. self.linear.weight), without calling those modules there.")


# ---- manual sections, verdict-specific asks -----------------------------------------------------------
def manual_text(sections: list[dict]) -> str:
    return "\n\n".join(f"[{m['id']}] {m['title']} ({m['source']})\n{m['text']}" for m in sections)


def next_step(status: str) -> str:
    """What to ask of the writer after a verdict: only a failed kernel has a problem to fix."""
    return {
        "ok": "It is correct. Make it faster without breaking correctness.",
        "compiled_only": ("It compiled, but this machine cannot run it, so its correctness and speed are "
                          "unknown: there is no error to fix. Check it against the reference and make it "
                          "faster where you can without risking correctness."),
        "interpreted": ("It is correct under the Triton interpreter (no GPU here, so not timed): there is no "
                        "error to fix. Improve what will matter on a GPU (memory access, fusion, block sizes) "
                        "without breaking correctness."),
    }.get(status, "Fix the problem above.")


# ---- the character budget -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One block of a prompt. ``drop`` 0: always kept; higher numbers are dropped first when the prompt
    is over budget; ``short`` is tried (and named as shortened) before dropping."""
    name: str
    text: str
    drop: int = 0
    short: str | None = None


def assemble(parts: list[Part], budget: int, sep: str = "\n\n") -> str:
    """Join parts; over ``budget`` characters, trim the least useful ones (highest ``drop``, later parts
    first among equals): first each is shortened (or dropped if it has no short form), then the
    shortened ones are dropped too; the prompt says which. Parts with ``drop`` 0 are always kept."""
    cur = [p for p in parts if p.text.strip()]
    order = sorted((i for i, p in enumerate(cur) if p.drop), key=lambda i: (-cur[i].drop, -i))
    how: dict[int, str] = {}
    for final in (False, True):
        for i in order:
            if _length(cur, sep) <= budget:
                break
            p = cur[i]
            if not final and p.short is not None and len(p.short) < len(p.text):
                cur[i], how[i] = replace(p, text=p.short, short=None), "shortened"
            elif p.text and (final or i not in how):
                cur[i], how[i] = replace(p, text=""), "left out"
    text = sep.join(p.text for p in cur if p.text)
    if how:
        trimmed = "; ".join(f"{cur[i].name} ({how[i]})" for i in order if i in how)
        text += f"{sep}[Trimmed to fit this prompt's {budget}-character budget: {trimmed}.]"
    return text


def _length(parts: list[Part], sep: str) -> int:
    texts = [p.text for p in parts if p.text]
    return sum(map(len, texts)) + len(sep) * max(len(texts) - 1, 0)
