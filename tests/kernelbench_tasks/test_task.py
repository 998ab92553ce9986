"""Task loading: the built-in suite, KernelBench-shaped checkouts, size profiles, shrinking, bad files.

All fast and in-process (no sandbox): inputs are only ever described on the meta device.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from kernelbench_tasks import SUITE_DIR, TaskLoadError, discover, load_task, load_tasks, parse_size
from kernelbench_tasks.task import apply_overrides, exec_task_module, size_constants

MiB = 1 << 20
GiB = 1 << 30


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def assert_one_line(msg: str | None) -> None:
    assert msg, "expected an error message"
    assert "\n" not in msg and "\r" not in msg, msg
    assert msg == msg.strip()
    assert "Traceback" not in msg


def suite_profiles(path: Path) -> dict:
    """SIZE_PROFILES of a suite file, read from its source (not through the loader under test)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SIZE_PROFILES"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


RELU_6GIB = """
    import torch
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self):
            super(Model, self).__init__()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x)


    batch_size = 4096
    dim = 393216


    def get_inputs():
        x = torch.rand(batch_size, dim)
        return [x]


    def get_init_inputs():
        return []
"""

CONV_K3 = """
    import torch
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super().__init__()
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride)

        def forward(self, x):
            return torch.relu(self.conv(x))


    batch_size = 2048
    in_channels = 3
    out_channels = 16
    height = 256
    width = 256
    kernel_size = 3
    stride = 2


    def get_inputs():
        return [torch.randn(batch_size, in_channels, height, width)]


    def get_init_inputs():
        return [in_channels, out_channels, kernel_size, stride]
"""

# kernel_size / stride / padding / groups are large here: the minimum-value rule alone would not
# protect them, only the rule that meaning-changing constants are never shrunk does.
CONV1D_BIG_KERNEL = """
    import torch
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self, channels, kernel_size, stride, padding, groups):
            super().__init__()
            self.conv = nn.Conv1d(channels, channels, kernel_size, stride=stride, padding=padding, groups=groups)

        def forward(self, x):
            return self.conv(x)


    batch_size = 8192
    channels = 64
    length = 16384
    kernel_size = 2048
    stride = 1024
    padding = 512
    groups = 32


    def get_inputs():
        return [torch.randn(batch_size, channels, length)]


    def get_init_inputs():
        return [channels, kernel_size, stride, padding, groups]
"""

GOOD = """
    import torch
    import torch.nn as nn

    batch_size = 4
    dim = 8


    class Model(nn.Module):
        def forward(self, x):
            return x * 2


    def get_inputs():
        return [torch.randn(batch_size, dim)]


    def get_init_inputs():
        return []
"""


# ---- the built-in suite -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def suite():
    return load_tasks(SUITE_DIR)


@pytest.fixture(scope="module")
def suite_gpu():
    return load_tasks(SUITE_DIR, profile="gpu")


def test_suite_loads_every_task(suite):
    assert len(suite) >= 15
    bad = {t.name: (t.status, t.error) for t in suite if t.status != "loaded"}
    assert not bad
    assert all(t.error is None for t in suite)


def test_suite_levels_come_from_level_folders(suite):
    for t in suite:
        folder = t.path.parent.name
        assert folder.startswith("level"), t.path
        assert t.level == int(folder.removeprefix("level")), (t.name, t.path)
    assert {t.level for t in suite} == {1, 2, 3}


def test_suite_names_are_file_stems_and_cover_every_file(suite):
    files = sorted(p for p in SUITE_DIR.rglob("*.py") if not p.name.startswith("_"))
    assert sorted(t.path.resolve() for t in suite) == sorted(p.resolve() for p in files)
    for t in suite:
        assert t.name == t.path.stem
        assert t.source == t.path.read_text()
    assert {"1_ReLU", "5_Softmax", "2_LeakyReLU", "1_MLPBlock"} <= {t.name for t in suite}


def test_suite_inputs_are_described_with_shape_and_dtype(suite):
    for t in suite:
        tensors = [s for s in t.inputs if s.shape is not None]
        assert tensors, t.name
        for s in tensors:
            assert all(isinstance(d, int) and d > 0 for d in s.shape), (t.name, s)
            assert isinstance(getattr(torch, s.dtype), torch.dtype), (t.name, s.dtype)
        assert t.input_bytes > 0
        assert t.size_label == "default" and t.overrides == {}
    relu = next(t for t in suite if t.name == "1_ReLU")
    assert [(s.shape, s.dtype) for s in relu.inputs] == [((128, 16384), "float32")]
    assert relu.input_bytes == 128 * 16384 * 4
    assert str(relu.inputs[0]) == "float32[128, 16384]"


