"""Pulling code and tagged text out of LLM replies."""
from __future__ import annotations

import ast

import pytest

from kernelgepa.codeblocks import CodeExtraction, extract_code, extract_text_block

GOOD = """import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        return x.clamp_min(0)
"""

HELPER = """def helper(x):
    return x + 1
"""


def fence(code: str, label: str = "python", marker: str = "```") -> str:
    return f"{marker}{label}\n{code}{marker}\n"


def ok(result: CodeExtraction) -> str:
    assert result.code is not None, result.reason
    assert result.reason == "" and result.ok
    ast.parse(result.code)
    return result.code


@pytest.mark.parametrize("label", ["python", "py", "Python", "python3", "", "PYTHON"])
def test_backtick_fences_with_any_label(label):
    reply = f"Here is my kernel.\n\n{fence(GOOD, label)}\nIt should be fast."
    assert ok(extract_code(reply)) == GOOD


def test_tilde_fence():
    assert ok(extract_code("Answer:\n" + fence(GOOD, "python", "~~~"))) == GOOD


def test_longer_fence_and_closing_fence_must_match():
    inner = GOOD + 'DOC = """\n```\n"""\n'          # a ``` line inside a ```` fence is content
    code = ok(extract_code("````python\n" + inner + "````\n"))
    assert code == inner


def test_unterminated_final_fence():
    reply = "Sure:\n```python\n" + GOOD
    assert ok(extract_code(reply)) == GOOD


def test_unterminated_fence_with_glued_close_and_prose():
    reply = "```python\n" + GOOD.rstrip() + "```\nThis clamps at zero."
    assert ok(extract_code(reply)) == GOOD


def test_last_valid_block_defining_the_name_wins():
    first = GOOD.replace("clamp_min(0)", "relu()")
    reply = (f"First attempt:\n{fence(first)}\nBetter:\n{fence(GOOD)}\n"
             f"And a helper you could use:\n{fence(HELPER)}\nUsage:\n{fence('out = ModelNew()(x)')}")
    assert ok(extract_code(reply)) == GOOD


def test_broken_last_block_falls_back_to_earlier_valid_one():
    broken = GOOD.replace("def forward(self, x):", "def forward(self, x)")
    reply = fence(GOOD) + "\nOr, more compact:\n" + fence(broken)
    assert ok(extract_code(reply)) == GOOD


def test_cpp_block_ignored():
    cpp = 'extern "C" void relu(const float* x, float* y, long n) {}\n'
    reply = fence(cpp, "cpp") + fence(GOOD) + fence(cpp, "cuda")
    assert ok(extract_code(reply)) == GOOD


def test_bare_code_without_fences():
    assert ok(extract_code(GOOD)) == GOOD


def test_bare_code_with_leading_and_trailing_prose():
    reply = "Here is the optimized implementation:\n\n" + GOOD + "\nThis version avoids a temporary.\n"
    assert ok(extract_code(reply)) == GOOD


def test_code_element():
    body = GOOD.replace(">", "&gt;").replace("<", "&lt;") + "y = 1 &lt; 2\n"
    reply = f"<p>Solution:</p><pre><code class=\"language-python\">\n{body}</code></pre>"
    code = ok(extract_code(reply))
    assert "class ModelNew" in code and "y = 1 < 2" in code


def test_think_section_is_ignored():
    draft = GOOD.replace("clamp_min(0)", "relu()  # draft")
    reply = f"<think>Let me draft:\n{fence(draft)}\nhmm</think>\nFinal:\n{fence(GOOD)}"
    assert ok(extract_code(reply)) == GOOD
    # ... unless the only code is inside it
    assert "draft" in ok(extract_code(f"<think>\n{fence(draft)}</think>\nSee above."))


def test_indented_block_is_dedented_and_crlf_normalized():
    indented = "".join("    " + line if line.strip() else line for line in GOOD.splitlines(True))
    reply = "1. Do this:\r\n\r\n    ```python\r\n" + indented.replace("\n", "\r\n") + "    ```\r\n"
    assert ok(extract_code(reply)) == GOOD


def test_definition_forms():
    assert ok(extract_code("class ModelNew:\n    pass\n"))
    assert ok(extract_code("import torch\nModelNew = torch.nn.Identity\n"))
    assert ok(extract_code("try:\n    import x\nexcept ImportError:\n    pass\nif True:\n    class ModelNew: pass\n"))
    # a mere use of the name does not count
    r = extract_code(fence("m = ModelNew()\nprint(m)\n"))
    assert r.code is None and r.reason == "no code block defines ModelNew"


def test_must_define_none_takes_last_parsing_block():
    reply = fence(HELPER) + fence("x = (") + "\n"
    assert ok(extract_code(reply, must_define=None)) == HELPER
    assert ok(extract_code(fence(HELPER), must_define="helper")) == HELPER


# -- failures: one-line reasons -------------------------------------------------------------------------
def test_reason_no_code():
    for reply in ["I cannot help with that.", "The kernel would need shared memory tiling, so ModelNew is slow."]:
        r = extract_code(reply)
        assert r.code is None and r.reason == "reply contains no code block"


def test_reason_empty():
    assert extract_code("").reason == "reply is empty"
    assert extract_code("  \n ").reason == "reply is empty"


def test_reason_not_defined():
    r = extract_code("Here:\n" + fence(HELPER))
    assert r.code is None and r.reason == "no code block defines ModelNew"
    assert extract_code(fence(GOOD), must_define="Other").reason == "no code block defines Other"


