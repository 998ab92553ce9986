"""Compile candidate kernel sources outside the candidate's process, with a content-hash cache.

Five request kinds:
  * ``cpp``  - plain C++ (no torch headers), g++ -> shared library, called through ctypes (fast route);
  * ``cuda`` - plain CUDA C++ (no torch headers), nvcc -> shared library (fast route);
  * ``load_inline`` - torch.utils.cpp_extension.load_inline sources, built the way torch builds them;
  * ``nvrtc`` - CuPy RawKernel/RawModule sources, NVRTC -> cubin (``harness/nvrtc.py``).
  * ``aie_host`` - an AIE kernel unit (``npueval_tasks.host``) against the host AIE emulation headers.

The compiler runs in an isolated child (see ``sandbox.isolation``) because candidate sources are
untrusted: an ``#include`` of a secret file must not leak into error messages.
The cache is safe across processes: builds happen in a private temp dir, the artifact is moved
into place atomically, and a per-key file lock makes concurrent builders wait instead of redoing work.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import sysconfig
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.cache import BoundedCache, write_error
from harness.integrity import discard_unless_verified, seal
from harness.messages import parse_ptxas, trim_compiler_output
from harness.symbols import check_artifact

ARG_TYPES = ("ptr", "int32", "int64", "float32", "float64", "stream")

# Flags a candidate may add. Anything that could read files (-I, -include, @file, -fplugin) is refused.
_SAFE_FLAG = re.compile(
    r"^(-O[0-3s]|-Ofast|-g|-w|-Wall|-Wextra|-march=[\w.-]+|-mtune=[\w.-]+|-m[a-z0-9][\w.-]*"
    r"|-f(?!plugin)[a-z0-9][\w.+=-]*|-D[A-Za-z_]\w*(=[\w.+-]*)?|-U[A-Za-z_]\w*|-std=(c|gnu)\+\+\d\d"
    r"|--use_fast_math|-use_fast_math|-lineinfo|--expt-relaxed-constexpr|--expt-extended-lambda"
    r"|-Xptxas=-?[\w,=.-]+|-arch=(sm|compute)_\d+a?|-gencode=[\w,=]+|-maxrregcount=\d+|--ftz=(true|false)"
    r"|--prec-div=(true|false)|--prec-sqrt=(true|false)|--fmad=(true|false)|-lgomp|-fopenmp)$"
)


class BuildError(Exception):
    """A request that cannot be built as asked (bad flags, unknown kind): not a compiler error."""


@dataclass(frozen=True)
class BuildRequest:
    kind: str  # "cpp" | "cuda" | "load_inline" | "nvrtc" | "aie_host"
    name: str
    sources: tuple[str, ...] = ()
    cuda_sources: tuple[str, ...] = ()
    functions: tuple = ()  # cpp/cuda: ((fname, (argtype, ...)), ...); load_inline: (fname, ...)
    extra_cflags: tuple[str, ...] = ()
    extra_cuda_cflags: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:24]

    @property
    def needs_cuda(self) -> bool:
        return self.kind in ("cuda", "nvrtc") or bool(self.cuda_sources)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "BuildRequest":
        fns = tuple(
            (f[0], tuple(f[1])) if isinstance(f, (list, tuple)) else f for f in d.get("functions", ())
        )
        return cls(
            kind=str(d["kind"]), name=str(d["name"]), sources=tuple(d.get("sources", ())),
            cuda_sources=tuple(d.get("cuda_sources", ())), functions=fns,
            extra_cflags=tuple(d.get("extra_cflags", ())),
            extra_cuda_cflags=tuple(d.get("extra_cuda_cflags", ())),
        )


@dataclass
class BuildResult:
    ok: bool
    artifact: str | None
    log: str = ""
    seconds: float = 0.0
    cached: bool = False
    linked: bool = True
    resources: list[dict] = field(default_factory=list)
    refusal: str | None = None  # why the linked artifact may not be loaded (harness.symbols), checked once at build


def _check_flags(flags: tuple[str, ...]) -> None:
    for f in flags:
        if not _SAFE_FLAG.match(f):
            raise BuildError(f"compiler flag not allowed: {f!r}")


def _pybind_stub(functions: tuple) -> str:
    defs = "\n".join(f'  m.def("{f}", &{f}, "{f}");' for f in functions)
    return f"\nPYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {{\n{defs}\n}}\n"


class Builder:
    """Builds requests into ``cache_dir/<key>/``; ``link_cuda=False`` means compile-only for CUDA."""

    def __init__(self, cache_dir: Path, *, cuda_arch: str = "sm_90", link_cuda: bool = True,
                 timeout_s: float = 900.0, isolate: bool = True):
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.cache_dir, 0o755)
        self.cuda_arch = cuda_arch
        self.link_cuda = link_cuda
        self.timeout_s = timeout_s
        self.isolate = isolate
        self._store = BoundedCache(self.cache_dir.parent)
        self._store.section(self.cache_dir.name)
        from harness.sandbox.isolation import tool

        for compiler in ("g++", "nvcc"):  # absolute paths fixed before any candidate asks for a build
            tool(compiler)

    def entry_key(self, req: BuildRequest) -> str:
        """The cache key: the request plus what changes its artifact on this builder (GPU arch, and
        whether CUDA code is linked or compile-only), so a compile-only entry is never served as runnable."""
        if not req.needs_cuda:
            return req.key
        blob = json.dumps({"request": req.key, "arch": self.cuda_arch, "linked": self.link_cuda}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    # ---- public -------------------------------------------------------------------------
    def build(self, req: BuildRequest) -> BuildResult:
        _check_flags(req.extra_cflags + req.extra_cuda_cflags)
        if req.kind not in ("cpp", "cuda", "load_inline", "nvrtc", "aie_host"):
            raise BuildError(f"unknown build kind {req.kind!r}")
        if not re.fullmatch(r"[A-Za-z_]\w{0,63}", req.name):
            raise BuildError(f"extension name must be a C identifier: {req.name!r}")
        key = self.entry_key(req)
        final = self.cache_dir / key
        linked = self.link_cuda or not req.needs_cuda
        hit = self._cached(final)
        if hit:
            return hit
        lock_path = self.cache_dir / f"{key}.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process building the same key: wait for it
            hit = self._cached(final)
            if hit:
                return hit
            t0 = time.perf_counter()
            tmp = self._store.stage(self.cache_dir.name)  # same folder as the entry: the rename is atomic
            try:
                ok, log = self._compile(req, tmp, linked)
                seconds = time.perf_counter() - t0
                art = tmp / _artifact_name(req)
                meta = {"ok": ok, "log": log, "seconds": seconds, "linked": linked, "artifact": art.name,
                        "refusal": check_artifact(str(art)) if ok and linked and art.exists() else None,
                        "arch": self.cuda_arch if req.needs_cuda else None,
                        "resources": parse_ptxas(log) if req.needs_cuda else []}
                (tmp / "meta.json").write_text(json.dumps(meta))
                seal(tmp)  # the hash of every file; owned by us, read-only to others
            except OSError as e:
                shutil.rmtree(tmp, ignore_errors=True)
                raise write_error(self.cache_dir, e) from None
            self._store.install(tmp, final, replace=True)  # we hold the key's lock: what is there is stale
        res = self._cached(final)
        res.cached = False
        return res

    # ---- internals ----------------------------------------------------------------------
    def _cached(self, final: Path) -> BuildResult | None:
        if not discard_unless_verified(final):  # a tampered entry is rebuilt, never loaded
            return None
        try:
            meta = json.loads((final / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        self._store.touch(final)
        art = final / meta.get("artifact", "lib.so")
        artifact = str(art) if meta["ok"] and art.exists() else None
        # entries sealed before the symbol check was stored with them are checked on every read
        refusal = meta["refusal"] if "refusal" in meta else (
            check_artifact(artifact) if artifact and meta["linked"] else None)
        return BuildResult(ok=meta["ok"], artifact=artifact, log=meta["log"], seconds=meta["seconds"], cached=True,
                           linked=meta["linked"], resources=meta["resources"], refusal=refusal)

    def _compile(self, req: BuildRequest, d: Path, linked: bool) -> tuple[bool, str]:
        if req.kind == "cpp":
            src = d / f"{req.name}.cpp"
            src.write_text("\n".join(req.sources))
            cmds = [["g++", "-O3", "-march=native", "-fopenmp", "-std=c++17", "-shared", "-fPIC",
                     *req.extra_cflags, src.name, "-o", "lib.so"]]
        elif req.kind == "aie_host":
            from npueval_tasks.host import INCLUDE_DIR

            src = d / f"{req.name}.cpp"
            src.write_text("\n".join(req.sources))
            # -O1 -fno-inline: the emulation stays out of the kernel's instrumented basic blocks.
            cmds = [["g++", "-std=c++20", "-O1", "-fno-inline", "-fsanitize-coverage=trace-pc", "-ffp-contract=off",
                     "-shared", "-fPIC", "-I", str(INCLUDE_DIR), *req.extra_cflags, src.name, "-o", "lib.so"]]
        elif req.kind == "cuda":
            src = d / f"{req.name}.cu"
            src.write_text("\n".join(req.sources))
            out = ["-o", "lib.so"] if linked else ["-c", "-o", "lib.o"]
            cmds = [["nvcc", "-O3", "-std=c++17", f"-arch={self.cuda_arch}", "-Xptxas", "-v",
                     "-Xcompiler", "-fPIC", *(["-shared"] if linked else []),
                     *req.extra_cuda_cflags, src.name, *out]]
        elif req.kind == "nvrtc":
            src = d / f"{req.name}.cu"
            src.write_text("\n".join(req.sources))
            cmds = [[sys.executable, str(Path(__file__).with_name("nvrtc.py")), src.name, _artifact_name(req),
                     self.cuda_arch, "--ptxas-options=-v", *req.extra_cuda_cflags]]
        else:
            cmds = self._load_inline_cmds(req, d, linked)
        logs = []
        for cmd in cmds:
            ok, out = self._run(cmd, d)
            logs.append(out)
            if not ok:
                return False, trim_compiler_output("\n".join(logs))
        if not linked and (d / "lib.so").exists():
            (d / "lib.so").unlink()
        return True, trim_compiler_output("\n".join(logs), keep_ptxas=True)

    def _load_inline_cmds(self, req: BuildRequest, d: Path, linked: bool) -> list[list[str]]:
        from torch.utils import cpp_extension as ce
        import torch

        cuda = bool(req.cuda_sources)
        incs = ce.include_paths("cuda" if cuda and linked else "cpu")
        incs.append(sysconfig.get_path("include", scheme="posix_prefix"))
        common = [f"-DTORCH_EXTENSION_NAME={req.name}", "-DTORCH_API_INCLUDE_EXTENSION_H",
                  f"-D_GLIBCXX_USE_CXX11_ABI={int(torch._C._GLIBCXX_USE_CXX11_ABI)}"]
        for inc in incs:
            common += ["-isystem", inc]
        cpp = d / "main.cpp"
        cpp.write_text("#include <torch/extension.h>\n" + "\n".join(req.sources) + _pybind_stub(req.functions))
        cmds = [["g++", "-c", *common, "-fPIC", "-std=c++20", *req.extra_cflags, cpp.name, "-o", "main.o"]]
        objs = ["main.o"]
        if cuda:
            cu = d / "cuda.cu"
            cu.write_text("#include <torch/types.h>\n#include <cuda.h>\n#include <cuda_runtime.h>\n"
                          + "\n".join(req.cuda_sources))
            nvcc_flags = list(getattr(ce, "COMMON_NVCC_FLAGS", []))
            cmds.append(["nvcc", "-c", *common, *nvcc_flags, f"-arch={self.cuda_arch}", "-Xptxas", "-v",
                         "--compiler-options", "-fPIC", "-std=c++20", *req.extra_cuda_cflags,
                         cu.name, "-o", "cuda.o"])
            objs.append("cuda.o")
        if linked:
            libs = ["-lc10", "-ltorch", "-ltorch_cpu", "-ltorch_python"]
            if cuda:
                libs += ["-lc10_cuda", "-ltorch_cuda", "-lcudart"]
            libdirs = [f"-L{p}" for p in ce.library_paths("cuda" if cuda else "cpu")]
            cmds.append(["g++", "-shared", *objs, *libdirs, *libs, "-o", "lib.so"])
        return cmds

    def _run(self, cmd: list[str], cwd: Path) -> tuple[bool, str]:
        from harness.sandbox.isolation import run_compiler

        run = run_compiler(cmd, cwd, timeout_s=self.timeout_s, isolate=self.isolate)
        return run.ok, run.output


def _artifact_name(req: BuildRequest) -> str:
    return "kernel.cubin" if req.kind == "nvrtc" else "lib.so"


def default_cache_root() -> Path:
    """Where builds, baselines and evaluations are cached unless a cache dir is given."""
    return Path(os.environ.get("KERNELGEPA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kernelgepa"))


def default_cache_dir() -> Path:
    return default_cache_root() / f"build-py{sys.version_info.major}{sys.version_info.minor}"