def test_suite_inputs_match_what_get_inputs_really_builds(suite):
    """The meta-device description agrees with a real call (at the small default sizes)."""
    for name in ("1_ReLU", "7_MatMul", "4_Add_LayerNorm"):
        t = next(t for t in suite if t.name == name)
        real = exec_task_module(t.source, t.path).get_inputs()
        assert [(tuple(x.shape), str(x.dtype).removeprefix("torch.")) for x in real] == \
               [(s.shape, s.dtype) for s in t.inputs]


def test_gpu_profile_applies_size_profiles_overrides(suite, suite_gpu):
    default = {t.name: t for t in suite}
    assert [t.name for t in suite_gpu] == [t.name for t in suite]
    n_profiled = 0
    for t in suite_gpu:
        assert t.status == "loaded", (t.name, t.error)
        d = default[t.name]
        prof = suite_profiles(t.path).get("gpu")
        if prof is None:
            assert t.size_label == "default" and t.overrides == {} and t.key == d.key
            continue
        n_profiled += 1
        assert t.size_label == "profile:gpu"
        assert t.overrides == prof
        assert t.input_bytes > d.input_bytes, t.name
        assert t.key != d.key
        assert t.source == d.source  # the file is not changed, only the sizes applied
    assert n_profiled >= 1
    relu = next(t for t in suite_gpu if t.name == "1_ReLU")
    assert relu.inputs[0].shape == (4096, 16384)


def test_unknown_profile_is_an_error_for_tasks_that_define_profiles(tmp_path):
    t = load_task(SUITE_DIR / "level1" / "1_ReLU.py", profile="no-such-profile")
    assert t.status == "error" and "no-such-profile" in t.error and "gpu" in t.error
    plain = write(tmp_path / "plain.py", GOOD)  # no SIZE_PROFILES (official KernelBench): sizes as written
    t = load_task(plain, profile="gpu")
    assert t.status == "loaded" and t.size_label == "default"


TUPLE_SIZES = """
import torch
import torch.nn as nn
class Model(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3)
    def forward(self, x):
        return self.conv(x)
batch_size = 16
height, width = 4096, 4096
in_channels: int = 3
out_channels = 1024
SIZE_PROFILES = {"small": {"height": 64, "width": 32, "in_channels": 2}}
def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]
def get_init_inputs():
    return [in_channels, out_channels]
"""


def test_profiles_override_tuple_and_annotated_constants(tmp_path):
    t = load_task(write(tmp_path / "t.py", TUPLE_SIZES), profile="small")
    assert t.status == "loaded", t.error
    assert [s.shape for s in t.inputs] == [(16, 2, 64, 32)]


def test_override_of_unknown_constant_is_an_error(tmp_path):
    src = TUPLE_SIZES.replace('"width": 32', '"widht": 32')
    t = load_task(write(tmp_path / "t.py", src), profile="small")
    assert t.status == "error" and "widht" in t.error


def test_shrink_reaches_tuple_constants_and_leaves_non_input_constants(tmp_path):
    t = load_task(write(tmp_path / "t.py", TUPLE_SIZES), shrink_to=parse_size("64MB"))
    assert t.status == "loaded", t.error
    assert t.input_bytes <= 64 << 20
    assert "out_channels" not in t.overrides  # does not shape the inputs
    assert {"height", "width"} & set(t.overrides)


def test_shrink_that_cannot_fit_is_skipped_not_mislabelled(tmp_path):
    src = TUPLE_SIZES.replace("height, width = 4096, 4096", "height, width = 8, 8").replace(
        "batch_size = 16", "batch_size = 8")  # every shrinkable constant already below the floor
    t = load_task(write(tmp_path / "t.py", src), shrink_to=1024)
    assert t.status == "skipped" and "still" in t.error and "budget" in t.error


