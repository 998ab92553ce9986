import json

import pytest

from npueval_tasks import EXAMPLES_FILE
from npueval_tasks.task import TaskFormatError, load_npueval, parse_signature
from tests.conftest import NPUEVAL, requires_npueval


@requires_npueval
def test_loads_all_npueval_tasks_with_typed_buffers():
    ts = load_npueval(NPUEVAL)
    assert len(ts.tasks) == 102 and ts.problems == []
    t = {t.name: t for t in ts.tasks}
    conv = t["conv1d_bias_relu_bfloat16"]
    assert [p.name for p in conv.signature.params] == ["in_buffer", "kernel", "out_buffer", "bias", "stride"]
    assert [(p.name, b.dtype) for p, b in conv.arguments()][3:] == [("bias", "bfloat16"), ("stride", "uint32")]
    assert {b.name: b.values[0] for b in conv.rtps} == {"bias": -0.1884765625, "stride": 2}
    assert (conv.atol, conv.rtol) == (1e-2, 1e-2)
    assert (t["relu_bfloat16"].atol, t["relu_bfloat16"].rtol) == (0.03, 0.03)
    mm = t["matmul_16x16_int8"]
    assert mm.output.shape == (16, 16) and mm.output.size == 256 and mm.inputs[0].nbytes == 256
    assert t["argmax_bfloat16"].output.size == 1 and t["argmax_bfloat16"].output.dtype == "uint32"
    assert "abs function" in t["abs_int8"].description
    src = t["abs_int8"].canonical_source
    assert src.count("void abs_int8(") == 1 and "Implementation goes here" not in src and src.rstrip().endswith("}")


def test_examples_file_loads():
    ts = load_npueval(EXAMPLES_FILE)
    assert ts.problems == [] and [t.name for t in ts.tasks] == ["add_saturate_int8", "scale_q14_int16", "axpy_bfloat16"]


def test_malformed_lines_give_one_line_each_and_the_rest_load(tmp_path):
    good = EXAMPLES_FILE.read_text().splitlines()[0]
    obj = json.loads(good)
    bad_dtype = json.loads(good)
    bad_dtype["test_vectors"]["inputs"][0]["dtype"] = "int4"
    missing = {k: v for k, v in obj.items() if k != "program_code"}
    extra_param = json.loads(good)
    extra_param["test_vectors"]["outputs"].append({"other": [1], "dtype": "int8"})
    out_of_range = json.loads(good)
    out_of_range["test_vectors"]["inputs"][0]["in0"][0] = 300
    lines = [good, "{not json", json.dumps(bad_dtype), json.dumps(missing), json.dumps(extra_param),
             json.dumps(out_of_range), "", "[1, 2]", good]
    f = tmp_path / "tasks.jsonl"
    f.write_text("\n".join(lines))
    ts = load_npueval(f)
    assert [t.name for t in ts.tasks] == ["add_saturate_int8"]
    reasons = {p.line: p.reason for p in ts.problems}
    assert set(reasons) == {2, 3, 4, 5, 6, 8, 9}
    assert "not valid JSON" in reasons[2] and "unknown dtype 'int4'" in reasons[3]
    assert "missing field(s): program_code" in reasons[4] and "exactly one output" in reasons[5]
    assert "outside int8" in reasons[6] and "not a JSON object" in reasons[8] and "duplicate" in reasons[9]
    assert all("\n" not in str(p) and str(p).startswith(str(f)) for p in ts.problems)


def test_unreadable_file_is_one_error(tmp_path):
    with pytest.raises(TaskFormatError, match="cannot read"):
        load_npueval(tmp_path / "missing.jsonl")


def test_signature_parsing():
    sig = parse_signature("void k(const int8_t *a, bfloat16* b, uint32_t n) {\n}")
    assert [(p.name, p.ctype, p.pointer, p.dtype) for p in sig.params] == [
        ("a", "int8_t", True, "int8"), ("b", "bfloat16", True, "bfloat16"), ("n", "uint32_t", False, "uint32")]
    with pytest.raises(TaskFormatError, match="no `void name"):
        parse_signature("int k(int a);")
