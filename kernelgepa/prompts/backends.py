"""The per-backend prompt parts (SEED, FORMAT, ROUTES), one module each."""
from __future__ import annotations

import importlib
from types import ModuleType

NAMES = ("cpu", "cuda", "triton", "cupy", "npu")


def get(backend: str) -> ModuleType:
    """The backend's prompt module (an unknown name gets cpu's, as before)."""
    return importlib.import_module(f"kernelgepa.prompts.{backend if backend in NAMES else 'cpu'}")
