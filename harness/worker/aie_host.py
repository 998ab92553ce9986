"""AIE host-emulation role: call an emulated NPUEval kernel once on its test vectors.

The parent built the kernel (``aie_host`` build) and put each argument's bytes (base64) in the job.
Here every buffer gets a guard zone after it; after the call, each buffer *with* its guard zone
is written to ``out/<i>.bin``, so the parent can both read the output and see writes past an end.
The output buffer starts poisoned, so elements the kernel never writes do not pass by luck.
The child reports nothing it judges itself except the emulation's counters (an estimate input).
"""
from __future__ import annotations

import base64
import ctypes
import json
from pathlib import Path

GUARD_BYTES = 64
GUARD_BYTE = 0xA5
POISON_BYTE = 0x7F  # int8 127, bfloat16 ~3.4e38, float32 ~3.4e38: all visible as wrong


def run_aie_host(job: dict, jd: Path, markers) -> dict:
    lib = ctypes.CDLL(job["artifact"])
    buffers = []
    for arg in job["args"]:
        data = base64.b64decode(arg["data"])
        guard = 0 if arg["role"] == "rtp" else GUARD_BYTES
        if arg["role"] == "output":
            data = bytes([POISON_BYTE]) * len(data)
        buf = ctypes.create_string_buffer(data + bytes([GUARD_BYTE]) * guard, len(data) + guard)
        buffers.append(buf)
    argv = (ctypes.c_void_p * len(buffers))(*[ctypes.addressof(b) for b in buffers])
    lib.kg_npu_entry.restype = None
    lib.kg_npu_entry.argtypes = [ctypes.c_void_p]
    markers.enter("run")
    lib.kg_npu_entry(argv)
    markers.enter("report")
    out = jd / "out"
    out.mkdir(exist_ok=True)
    for i, buf in enumerate(buffers):
        (out / f"{i}.bin").write_bytes(buf.raw)
    text = ctypes.create_string_buffer(8192)
    lib.kg_npu_stats.restype = ctypes.c_int
    lib.kg_npu_stats(text, len(text))
    try:
        stats = json.loads(text.value.decode(errors="replace"))
    except ValueError:
        stats = None
    return {"stats": stats}
