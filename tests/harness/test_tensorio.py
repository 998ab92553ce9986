import pytest
import torch

from harness.tensorio import SpecError, decode, encode, read_tensor


def test_roundtrip_nested_values(tmp_path):
    value = [torch.randn(3, 4), 5, (torch.ones(2, dtype=torch.bfloat16), None), torch.tensor(3.0), "s"]
    back = decode(encode(value, tmp_path, "x"), tmp_path)
    assert torch.equal(back[0], value[0]) and back[1] == 5 and back[2][1] is None
    assert back[2][0].dtype == torch.bfloat16 and back[4] == "s"


def test_untrusted_specs_are_validated(tmp_path):
    spec = encode(torch.randn(4), tmp_path, "t")
    with pytest.raises(SpecError):
        read_tensor({**spec, "shape": [8]}, tmp_path)  # size does not match the file
    with pytest.raises(SpecError):
        read_tensor({**spec, "file": "../t.bin"}, tmp_path)
    with pytest.raises(SpecError):
        read_tensor({**spec, "dtype": "object"}, tmp_path)
    with pytest.raises(SpecError):
        decode({"t": "pickle", "v": "..."}, tmp_path)
    with pytest.raises(SpecError):
        read_tensor(spec, tmp_path, budget=[8])  # 16 bytes > budget
