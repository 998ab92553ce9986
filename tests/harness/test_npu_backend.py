"""The real-toolchain hook, exercised with a stand-in compiler script (Peano is not installable here)."""
import shutil
import stat
from pathlib import Path

from harness.backends import get_backend
from harness.backends.npu import AieToolchain, NpuBackend
from harness.result import Status
from harness.sandbox.isolation import run_compiler
from kernelgepa.feedback import result_feedback

FAKE_CLANG = """#!/bin/sh
# Stand-in for Peano's clang++: records its arguments, fails on sources containing BAD; with -S it
# writes the hand-written listing tests/harness/data/aie2_kernels.s as the assembly.
{ echo "$@" >> "$(dirname "$0")/args.txt"; } 2>/dev/null  # (read-only to the compile: not written)
echo "$@"
for a in "$@"; do case "$a" in *.cc) src="$a";; esac; case "$prev" in -o) out="$a";; esac; prev="$a"; done
if grep -q SLEEP "$src"; then sleep 60; fi
if grep -q BAD "$src"; then echo "kernel.cc:3:5: error: no matching function for call to 'BAD'" >&2; exit 1; fi
case " $* " in *" -S "*) cp "$(dirname "$0")/listing.s" "$out";; esac
exit 0
"""


def _toolchain(tmp_path, target="aie2"):
    peano = tmp_path / "peano"
    (peano / "bin").mkdir(parents=True)
    clang = peano / "bin" / "clang++"
    clang.write_text(FAKE_CLANG)
    clang.chmod(clang.stat().st_mode | stat.S_IEXEC)
    shutil.copy(Path(__file__).parent / "data" / "aie2_kernels.s", peano / "bin" / "listing.s")
    include = tmp_path / "mlir_aie" / "include"
    include.mkdir(parents=True)
    env = {"PEANO_INSTALL_DIR": str(peano), "MLIR_AIE_INSTALL_DIR": str(tmp_path / "mlir_aie"),
           "KERNELGEPA_AIE_TARGET": target}
    return AieToolchain.from_env(env), peano


def test_toolchain_from_env_needs_both_paths_and_a_known_target(tmp_path):
    tc, _ = _toolchain(tmp_path, "aie2p")
    assert tc is not None and tc.target == "aie2p" and tc.include == tmp_path / "mlir_aie" / "include"
    assert AieToolchain.from_env({"PEANO_INSTALL_DIR": str(tmp_path / "peano")}) is None
    assert AieToolchain.from_env({}) is None
    _, peano = _toolchain(tmp_path / "x", "aie9")
    assert AieToolchain.from_env({"PEANO_INSTALL_DIR": str(peano), "MLIR_AIE_INCLUDE_DIR": str(tmp_path),
                                  "KERNELGEPA_AIE_TARGET": "aie9"}) is None
    assert isinstance(get_backend("npu"), NpuBackend)


def test_device_compile_uses_npueval_flags_and_its_errors_fail_the_kernel(tmp_path, example_tasks, npu_eval, sandbox):
    tc, peano = _toolchain(tmp_path)
    device = tc.compile("int main() {}")
    assert not (peano / "bin" / "args.txt").exists()  # the toolchain's folder is read-only to the compile
    src = tmp_path / "kernel.cc"
    src.write_text("int main() {}")
    obj, asm = [run_compiler(tc.compile_command(src, tmp_path / out, assembly=out.endswith(".s")), tmp_path,
                             timeout_s=60, ro_paths=(peano, tc.include)).stdout.split() for out in ("k.o", "kernel.s")]
    assert device.ok and obj[:3] == ["-O2", "-std=c++20", "--target=aie2-none-unknown-elf"]
    assert obj[obj.index("-I") + 1] == str(tc.include) and "-c" in obj
    assert asm == [a if a != "-c" else "-S" for a in obj[:-1]] + [asm[-1]] and asm[-1].endswith("kernel.s")
    assert device.slots.vector_bundles == 2 and device.slots.bundles == 22
    task = example_tasks["add_saturate_int8"]
    npu_eval.backend.toolchain = tc
    try:
        good = npu_eval.evaluate_source(task, task.canonical_source, sandbox)
        bad = npu_eval.evaluate_source(task, task.canonical_source + "\n// BAD\n", sandbox)
    finally:
        npu_eval.backend.toolchain = None
    assert good.status == Status.OK and good.capability == "emulated" and "also compiled for aie2" in good.warnings[0]
    assert good.resources[1]["vector_bundles"] == 2 and "V slot used in 2/9 bundles" in good.profile
    text = result_feedback(good.to_dict())
    assert "static assembly analysis" in text and "ptxas" not in text
    assert bad.status == Status.COMPILE_ERROR and bad.capability == "compiled_only"
    assert "AIE compiler (aie2): kernel.cc:3:5: error" in bad.error


def test_toolchain_in_a_docker_image_compiles_in_a_container(tmp_path, docker_image):
    from harness.sandbox.client import SandboxStartError

    _, peano = _toolchain(tmp_path)
    tc = AieToolchain.from_env({"KERNELGEPA_AIE_IMAGE": docker_image, "PEANO_INSTALL_DIR": str(peano),
                                "MLIR_AIE_INSTALL_DIR": str(tmp_path / "mlir_aie")})
    assert tc.image == docker_image and tc.clang == peano / "bin" / "clang++"
    (peano / "bin" / "args.txt").unlink(missing_ok=True)
    good = tc.compile("int main() {}")
    assert good.ok and good.slots is not None and good.slots.vector_bundles == 2
    assert not (peano / "bin" / "args.txt").exists()  # the toolchain's folder is read-only in there
    bad = tc.compile("// BAD")
    assert not bad.ok and "kernel.cc:3:5: error: no matching function" in bad.log
    slow = tc.compile("// SLEEP", timeout_s=3)
    assert not slow.ok and "timed out after 3s" in slow.log
    try:
        AieToolchain.from_env({"KERNELGEPA_AIE_IMAGE": docker_image})  # the image says nothing about Peano
        raise AssertionError("expected a one-line error")
    except SandboxStartError as e:
        assert "PEANO_INSTALL_DIR" in str(e) and "\n" not in str(e)