def test_reason_syntax_error_names_the_line():
    broken = GOOD.replace("def forward(self, x):", "def forward(self, x)")
    r = extract_code("Try this:\n" + fence(broken))
    assert r.code is None
    assert r.reason.startswith("code block is not valid Python: line 6:")
    assert "\n" not in r.reason


def test_syntax_error_is_not_hidden_by_trimming():
    # an unterminated fence may be trimmed of trailing prose, but never of broken code
    broken = GOOD + "    def backward(self, g)\n        return g\n"
    r = extract_code("```python\n" + broken)
    assert r.code is None and "line 8" in r.reason


def test_reason_prefers_the_block_with_the_name():
    broken = GOOD.replace("(nn.Module):", "(nn.Module)")
    r = extract_code(fence(broken) + fence(HELPER) + fence("x = (\n", ""))
    assert r.reason.startswith("code block is not valid Python: line 5:")


def test_truncated_reply():
    r = extract_code("```python\n" + GOOD[: GOOD.index("return")] + "return x.clamp_min(")
    assert r.code is None and r.reason.startswith("code block is not valid Python")


# -- extract_text_block ------------------------------------------------------------------------------
def test_text_block_from_tags():
    reply = "Thinking about it...\n<strategy>\nUse tiling.\nFuse ops.\n</strategy>\nDone."
    assert extract_text_block(reply, "strategy") == "Use tiling.\nFuse ops."


def test_text_block_last_nonempty_tag_and_case():
    reply = "The format is <strategy></strategy>. <STRATEGY>old</STRATEGY> then <strategy>new one</strategy>"
    assert extract_text_block(reply, "strategy") == "new one"


def test_text_block_unterminated_tag():
    assert extract_text_block("Here:\n<strategy>\nVectorize loads.\n", "strategy") == "Vectorize loads."


def test_text_block_from_labelled_fence():
    reply = "Proposal:\n```strategy\nUse float4 loads.\n```\n```python\nx = 1\n```"
    assert extract_text_block(reply, "strategy") == "Use float4 loads."


def test_text_block_falls_back_to_whole_reply():
    assert extract_text_block("  Just prefer fewer kernel launches.\n\n", "strategy") == \
        "Just prefer fewer kernel launches."
    assert extract_text_block("", "strategy") == ""


def test_text_block_ignores_think():
    reply = "<think>maybe <strategy>bad</strategy></think><strategy>good</strategy>"
    assert extract_text_block(reply, "strategy") == "good"
    assert extract_text_block("<think>pondering</think>\nUse tiles.", "strategy") == "Use tiles."


# ---- C++ (whole AIE kernel sources) ------------------------------------------------------------
KERNEL = """#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

void relu_int8(int8_t *in_buffer, int8_t *out_buffer) {
    for (int i = 0; i < 1024; ++i) { out_buffer[i] = in_buffer[i] > 0 ? in_buffer[i] : 0; }  // a } in a comment
}
"""


def cpp(reply: str) -> CodeExtraction:
    return extract_code(reply, must_define="relu_int8", language="cpp")


@pytest.mark.parametrize("label", ["cpp", "c++", "C++", "cc", ""])
def test_cpp_fences_with_their_labels(label):
    assert cpp("Here it is:\n" + fence(KERNEL, label) + "It vectorizes nothing.").code == KERNEL


def test_cpp_bare_reply_with_prose_around_it():
    assert cpp("Sure. The kernel:\n\n" + KERNEL + "\nThis handles every element.").code == KERNEL


def test_cpp_last_block_defining_the_function_wins_and_python_blocks_are_skipped():
    other = KERNEL.replace("relu_int8(", "helper(")
    newer = KERNEL.replace("> 0 ?", ">= 0 ?")
    reply = fence(KERNEL, "cpp") + fence(newer, "cpp") + fence(other, "cpp") + fence(GOOD)
    assert cpp(reply).code == newer


def test_cpp_unterminated_fence_and_truncated_reply():
    assert cpp("```cpp\n" + KERNEL).code == KERNEL
    assert cpp("```cpp\n" + KERNEL[:-3]).reason == "C++ code block has unbalanced braces (truncated reply?)"


def test_cpp_reasons():
    assert cpp(fence(KERNEL.replace("relu_int8(", "other("), "cpp")).reason == "no C++ code block defines relu_int8(...)"
    assert cpp("I cannot help with that.").reason == "reply contains no code block"
    assert cpp("   ").reason == "reply is empty"


def test_cpp_think_section_is_ignored():
    decoy = KERNEL.replace("> 0 ?", "< 0 ?")
    assert cpp(f"<think>\n{fence(decoy, 'cpp')}</think>\n{fence(KERNEL, 'cpp')}").code == KERNEL


def test_runaway_code_is_no_kernel():
    from kernelgepa.codeblocks import MAX_CODE_CHARS, MAX_LINE_CHARS, extract_code

    long_line = "import torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x" + "y" * 20_000
    assert "a line of 20" in extract_code(fence(long_line)).reason
    many = "import torch\n" + "a = 1\n" * (MAX_CODE_CHARS // 6 + 10) + "class ModelNew(torch.nn.Module):\n    pass\n"
    got = extract_code(fence(many))
    assert got.code is None and "runaway output" in got.reason and str(MAX_CODE_CHARS) in got.reason
    assert "a line of" in cpp(fence(KERNEL.replace("> 0 ?", "> 0" + " " * MAX_LINE_CHARS + "?"), "cpp")).reason
