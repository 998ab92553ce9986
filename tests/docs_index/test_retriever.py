from docs_index import ManualRetriever, feedback_query


def _compile_error(msg: str) -> dict:
    return {"status": "compile_error", "rung": "compile", "error": "compilation failed",
            "messages": msg}


def test_query_takes_error_lines_without_paths_and_the_op_type():
    r = _compile_error("/tmp/kgepa/build/ab12/k.cu(14): error: identifier \"__shfl_down\" is undefined\n"
                       "      v += __shfl_down(v, o);\n1 error detected in the compilation of \"k.cu\".\n")
    q = feedback_query(r, "cuda", "23_Softmax")
    assert 'k.cu(14): error: identifier "__shfl_down" is undefined' in q and "/tmp/kgepa" not in q
    assert "softmax" in q and q.startswith("cuda")


def test_query_carries_runtime_error_names_and_symptoms():
    r = {"status": "runtime_error", "rung": "correctness",
         "error": "RuntimeError: CUDA error: an illegal memory access was encountered (cudaErrorIllegalAddress)"}
    assert "cudaErrorIllegalAddress" in feedback_query(r, "cuda")
    slow = {"status": "ok", "rung": "done", "speedup": 0.3,
            "resources": [{"kernel": "k", "registers": 200, "spill_store_bytes": 64, "spill_load_bytes": 64}]}
    q = feedback_query(slow, "cuda")
    assert "slower than PyTorch" in q and "spill" in q and "occupancy" in q
    wrong = {"status": "incorrect", "rung": "correctness",
             "mismatch": {"reason": "values differ", "n_bad": 10, "n_total": 10}}
    assert "every element wrong" in feedback_query(wrong, "cpu")


def test_reflection_gets_each_kernels_answer_within_budget_without_duplicates(docs_index):
    records = [
        {"task": "a", "result": _compile_error("k.cu(3): error: identifier \"__shfl_down\" is undefined")},
        {"task": "b", "result": {"status": "runtime_error", "rung": "correctness",
                                 "error": "CUDA error: misaligned address"}},
        {"task": "c", "result": _compile_error("k.cu(3): error: identifier \"__shfl_down\" is undefined")},
    ]
    got = ManualRetriever(docs_index, "cuda", k=4, char_budget=4000)(records)
    ids = [g["id"] for g in got]
    assert len(ids) == len(set(ids)) and 0 < len(got) <= 4
    assert sum(len(g["text"]) for g in got) <= 4000
    assert {g["task"] for g in got[:2]} == {"a", "b"}  # round-robin: b's answer is not crowded out by a and c
    assert all(g["area"] in ("cuda", "nvcc", "ptxas", "cudart", "cuda-headers", "harness") for g in got)
    assert all(g["source"] and g["title"] for g in got)


def test_nothing_to_ask_gives_nothing(docs_index):
    assert ManualRetriever(docs_index, "cpu")([]) == []


def test_sections_are_credited_to_the_kernel_they_were_retrieved_for(docs_index):
    records = [{"task": "empty"},  # no feedback: asks nothing, and must not shift the others' tasks
               {"task": "b", "result": {"status": "runtime_error", "rung": "correctness",
                                        "error": "CUDA error: misaligned address"}}]
    got = ManualRetriever(docs_index, "cuda", k=2)(records)
    assert got and {g["task"] for g in got} == {"b"}


def test_harness_notes_are_not_searched_for():
    """A re-verification or autotune note describes the harness, not the kernel: it takes no retrieval slot."""
    r = {"status": "ok", "speedup": 12.0, "warnings": ["speedup 12.0x > 10x: baseline re-measured and output "
                                                      "re-verified on 20 fresh input sets", "autotune: k chose BLOCK=64"]}
    q = feedback_query(r, "cuda", "1_ReLU")
    assert "re-verified" not in q and "autotune" not in q and "relu" in q
