from harness.messages import format_resources, parse_ptxas, trim_compiler_output, trim_traceback

GCC = """In file included from /usr/include/c++/12/vector:64,
                 from k.cpp:2:
k.cpp: In function 'void f(const float*, float*, long int)':
k.cpp:4:17: error: 'x' was not declared in this scope
    4 |     y[i] = x[i];
      |            ^
k.cpp:5:3: note: suggested alternative: 'y'
"""

NVCC = """k.cu(7): error: expected a ";"
      y[i] = s[255 - threadIdx.x] * 2.f }
                                          ^

1 error detected in the compilation of "k.cu".
"""

PTXAS = """ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function '_Z4reluPKfPfl' for 'sm_90'
ptxas info    : Function properties for _Z4reluPKfPfl
    8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads
ptxas info    : Used 40 registers, used 1 barriers, 2048 bytes smem
ptxas info    : Compile time = 2.1 ms
"""


def test_gcc_error_keeps_error_line_and_caret_drops_include_chain():
    out = trim_compiler_output(GCC)
    assert "k.cpp:4:17: error: 'x' was not declared" in out
    assert "y[i] = x[i];" in out and "^" in out
    assert "In file included" not in out and "note:" not in out


def test_nvcc_error_kept():
    out = trim_compiler_output(NVCC)
    assert 'k.cu(7): error: expected a ";"' in out and "detected in the compilation" not in out


def test_error_flood_is_bounded():
    flood = "\n".join(f"k.cpp:{i}:1: error: bad thing {i}" for i in range(500))
    out = trim_compiler_output(flood, max_errors=5)
    assert out.count("error: bad thing") == 5 and "more error lines" in out and len(out) < 4000


def test_ptxas_report_parsed():
    [k] = parse_ptxas(PTXAS)
    assert k == {"kernel": "_Z4reluPKfPfl", "arch": "sm_90", "stack_bytes": 8, "spill_store_bytes": 4,
                 "spill_load_bytes": 4, "registers": 40, "barriers": 1, "smem_bytes": 2048}
    assert "40 registers" in format_resources([k])


def test_traceback_keeps_candidate_frames_only():
    tb = """Traceback (most recent call last):
  File "/x/harness/worker/candidate.py", line 10, in run
    out = model(*buffers)
  File "/site-packages/torch/nn/modules/module.py", line 1700, in _call_impl
    return forward_call(*args)
  File "/tmp/cand/my_solution.py", line 12, in forward
    raise ValueError("bad launch")
ValueError: bad launch"""
    out = trim_traceback(tb, keep_files=("my_solution.py",))
    assert "my_solution.py\", line 12" in out and 'raise ValueError("bad launch")' in out
    assert "module.py" not in out and out.endswith("ValueError: bad launch")
