"""AIE host-emulation role: call an emulated NPUEval kernel once on its test vectors.

The parent built the kernel (``aie_host`` build) and put each argument's bytes (base64) in the job.
Here every buffer gets a guard zone after it; after the call, each buffer *with* its guard zone
is written to ``out/<i>.bin``, so the parent can both read the output and see writes past an end.
The output buffer starts poisoned, so elements the kernel never writes do not pass by luck.
The child reports nothing it judges itself except the emulation's counters (an estimate input).

Liveness: only vector work that reaches the output counts toward the estimate. After the judged
run, the kernel runs again once per vector op (all of them up to ``LIVENESS_OPS``, else that many
drawn at random) with that op's result perturbed; an op whose perturbation leaves the output bytes
unchanged did work that was discarded. Every run starts from the same state: the kernel library's
writable memory (its static variables and the emulation's counters) and the buffers are restored first.
"""
from __future__ import annotations

import base64
import ctypes
import json
import os
import random
import signal
from pathlib import Path

GUARD_BYTES = 64
GUARD_BYTE = 0xA5
POISON_BYTE = 0x7F  # int8 127, bfloat16 ~3.4e38, float32 ~3.4e38: all visible as wrong


LIVENESS_OPS = 256
ABLATION_S = 5  # per perturbed run: one that loops is killed, and its op counts as reaching the output


def _writable_segments(artifact: str) -> list[tuple[int, int]]:
    """(address, size) of the loaded library's writable mappings, its .bss included (the anonymous
    mapping right after its last file-backed one)."""
    ino = os.stat(artifact).st_ino
    out, last_end = [], None
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            ours = len(parts) >= 6 and int(parts[4]) == ino and os.path.realpath(parts[5]) == os.path.realpath(artifact)
            if ours or (last_end == lo and len(parts) == 5):
                if parts[1].startswith("rw"):
                    out.append((lo, hi - lo))
                last_end = hi if ours else None
            else:
                last_end = None
    return out


def run_aie_host(job: dict, jd: Path, markers) -> dict:
    lib = ctypes.CDLL(job["artifact"])
    buffers, initial = [], []
    for arg in job["args"]:
        data = base64.b64decode(arg["data"])
        guard = 0 if arg["role"] == "rtp" else GUARD_BYTES
        if arg["role"] == "output":
            data = bytes([POISON_BYTE]) * len(data)
        initial.append(data + bytes([GUARD_BYTE]) * guard)
        buffers.append(ctypes.create_string_buffer(initial[-1], len(initial[-1])))
    argv = (ctypes.c_void_p * len(buffers))(*[ctypes.addressof(b) for b in buffers])
    lib.kg_npu_entry.restype = None
    lib.kg_npu_entry.argtypes = [ctypes.c_void_p]
    lib.kg_npu_ablate.restype = None
    lib.kg_npu_ablate.argtypes = [ctypes.c_longlong]
    lib.kg_npu_stats.restype = ctypes.c_int
    segments = _writable_segments(job["artifact"])
    saved = [ctypes.string_at(addr, size) for addr, size in segments]

    def call(ordinal: int) -> dict | None:
        for (addr, size), data in zip(segments, saved):
            ctypes.memmove(addr, data, size)
        for buf, data in zip(buffers, initial):
            ctypes.memmove(buf, data, len(data))
        lib.kg_npu_ablate(ordinal)
        lib.kg_npu_entry(argv)
        text = ctypes.create_string_buffer(8192)
        lib.kg_npu_stats(text, len(text))
        try:
            return json.loads(text.value.decode(errors="replace"))
        except ValueError:
            return None

    markers.enter("run")
    stats = call(-1)
    markers.enter("report")
    out = jd / "out"
    out.mkdir(exist_ok=True)
    for i, buf in enumerate(buffers):
        (out / f"{i}.bin").write_bytes(buf.raw)
    result: dict = {"stats": stats}
    outputs = [b for b, arg in zip(buffers, job["args"]) if arg["role"] == "output"]
    if stats and outputs:
        markers.enter("liveness")
        result["liveness"] = _liveness(call, outputs[0], int(stats.get("vector_ops", 0)))
    return result


def _liveness(call, output, n_ops: int) -> dict:
    """How many of the vector ops' issue slots reach ``output`` (see the module docstring). The runs
    happen in a forked child: a perturbed value that crashes the kernel or makes it loop (an index, a
    trip count) counts that op as reaching the output, and the next child goes on after it."""
    base = output.raw
    todo = list(range(n_ops)) if n_ops <= LIVENESS_OPS else sorted(random.SystemRandom().sample(range(n_ops), LIVENESS_OPS))
    tested = live = 0
    stable = True
    while todo:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # never returns
            try:
                os.close(r)
                for k in todo:
                    signal.alarm(ABLATION_S)
                    slots = int((call(k) or {}).get("ablated_slots", 0))
                    os.write(w, f"{slots} {int(output.raw != base)}\n".encode())
                call(-1)  # unperturbed again: the same output, or the kernel does not behave the same every run
                os.write(w, f"stable {int(output.raw == base)}\n".encode())
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            lines = f.read().decode().split()
        os.waitpid(pid, 0)
        pairs = [(int(a), int(b)) for a, b in zip(lines[0::2], lines[1::2]) if a != "stable"]
        for slots, changed in pairs:
            tested, live = tested + slots, live + slots * changed
        if "stable" in lines:
            stable = lines[-1] == "1"
            break
        tested, live = tested + 1, live + 1  # the op the child died on: its result mattered
        todo = todo[len(pairs) + 1:]
    return {"vector_ops": n_ops, "tested_ops": n_ops if n_ops <= LIVENESS_OPS else LIVENESS_OPS,
            "tested_slots": tested, "live_slots": live, "stable": stable}
