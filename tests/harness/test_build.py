"""Real compilers: the fast route, the cache, errors, flag vetting; nvcc compile-only where installed."""
import shutil
import subprocess
import sys
import textwrap

import pytest

from harness.build import Builder, BuildError, BuildRequest
from tests.conftest import requires_nvcc

SRC = 'extern "C" void add1(float* x, long n) { for (long i = 0; i < n; ++i) x[i] += 1.f; }'


def req(src=SRC, **kw):
    return BuildRequest(kind="cpp", name="k", sources=(src,), functions=(("add1", ("ptr", "int64")),), **kw)


def test_cpp_build_then_cache_hit(tmp_path):
    b = Builder(tmp_path)
    first = b.build(req())
    assert first.ok and not first.cached and first.artifact.endswith("lib.so")
    again = b.build(req())
    assert again.ok and again.cached and again.artifact == first.artifact
    assert b.build(req(extra_cflags=("-O2",))).artifact != first.artifact


def test_compile_error_is_trimmed_compiler_output(tmp_path):
    r = Builder(tmp_path).build(req('extern "C" void add1(float* x, long n) { x[0] = nope; }'))
    assert not r.ok and "nope" in r.log and "error" in r.log


@pytest.mark.parametrize("flag", ["-I/root", "-include/etc/passwd", "-fplugin=/tmp/evil.so", "@/tmp/args", "-L/tmp"])
def test_dangerous_flags_refused(tmp_path, flag):
    with pytest.raises(BuildError):
        Builder(tmp_path).build(req(extra_cflags=(flag,)))


def test_concurrent_builders_compile_once(tmp_path):
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(__import__('pathlib').Path(__file__).resolve().parents[2])!r})
        from harness.build import Builder, BuildRequest
        r = Builder(__import__('pathlib').Path({str(tmp_path)!r})).build(BuildRequest(kind="cpp", name="k",
            sources=({SRC!r},), functions=(("add1", ("ptr", "int64")),)))
        print("cached" if r.cached else "built", r.ok)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = sorted(p.communicate()[0].strip() for p in procs)
    assert outs == ["built True", "cached True", "cached True"]


@requires_nvcc
def test_cuda_compile_only_reports_ptxas_resources(tmp_path):
    src = """
    __global__ void k(const float* x, float* y, long n) {
        __shared__ float s[256];
        long i = blockIdx.x * 256L + threadIdx.x;
        s[threadIdx.x] = i < n ? x[i] : 0.f; __syncthreads();
        if (i < n) y[i] = s[255 - threadIdx.x];
    }
    extern "C" void launch(const float* x, float* y, long n, cudaStream_t st) { k<<<(n + 255) / 256, 256, 0, st>>>(x, y, n); }
    """
    r = Builder(tmp_path, link_cuda=False).build(BuildRequest(kind="cuda", name="k", sources=(src,),
                                                              functions=(("launch", ("ptr", "ptr", "int64", "stream")),)))
    assert r.ok and not r.linked and r.artifact is None
    [res] = r.resources
    assert res["arch"] == "sm_90" and res["registers"] > 0 and res["smem_bytes"] == 1024


@requires_nvcc
def test_cuda_syntax_error_has_nvcc_message(tmp_path):
    r = Builder(tmp_path, link_cuda=False).build(BuildRequest(kind="cuda", name="k",
                                                              sources=("__global__ void k(float* x) { x[0] = 1 }",)))
    assert not r.ok and 'error: expected a ";"' in r.log


@pytest.fixture
def emulation_copy(tmp_path, monkeypatch):
    """The emulation headers copied to a tmp dir the host unit hashes instead (digest recomputed)."""
    from npueval_tasks import host
    copy = tmp_path / "include"
    shutil.copytree(host.INCLUDE_DIR, copy)
    monkeypatch.setattr(host, "INCLUDE_DIR", copy)
    host.emulation_digest.cache_clear()
    yield copy
    monkeypatch.undo()
    host.emulation_digest.cache_clear()


def test_aie_host_build_key_changes_when_an_emulation_header_changes(emulation_copy):
    # The key is a hash of the request; the unit's first line carries the headers' digest, so
    # editing a header cannot serve a build made against the old one.
    from npueval_tasks import host
    from npueval_tasks.task import parse_task
    task = parse_task({
        "kernel_name": "k", "prompt": "void k(int32_t *x) {\n}\n", "canonical_solution": "}",
        "program_code": 'extern "C" void k_wrapper(int32_t *x) { k(x); }',
        "test_vectors": {"inputs": [{"x": [1], "dtype": "int32"}], "outputs": [{"x": [1], "dtype": "int32"}]}})

    def key() -> str:
        unit = host.host_translation_unit(task, "void k(int32_t *x) {}")
        return BuildRequest(kind="aie_host", name="k", sources=(unit,)).key

    before = key()
    header = next(p for p in sorted(emulation_copy.rglob("*")) if p.is_file())
    assert key() == before
    header.write_text(header.read_text() + "\n// edited\n")
    host.emulation_digest.cache_clear()  # a new process would hash the edited tree
    assert key() != before