def test_key_depends_on_overrides_and_source(tmp_path):
    a = write(tmp_path / "a" / "t.py", GOOD)
    b = write(tmp_path / "b" / "t.py", GOOD.replace("x * 2", "x * 3"))
    ta, ta2, tb = load_task(a), load_task(a), load_task(b)
    assert ta.key == ta2.key
    assert ta.key != tb.key
    c = write(tmp_path / "c" / "t.py", GOOD.replace("dim = 8", "dim = 256"))  # 4 KiB of input
    tc, shrunk = load_task(c), load_task(c, shrink_to=1024)
    # input, output and the forward's largest temporary (the output again) must fit: 3 x 256 bytes
    assert shrunk.overrides == {"dim": 16} and shrunk.input_bytes == 256
    assert shrunk.source == tc.source and shrunk.key != tc.key


# ---- a KernelBench checkout -------------------------------------------------------------------
@pytest.fixture
def checkout(tmp_path) -> Path:
    root = tmp_path / "KernelBench" / "KernelBench"
    write(root / "level1" / "19_ReLU.py", RELU_6GIB)
    write(root / "level2" / "54_Conv2d_ReLU.py", CONV_K3)
    write(root / "level2" / "60_Conv1d_BigKernel.py", CONV1D_BIG_KERNEL)
    write(tmp_path / "KernelBench" / "scripts" / "run_and_check.py", "raise SystemExit('not a task')\n")
    write(root / "level1" / "__init__.py", "")
    return tmp_path / "KernelBench"


def test_checkout_discovers_only_level_folders(checkout):
    files = discover(checkout)
    assert [f.name for f in files] == ["19_ReLU.py", "54_Conv2d_ReLU.py", "60_Conv1d_BigKernel.py"]


def test_checkout_loads_at_official_size_without_allocating(checkout):
    tasks = {t.name: t for t in load_tasks(checkout)}
    relu = tasks["19_ReLU"]
    assert relu.status == "loaded", relu.error
    assert relu.level == 1 and tasks["54_Conv2d_ReLU"].level == 2
    assert relu.inputs[0].shape == (4096, 393216) and relu.inputs[0].dtype == "float32"
    assert relu.input_bytes == 6 * GiB
    assert relu.size_label == "default" and relu.overrides == {}


