from docs_index.tokenize import tokenize


def test_identifiers_are_kept_whole_and_split():
    toks = tokenize('k.cu(12): error: identifier "__shfl_down" is undefined')
    assert "shfl_down" in toks and "shfl" in toks and "down" in toks and "undefin" in toks
    assert "error" not in toks  # in every compiler message: no signal


def test_camel_case_scoped_and_dotted_names():
    toks = tokenize("cudaErrorIllegalAddress aie::load_v tl.arange")
    assert {"cudaerrorillegaladdress", "illeg", "address", "aie::load_v", "load", "tl.arange", "arang"} <= set(toks)


def test_inflections_meet():
    assert set(tokenize("spills coalesced")) == set(tokenize("spill coalescing"))
