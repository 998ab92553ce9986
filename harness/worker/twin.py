"""The task's reference Model inside the candidate's process, timed in alternation with the candidate.

It is built before the candidate is imported, together with a record of torch's functions and
settings; it is used only if nothing in that record changed by the time timing starts (a candidate
that patches torch or lowers the thread count could otherwise slow the reference and inflate its
speedup). When something did change, the parent falls back to the separately measured baseline.
"""
from __future__ import annotations


import torch
import torch.nn.functional

_NAMESPACES = (torch, torch.nn.functional, torch.Tensor, torch._C.TensorBase, torch.nn.Module, torch.linalg,
               torch.fft, torch.special)


def _settings() -> dict:
    b = torch.backends
    return {"threads": torch.get_num_threads(), "interop": torch.get_num_interop_threads(),
            "mkldnn": b.mkldnn.enabled, "cudnn": b.cudnn.enabled, "cudnn_benchmark": b.cudnn.benchmark,
            "tf32": b.cuda.matmul.allow_tf32, "precision": torch.get_float32_matmul_precision(),
            "deterministic": torch.are_deterministic_algorithms_enabled(), "default_dtype": torch.get_default_dtype()}


def _functions(namespaces) -> dict[str, int]:
    return {f"{getattr(ns, '__name__', ns)}.{k}": id(v) for ns in namespaces for k, v in list(vars(ns).items())}


def _instances(model: torch.nn.Module) -> list:
    return [(id(m), sorted((k, id(v)) for k, v in vars(m).items()), [id(p) for p in m._parameters.values()],
             [id(b) for b in m._buffers.values()]) for m in model.modules()]


class ReferenceTwin:
    def __init__(self, job: dict, mod):
        """``mod``: the task's module, executed before any candidate code (harness.worker.inputs.task_module)."""
        torch.manual_seed(job["model_seed"])
        self.model = mod.Model(*mod.get_init_inputs())
        self._classes = {c for m in self.model.modules() for c in type(m).__mro__ if c is not object}
        self._functions = _functions((*_NAMESPACES, *self._classes))
        self._settings = _settings()

    def to(self, device: torch.device) -> "ReferenceTwin":
        self.model = self.model.to(device)
        self._instances = _instances(self.model)
        return self

    def tampering(self) -> list[str]:
        """What changed since the twin was built (empty: the reference runs as in its own process)."""
        now = _functions((*_NAMESPACES, *self._classes))
        changed = sorted(k for k in self._functions.keys() | now.keys() if self._functions.get(k) != now.get(k))
        settings = _settings()
        changed += sorted(f"setting {k}" for k in settings if settings[k] != self._settings[k])
        if _instances(self.model) != self._instances:
            changed.append("the reference model's modules or parameters")
        return changed

    def __call__(self, *args):
        return self.model(*args)