def test_describing_a_6gib_task_allocates_nothing(checkout):
    """Under an address-space limit far below 6 GiB, loading still works (and a real allocation would not)."""
    path = checkout / "KernelBench" / "level1" / "19_ReLU.py"
    script = textwrap.dedent(f"""
        import json, resource, torch
        from kernelbench_tasks import load_task, parse_size
        vm = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmSize:'))
        resource.setrlimit(resource.RLIMIT_AS, (vm + 3 * (1 << 30), resource.RLIM_INFINITY))
        t = load_task({str(path)!r})
        s = load_task({str(path)!r}, shrink_to=parse_size('64MB'))
        try:
            torch.empty(4096, 393216)
            real = 'allocated'
        except (RuntimeError, MemoryError):
            real = 'refused'
        print(json.dumps({{'status': t.status, 'error': t.error, 'bytes': t.input_bytes,
                           'shrunk': s.status, 'shrunk_bytes': s.input_bytes, 'real': real}}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["real"] == "refused", "the memory limit did not bite; the check proves nothing"
    assert out["status"] == "loaded", out["error"]
    assert out["bytes"] == 6 * GiB
    assert out["shrunk"] == "loaded" and out["shrunk_bytes"] <= 64 * MiB


def test_shrink_to_fits_the_budget_and_is_labelled(checkout):
    budget = parse_size("64MB")
    tasks = {t.name: t for t in load_tasks(checkout, shrink_to=budget)}
    relu = tasks["19_ReLU"]
    assert relu.status == "loaded", relu.error
    assert 0 < relu.input_bytes <= 64 * MiB
    assert relu.size_label.startswith("shrunk:") and "64MB" in relu.size_label
    assert relu.overrides and set(relu.overrides) <= {"batch_size", "dim"}
    for k, v in relu.overrides.items():
        assert v < {"batch_size": 4096, "dim": 393216}[k]
    # the recorded overrides reproduce the described inputs
    mod = exec_task_module(relu.source, relu.path, relu.overrides)
    assert (mod.batch_size, mod.dim) == relu.inputs[0].shape
    assert relu.key != load_task(relu.path).key


def test_shrink_never_touches_kernel_size_or_stride(checkout):
    tasks = {t.name: t for t in load_tasks(checkout, shrink_to=parse_size("64MB"))}
    conv = tasks["54_Conv2d_ReLU"]
    assert conv.status == "loaded", conv.error
    assert conv.input_bytes <= 64 * MiB and conv.size_label.startswith("shrunk:")
    assert "kernel_size" not in conv.overrides and "stride" not in conv.overrides
    assert conv.overrides.get("batch_size", 2048) < 2048 or conv.overrides.get("height", 256) < 256
    init = exec_task_module(conv.source, conv.path, conv.overrides).get_init_inputs()
    assert init[2:] == [3, 2]

    big = tasks["60_Conv1d_BigKernel"]
    assert big.status == "loaded", big.error
    assert big.input_bytes <= 64 * MiB and big.size_label.startswith("shrunk:")
    assert not {"kernel_size", "stride", "padding", "groups"} & set(big.overrides), big.overrides
    mod = exec_task_module(big.source, big.path, big.overrides)
    assert (mod.kernel_size, mod.stride, mod.padding, mod.groups) == (2048, 1024, 512, 32)


def test_shrink_is_a_no_op_when_inputs_already_fit(tmp_path):
    t = load_task(write(tmp_path / "level1" / "1_small.py", GOOD), shrink_to=parse_size("64MB"))
    assert t.status == "loaded" and t.overrides == {} and t.size_label == "default"


def test_shrink_combines_with_a_profile(tmp_path):
    src = textwrap.dedent(GOOD).replace("dim = 8\n", "dim = 8\nSIZE_PROFILES = {'gpu': {'batch_size': 1024, 'dim': 65536}}\n")
    t = load_task(write(tmp_path / "t.py", src), profile="gpu", shrink_to=parse_size("1MB"))
    assert t.status == "loaded", t.error
    assert t.input_bytes <= MiB
    assert t.size_label.startswith("shrunk:1MB") and "profile:gpu" in t.size_label
    assert t.overrides["batch_size"] <= 1024 and t.overrides["dim"] <= 65536
    assert t.overrides != {"batch_size": 1024, "dim": 65536}


def test_constructor_args_and_parameters_are_described_at_the_loaded_size(tmp_path):
    src = """
        import torch
        import torch.nn as nn

        n = 8
        SIZE_PROFILES = {"gpu": {"n": 64}}

        class Model(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.lin = nn.Linear(n, 2 * n)
                self.register_buffer("scale", torch.ones(n))

            def forward(self, x):
                return self.lin(x) * 2

        def get_inputs():
            return [torch.randn(4, n)]

        def get_init_inputs():
            return [n]
    """
    t = load_task(write(tmp_path / "t.py", src), profile="gpu")
    assert t.init_args == ("64",)
    assert [(n, str(s)) for n, s in t.parameters] == [("lin.weight", "float32[128, 64]"), ("lin.bias", "float32[128]"),
                                                      ("scale", "float32[64]")]


def test_a_constructor_that_needs_real_data_still_loads(tmp_path):
    """Parameters are described on the meta device; a constructor reading values cannot run there, and
    the task then loads without a parameter list (it is informational)."""
    src = GOOD.replace("    class Model(nn.Module):\n", "    class Model(nn.Module):\n"
                       "        def __init__(self):\n"
                       "            super().__init__()\n"
                       "            self.w = nn.Parameter(torch.randn(3) * float(torch.randn(1).item()))\n\n")
    t = load_task(write(tmp_path / "t.py", src))
    assert "item()" in t.source and t.status == "loaded" and t.parameters == () and t.inputs


# ---- bad task files ---------------------------------------------------------------------------
@pytest.fixture
def mixed(tmp_path) -> Path:
    lv = tmp_path / "level1"
    write(lv / "1_good.py", GOOD)
    write(lv / "2_no_model.py", """
        import torch

        def get_inputs():
            return [torch.randn(4)]

        def get_init_inputs():
            return []
    """)
    write(lv / "3_syntax.py", """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x)
                return x
    """)
    write(lv / "4_inputs_raise.py", """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x

        def get_inputs():
            raise ValueError("shape table is broken\\nsecond line of the message")

        def get_init_inputs():
            return []
    """)
    (lv / "5_latin1.py").write_bytes(b"import torch\n# caf\xe9 \xff\xfe\nclass Model: pass\n")
    write(lv / "6_hf.py", """
        import torch
        from transformers import AutoModel

        class Model(torch.nn.Module):
            def forward(self, x):
                return x

        def get_inputs():
            return [torch.randn(4)]

        def get_init_inputs():
            return []
    """)
    write(lv / "7_import_raises.py", """
        import torch
        raise RuntimeError("module body failed\\nwith detail")
    """)
    write(lv / "8_good_too.py", GOOD.replace("dim = 8", "dim = 16"))
    return tmp_path


@pytest.fixture
def mixed_tasks(mixed):
    return {t.name: t for t in load_tasks(mixed)}


def test_good_tasks_still_load_beside_bad_ones(mixed_tasks):
    assert len(mixed_tasks) == 8
    assert mixed_tasks["1_good"].status == "loaded" and mixed_tasks["1_good"].inputs[0].shape == (4, 8)
    assert mixed_tasks["8_good_too"].status == "loaded" and mixed_tasks["8_good_too"].inputs[0].shape == (4, 16)
    assert {n for n, t in mixed_tasks.items() if t.status == "loaded"} == {"1_good", "8_good_too"}
    assert all(t.level == 1 for t in mixed_tasks.values())


def test_missing_model_is_one_line_error(mixed_tasks):
    t = mixed_tasks["2_no_model"]
    assert t.status == "error"
    assert_one_line(t.error)
    assert "Model" in t.error


def test_syntax_error_names_the_line(mixed_tasks):
    t = mixed_tasks["3_syntax"]
    assert t.status == "error"
    assert_one_line(t.error)
    assert "syntax error" in t.error and "line 4" in t.error


def test_get_inputs_raising_is_one_line_error(mixed_tasks):
    t = mixed_tasks["4_inputs_raise"]
    assert t.status == "error"
    assert_one_line(t.error)
    assert "get_inputs" in t.error and "shape table is broken" in t.error
    assert "second line" not in t.error


def test_import_failure_is_one_line_error(mixed_tasks):
    t = mixed_tasks["7_import_raises"]
    assert t.status == "error"
    assert_one_line(t.error)
    assert "module body failed" in t.error and "get_inputs" not in t.error


def test_non_utf8_file_is_one_line_error(mixed_tasks):
    t = mixed_tasks["5_latin1"]
    assert t.status == "error"
    assert_one_line(t.error)
    assert "read" in t.error and ("utf-8" in t.error.lower() or "decode" in t.error.lower())


def test_task_needing_downloads_is_skipped_as_offline(mixed_tasks):
    t = mixed_tasks["6_hf"]
    assert t.status == "skipped"
    assert_one_line(t.error)
    assert "offline" in t.error and "transformers" in t.error


def test_missing_module_is_skipped_not_crashing(tmp_path):
    t = load_task(write(tmp_path / "t.py", "import torch\nimport no_such_module_kgepa\n" + textwrap.dedent(GOOD)))
    assert t.status == "skipped"
    assert_one_line(t.error)
    assert "no_such_module_kgepa" in t.error


def test_bad_tasks_have_no_inputs(mixed_tasks):
    for name in ("2_no_model", "3_syntax", "4_inputs_raise", "5_latin1", "7_import_raises"):
        assert mixed_tasks[name].inputs == () and mixed_tasks[name].input_bytes == 0


def test_discover_missing_path_raises():
    with pytest.raises(TaskLoadError, match="no such file"):
        discover("/definitely/not/here/kgepa")
    with pytest.raises(TaskLoadError):
        load_tasks("/definitely/not/here/kgepa")


def test_discover_single_file_and_plain_folder(tmp_path):
    f = write(tmp_path / "plain" / "2_b.py", GOOD)
    write(tmp_path / "plain" / "10_c.py", GOOD)
    write(tmp_path / "plain" / "1_a.py", GOOD)
    write(tmp_path / "plain" / "_helper.py", "x = 1\n")
    assert discover(f) == [f]
    assert [p.name for p in discover(tmp_path / "plain")] == ["1_a.py", "2_b.py", "10_c.py"]
    assert load_task(f).level is None


# ---- parse_size -------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("64MB", 64 * MiB), ("1GB", GiB), ("512k", 512 * 1024), ("1000", 1000),
    ("64mb", 64 * MiB), ("2GiB", 2 * GiB), (" 256MB ", 256 * MiB),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["banana", "", "MB", "64XB", "-5MB", "1,000"])
def test_parse_size_rejects_bad_text(text):
    with pytest.raises(ValueError):
        parse_size(text)


# ---- overrides --------------------------------------------------------------------------------
DERIVED = """
    import torch

    dim = 8  # the model width
    hidden = dim * 4
    other = 5
    label = "dim = 8"


    def helper():
        dim = 100
        return dim


    class Model(torch.nn.Module):
        def forward(self, x):
            return x


    def get_inputs():
        return [torch.randn(hidden, other)]


    def get_init_inputs():
        return []
"""


def test_apply_overrides_rewrites_only_named_constants_and_derived_values_follow(tmp_path):
    src = textwrap.dedent(DERIVED).lstrip()
    out = apply_overrides(src, {"dim": 2})
    assert "dim = 2  # the model width" in out
    assert 'label = "dim = 8"' in out and "dim = 100" in out and "other = 5" in out
    assert out.replace("dim = 2  #", "dim = 8  #", 1) == src  # nothing else changed

    mod = exec_task_module(src, tmp_path / "derived.py", {"dim": 2})
    assert (mod.dim, mod.hidden, mod.other, mod.label, mod.helper()) == (2, 8, 5, "dim = 8", 100)
    base = exec_task_module(src, tmp_path / "derived.py")
    assert (base.dim, base.hidden) == (8, 32)
    assert size_constants(src) == {"dim": 8, "other": 5}


def test_apply_overrides_without_overrides_is_identity():
    src = textwrap.dedent(DERIVED).lstrip()
    assert apply_overrides(src, {}) == src


def test_derived_sizes_follow_in_loaded_inputs(tmp_path):
    src = textwrap.dedent(DERIVED).lstrip().replace(
        "other = 5\n", "other = 5\nSIZE_PROFILES = {'small': {'dim': 2}}\n")
    t = load_task(write(tmp_path / "d.py", src), profile="small")
    assert t.status == "loaded", t.error
    assert t.inputs[0].shape == (8, 5)
    assert load_task(tmp_path / "d.py").inputs[0].shape == (32, 5)


def test_exec_task_module_reports_missing_entry_points(tmp_path):
    src = "import torch\nclass Model(torch.nn.Module):\n    pass\ndef get_init_inputs():\n    return []\n"
    with pytest.raises(TaskLoadError, match="get_inputs"):
        exec_task_module(src, tmp_path / "x.py")


TALL_SKINNY = """
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, a, b):
        return torch.matmul(a, b)
