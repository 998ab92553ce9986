"""npu: AMD AIE (NPU) kernels in NPUEval's format.

Correctness always comes from the host emulation (``harness.npu_eval``; capability ``emulated``).
If the real compiler is configured, each kernel is also compiled for the AIE with the flags
NPUEval uses, so a kernel the device compiler rejects fails with that compiler's errors
(capability ``compiled_only`` for that check), and its ``-S`` listing is analysed for the share of
VLIW bundles that use the vector slot (``harness.aie_asm``, a static measure). Running on an NPU (XRT, an IRON design, a hardware
trace for the real vector score) is not built here: ``hardware`` is never claimed.

Configuration (environment): ``PEANO_INSTALL_DIR`` (Peano / llvm-aie: ``bin/clang++``),
``MLIR_AIE_INCLUDE_DIR`` (mlir-aie's ``include`` with ``aie_api/``; or ``MLIR_AIE_INSTALL_DIR``
whose ``include`` is used), ``KERNELGEPA_AIE_TARGET`` (``aie2``, the default, or ``aie2p`` for NPU2).
``KERNELGEPA_AIE_IMAGE``: a Docker image holding the toolchain (e.g. one built from NPUEval's
Dockerfiles); the paths are then inside it, taken from the image's ENV where not set here, and each
compile runs in a fresh container without network (``harness.sandbox.docker_tool``).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.aie_asm import AsmSlots, analyse
from harness.backends.base import Backend
from harness.messages import trim_compiler_output

TARGETS = ("aie2", "aie2p")


@dataclass(frozen=True)
class AieToolchain:
    clang: Path
    include: Path
    target: str = "aie2"
    image: str | None = None  # Docker image holding the toolchain; then clang and include are paths inside it

    def compile_command(self, source: Path, output: Path, *, assembly: bool = False) -> list[str]:
        """NPUEval's kernel compile: Peano clang++ for the AIE target against mlir-aie's headers
        (``assembly``: the ``-S`` listing instead of the object, for the slot analysis)."""
        return [str(self.clang), "-O2", "-std=c++20", f"--target={self.target}-none-unknown-elf",
                "-I", str(self.include), "-S" if assembly else "-c", str(source), "-o", str(output)]

    @classmethod
    def from_env(cls, env=os.environ) -> "AieToolchain | None":
        """From PEANO_INSTALL_DIR and MLIR_AIE_INCLUDE_DIR (or MLIR_AIE_INSTALL_DIR/include) on this machine;
        with KERNELGEPA_AIE_IMAGE, inside that image, where the image's own ENV supplies unset paths."""
        image = env.get("KERNELGEPA_AIE_IMAGE") or None
        target = env.get("KERNELGEPA_AIE_TARGET", "aie2")
        if image:
            from harness.sandbox.docker_tool import image_env

            env = {**image_env(image), **{k: v for k, v in env.items() if k.startswith(("PEANO_", "MLIR_AIE_"))}}
        peano, include = env.get("PEANO_INSTALL_DIR"), env.get("MLIR_AIE_INCLUDE_DIR")
        if not include and env.get("MLIR_AIE_INSTALL_DIR"):
            include = str(Path(env["MLIR_AIE_INSTALL_DIR"]) / "include")
        if target not in TARGETS:
            return None
        if image:
            if not peano or not include:
                from harness.sandbox.client import SandboxStartError

                raise SandboxStartError(f"KERNELGEPA_AIE_IMAGE={image}: set PEANO_INSTALL_DIR and MLIR_AIE_INCLUDE_DIR "
                                        "(or MLIR_AIE_INSTALL_DIR) to where the image holds Peano and mlir-aie")
            return cls(Path(peano) / "bin" / "clang++", Path(include), target, image)
        if not peano or not include:
            return None
        clang = Path(peano) / "bin" / "clang++"
        return cls(clang, Path(include), target) if clang.is_file() and Path(include).is_dir() else None

    def compile(self, kernel_source: str, timeout_s: float = 120.0) -> DeviceCompile:
        """Compile one kernel for the device, isolated like every candidate build; when it compiles,
        also list its assembly and analyse which bundles use the vector slot."""
        with tempfile.TemporaryDirectory(prefix="kg-aie-") as d:
            src = Path(d) / "kernel.cc"
            src.write_text(kernel_source)
            ok, log = self._run(self.compile_command(src, Path(d) / "kernel.o"), d, timeout_s)
            if not ok:
                return DeviceCompile(False, log)
            listed, asm_log = self._run(self.compile_command(src, Path(d) / "kernel.s", assembly=True), d, timeout_s)
            asm = Path(d) / "kernel.s"
            slots = analyse(asm.read_text(errors="replace")) if listed and asm.is_file() else None
            return DeviceCompile(True, log, slots, None if listed else asm_log)

    def _run(self, cmd: list[str], workdir: str, timeout_s: float) -> tuple[bool, str]:
        if self.image:
            from harness.sandbox.docker_tool import run_tool

            run = run_tool(self.image, cmd, workdir, timeout_s=timeout_s, host_paths=(self.clang.parents[1], self.include))
            if run.returncode is None:
                return False, f"{cmd[0]}: compile timed out after {timeout_s:.0f}s"
            return run.returncode == 0, trim_compiler_output(run.output)
        from harness.sandbox.isolation import run_compiler

        run = run_compiler(cmd, workdir, timeout_s=timeout_s, ro_paths=(self.clang.parents[1], self.include))
        return run.ok, trim_compiler_output(run.output)


@dataclass(frozen=True)
class DeviceCompile:
    """The device compiler's verdict; ``slots``: the assembly's vector-slot analysis (None if no listing)."""
    ok: bool
    log: str
    slots: AsmSlots | None = None
    listing_error: str | None = None


class NpuBackend(Backend):
    name = "npu"
    device_type = "cpu"  # the emulation runs on the host CPU

    def __init__(self, toolchain: AieToolchain | None = None):
        self.toolchain = toolchain if toolchain is not None else AieToolchain.from_env()

    def device_name(self, device: str) -> str:
        tc = self.toolchain
        where = f" in {tc.image}" if tc and tc.image else ""
        real = f"; AIE compiler {tc.clang}{where} ({tc.target})" if tc else ""
        return f"host AIE emulation{real}"
