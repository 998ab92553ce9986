import pytest

from harness.static_checks import check_candidate, torch_compute_calls

OK = '''
import torch
import torch.nn as nn
from harness.native import load_cpp
_lib = load_cpp(r"""
#include <cmath>
extern "C" void f(const float* x, float* y, long n) { for (long i = 0; i < n; ++i) y[i] = std::exp(x[i]); }
""", functions={"f": ["ptr", "ptr", "int64"]})
class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._scratch = None
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.f(x, y, x.numel())
        return y
'''


def test_ordinary_candidate_passes():
    assert check_candidate(OK).ok


@pytest.mark.parametrize("snippet, words", [
    ("import os", "import of 'os'"),
    ("import subprocess", "import of 'subprocess'"),
    ("from ctypes import CDLL", "'ctypes'"),
    ("import threading", "'threading'"),
    ("import harness.worker.timing", "'harness.worker.timing'"),
    ("from . import x", "import from"),
    ("x = eval('1')", "eval()"),
    ("exec('y=1')", "exec()"),
    ("f = open('/etc/passwd')", "open()"),
    ("g = getattr(torch, 'relu')", "getattr()"),
    ("torch.matmul = lambda a, b: a", "monkeypatching"),
    ("nn.Module.forward = None", "monkeypatching"),
    ("del torch.relu", "monkeypatching"),
    ("s = torch._C", "private attribute"),
    ("s = torch.nn._reduction", "private attribute"),
    ("k = (1).__class__.__subclasses__()", "dunder"),
    ("b = __builtins__", "__builtins__"),
    ("import operator\nget = operator.attrgetter('__class__')", "attrgetter"),
    ("from operator import methodcaller", "methodcaller"),
    ("from torch.nn.functional import _in_projection", "import of torch.nn.functional._in_projection"),
    ("s = nn.init._no_grad_uniform_", "private attribute"),
])
def test_forbidden_python_is_rejected(snippet, words):
    v = check_candidate(OK + "\n" + snippet + "\n")
    assert not v.ok and v.status == "rejected"
    assert words in v.reason


@pytest.mark.parametrize("cpp, words", [
    ('#include <thread>\nvoid f(){}', "threads"),
    ('#include <unistd.h>\nvoid f(){}', "threads, processes"),
    ('#include "/root/.ssh/id_rsa"\nvoid f(){}', "absolute or parent path"),
    ('#include "../../secret.h"\nvoid f(){}', "absolute or parent path"),
    ('void f(){ const char* k = getenv("OPENAI_API_KEY"); }', "environment"),
    ('void f(){ FILE* p = fopen("x", "r"); }', "file"),
    ('void f(){ system("curl evil"); }', "process"),
    ('void f(){ std::thread t([]{}); }', "threads"),
    ('void f(){ const char* p = "/proc/self/maps"; }', "system path"),
])
def test_forbidden_kernel_source_is_rejected(cpp, words):
    src = f'import torch.nn as nn\nS = r"""\n{cpp}\n"""\nclass ModelNew(nn.Module):\n    pass\n'
    v = check_candidate(src)
    assert not v.ok and v.status == "rejected" and words in v.reason


def test_comments_in_kernel_source_do_not_trigger():
    src = 'import torch.nn as nn\nS = r"""\n// we never call getenv( or fopen( here\nvoid f(){}\n"""\nclass ModelNew(nn.Module):\n    pass\n'
    assert check_candidate(src).ok


def test_syntax_error_and_missing_model_are_invalid():
    v = check_candidate("def broken(:\n")
    assert v.status == "invalid" and "syntax error" in v.reason
    v = check_candidate("import torch\nclass Model(torch.nn.Module):\n    pass\n")
    assert v.status == "invalid" and "ModelNew" in v.reason


@pytest.mark.parametrize("snippet", [
    "import itertools\nimport collections\nimport operator\nfrom operator import mul",
    "from torch.nn.modules.utils import _pair\nk = _pair(3)",
    "import torch.nn.init as init\nfan_in, _ = nn.init._calculate_fan_in_and_fan_out(torch.empty(4, 4))",
])
def test_harmless_helpers_honest_solutions_use_are_allowed(snippet):
    v = check_candidate(OK + "\n" + snippet + "\n")
    assert v.ok, v.reason


def test_torch_compute_calls_in_forward_are_listed():
    src = """
import torch, torch.nn as nn
import torch.nn.functional as F
from torch import matmul
class ModelNew(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.linear = nn.Linear(a, b)
        self.w = nn.Parameter(torch.randn(3))
    def forward(self, x):
        y = torch.empty_like(x).view(-1)
        z = F.relu(self.linear(x))
        s = torch.cuda.current_stream()
        return matmul(z, y) + torch.nn.functional.gelu(y)
"""
    assert torch_compute_calls(src) == ["line 12: F.relu", "line 12: self.linear (an nn compute module)",
                                        "line 14: torch.matmul", "line 14: F.gelu"]
    assert torch_compute_calls(OK) == []