M = 65536
N = 16
def get_inputs():
    return [torch.randn(M, N), torch.randn(N, M)]
def get_init_inputs():
    return []
"""


def test_shrink_bounds_outputs_and_temporaries_not_just_inputs(tmp_path):
    """A tall-skinny matmul: 8 MiB of inputs, a 16 GiB output. The budget holds for every tensor."""
    from kernelbench_tasks.shrink import footprint_bytes

    path = write(tmp_path / "t.py", TALL_SKINNY)
    full = exec_task_module(TALL_SKINNY, path)
    n_in, total = footprint_bytes(full)
    assert n_in == 8 * MiB and total >= 2 * 16 * GiB  # the output, and the same-size temporary
    t = load_task(path, shrink_to=parse_size("32MB"))
    assert t.status == "loaded", t.error
    assert footprint_bytes(exec_task_module(t.source, t.path, t.overrides))[1] <= 32 * MiB
    assert t.overrides.get("M", 65536) < 65536 and "N" not in t.overrides  # N is below the floor


def test_shrink_that_cannot_bound_the_output_is_skipped(tmp_path):
    src = TALL_SKINNY.replace("M = 65536", "M = 8").replace("N = 16", "N = 4096")
    t = load_task(write(tmp_path / "t.py", src), shrink_to=1000)  # N stops at 8: 512 B in + 2 x 256 B out
    assert t.status == "skipped" and "outputs" in t.error and "budget" in t.error


def test_sizes_written_as_int_arithmetic_are_size_constants(tmp_path):
    """KernelBench writes sizes as ``N = 2048 * 2``: they shrink like literals, and the rewrite keeps the rest."""
    src = TALL_SKINNY.replace("M = 65536", "M = 16384 * 4  # rows").replace("N = 16", "N = 8 * 2")
    assert size_constants(src) == {"M": 65536, "N": 16}
    assert "M = 512  # rows" in apply_overrides(src, {"M": 512})
    t = load_task(write(tmp_path / "t.py", src), shrink_to=parse_size("32MB"))
    assert t.status == "loaded" and t.overrides["M"] < 65536
