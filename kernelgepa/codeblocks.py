"""Pull code and tagged text out of LLM replies, tolerating the ways models format them.

``extract_code`` finds the Python source of a candidate kernel in a reply: fenced blocks (``` or ~~~,
any language label, the last one possibly unterminated), ``<code>`` elements, or bare code with
prose before or after it. Among the candidates it keeps the *last* one that parses as Python and
defines the required name (``ModelNew`` by default). Reasoning sections (``<think>...</think>``) are
ignored unless they are the only place with code. On failure it says why in one line.

With ``language="cpp"`` it finds a whole C++ source instead (an AIE kernel file): the last fenced
block labelled ``cpp``/``c++``/``cc``/... or unlabelled, a ``<code>`` element, or bare code from the
first include/declaration to the last closing brace, that defines the required function with
balanced braces.

Runaway output is refused: code longer than ``MAX_CODE_CHARS`` or with a line longer than
``MAX_LINE_CHARS`` (a small model once "wrote" a 20,000-character identifier) is no kernel.

``extract_text_block`` pulls free text (a strategy, a merge) out of a reflection reply.
"""
from __future__ import annotations

import ast
import html
import keyword
import re
import textwrap
from dataclasses import dataclass

__all__ = ["CodeExtraction", "extract_code", "extract_text_block", "MAX_CODE_CHARS", "MAX_LINE_CHARS"]

MAX_CODE_CHARS = 40_000   # far above any kernel a task needs
MAX_LINE_CHARS = 2_000


@dataclass
class CodeExtraction:
    code: str | None
    reason: str          # "" on success; one line explaining the failure otherwise

    @property
    def ok(self) -> bool:
        return self.code is not None


# An opening fence: up to 3 spaces of indent (more is tolerated for fences inside lists), 3+ backticks
# or tildes, then an optional info string (language label).
_OPEN_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*?)[ \t]*$")
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|\Z)", re.S | re.I)
_CODE_TAG = re.compile(r"<code(?:\s[^>]*)?>(?P<body>.*?)(?:</code>|\Z)", re.S | re.I)
_CODE_START = re.compile(r"^(import\s|from\s+\S+\s+import\s|class\s|def\s|@|#|\"\"\"|'''|[A-Za-z_]\w*\s*=)")


@dataclass
class _Block:
    code: str
    label: str            # language label of a fence ("" if none or not a fence)
    trim: bool = False    # may end in prose or a glued fence (bare reply, unterminated fence)


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _fenced_blocks(text: str) -> list[_Block]:
    """Fenced code blocks in order; a final unterminated fence runs to the end of the text."""
    lines = text.split("\n")
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        m = _OPEN_FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        label = m.group("info").strip().split(" ")[0].lower() if m.group("info") else ""
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            s = lines[j].strip()
            if s and s[0] == fence[0] and set(s) == {fence[0]} and len(s) >= len(fence):
                closed = True
                break
            body.append(lines[j])
            j += 1
        blocks.append(_Block("\n".join(body), label, trim=not closed))
        i = j + 1
    return blocks


def _code_elements(text: str) -> list[_Block]:
    out = []
    for m in _CODE_TAG.finditer(text):
        body = html.unescape(m.group("body"))
        # <pre><code> blocks often start with a newline right after the tag
        out.append(_Block(body.strip("\n"), ""))
    return out


def _defines(tree: ast.Module, name: str) -> bool:
    """Whether the module defines ``name`` at top level (also inside top-level if/try/with)."""
    def scan(stmts) -> bool:
        for node in stmts:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                return True
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name) and t.id == name:
                        return True
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
                return True
            if isinstance(node, (ast.ImportFrom, ast.Import)):
                if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                    return True
            if isinstance(node, ast.If) and (scan(node.body) or scan(node.orelse)):
                return True
            if isinstance(node, (ast.With, ast.AsyncWith)) and scan(node.body):
                return True
            if isinstance(node, ast.Try) and (scan(node.body) or scan(node.orelse) or scan(node.finalbody)
                                              or any(scan(h.body) for h in node.handlers)):
                return True
        return False
    return scan(tree.body)


def _clean(code: str) -> str:
    code = textwrap.dedent(_normalize(code)).strip("\n")
    return "\n".join(line.rstrip() for line in code.split("\n")) + "\n"


def _parse(code: str) -> tuple[ast.Module | None, str]:
    try:
        return ast.parse(code), ""
    except SyntaxError as e:
        msg = (e.msg or "invalid syntax").strip().split("\n")[0]
        return None, f"line {e.lineno}: {msg}" if e.lineno else msg
    except (ValueError, RecursionError, MemoryError) as e:  # e.g. null bytes
        return None, str(e).split("\n")[0] or type(e).__name__


def _looks_like_prose(line: str) -> bool:
    """An unindented line of English rather than code: "This version fuses the ops.", "**Note**: ..."."""
    if not line.strip() or line[0] in " \t":
        return False
    s = line.strip()
    if re.match(r"^(`{3,}|~{3,})", s) or re.match(r"^(\*\*|[-*>] |\d+[.)] )", s):
        return True
    if _CODE_START.match(s):
        return False
    first = re.match(r"[A-Za-z_]\w*", s)
    if first is None or keyword.iskeyword(first.group(0)) or first.group(0) in ("print", "torch", "self"):
        return False
    return re.match(r"^[A-Za-z][\w']*,? [A-Za-z(][\w'()]*", s) is not None


def _parse_lenient(code: str, trim: bool) -> tuple[str | None, ast.Module | None, str]:
    """Parse ``code``. With ``trim``, also try the usual repairs of a bare reply or an unterminated
    fence: a closing fence glued to the last line, and prose after the code (cut at a line that
    fails to parse and reads as English). Returns the code that parsed, its tree, and the original
    error if nothing did."""
    tree, err = _parse(code)
    if tree is not None or not trim:
        return (code, tree, "") if tree is not None else (None, None, err)
    attempt = code
    glued = re.compile(r"(`{3,}|~{3,})[ \t]*$", re.M)
    m = glued.search(attempt)
    if m is not None:   # "return y```" (and whatever follows the glued fence is not code)
        attempt = _clean(attempt[: m.start()])
        tree, _ = _parse(attempt)
        if tree is not None:
            return attempt, tree, ""
    for _ in range(8):  # trailing prose, possibly several paragraphs
        try:
            ast.parse(attempt)
            break
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
            lineno = getattr(e, "lineno", None)
            if not lineno or lineno <= 1:
                return None, None, err
            lines = attempt.split("\n")
            # the error may be reported on the prose line or just after it
            cut = next((k for k in (lineno - 1, lineno - 2) if 0 < k < len(lines) and _looks_like_prose(lines[k])),
                       None)
            if cut is None:
                return None, None, err
            kept = lines[:cut]
            while kept and not kept[-1].strip():
                kept.pop()
            if not kept:
                return None, None, err
            attempt = "\n".join(kept) + "\n"
    tree, _ = _parse(attempt)
    if tree is not None and attempt.strip():
        return attempt, tree, ""
    return None, None, err


def _bare_code_candidates(text: str) -> list[_Block]:
    """The whole reply (unless it opens with prose), and the reply from each later line that looks
    like the start of Python code."""
    lines = text.split("\n")
    first = next((l for l in lines if l.strip()), "")
    out = [] if _looks_like_prose(first) else [_Block(text, "", trim=True)]
    seen = 0
    for k, line in enumerate(lines):
        if k > 0 and _CODE_START.match(line) and not _CODE_START.match(lines[k - 1] or " "):
            out.append(_Block("\n".join(lines[k:]), "", trim=True))
            seen += 1
            if seen >= 5:
                break
    return out


def _choose(blocks: list[_Block], must_define: str | None, *, last_first: bool = True) -> tuple[str | None, str]:
    """First block, counting from the end (or from the start), that parses (after repairs) and
    defines ``must_define``; else the reason none did."""
    parsed_any = False
    named_error: str | None = None   # error of the last broken block that mentions the name
    any_error: str | None = None     # error of the last broken block
    for block in (reversed(blocks) if last_first else blocks):
        code = _clean(block.code)
        if not code.strip():
            continue
        good, tree, err = _parse_lenient(code, block.trim)
        if tree is None:
            any_error = any_error or err
            if must_define and must_define in code and named_error is None:
                named_error = err
            continue
        parsed_any = True
        if must_define is None or _defines(tree, must_define):
            return good, ""
    if named_error is not None:
        return None, f"code block is not valid Python: {named_error}"
    if parsed_any:
        return None, f"no code block defines {must_define}"
    if any_error is not None:
        return None, f"code block is not valid Python: {any_error}"
    return None, "reply contains no code block"


_CPP_LABELS = {"", "cpp", "c++", "cc", "cxx", "c", "h", "hpp"}
_CPP_START = re.compile(r"^\s*(#\s*include|#\s*define|#\s*pragma|template\b|void\b|static\b|inline\b|constexpr\b"
                        r"|using\b|namespace\b|extern\b|typedef\b|struct\b|//|/\*)")
_CPP_BRACES = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|[{}]', re.S)


def _braces_balanced(code: str) -> bool:
    depth = 0
    for m in _CPP_BRACES.finditer(code):
        depth += {"{": 1, "}": -1}.get(m.group(0), 0)
        if depth < 0:
            return False
    return depth == 0


def _bare_cpp(text: str) -> list[_Block]:
    """A reply without fences: from the first line that starts C++ to the last closing brace."""
    lines = text.split("\n")
    start = next((k for k, line in enumerate(lines) if _CPP_START.match(line)), None)
    end = next((k for k in range(len(lines) - 1, -1, -1) if lines[k].strip().startswith("}")), None)
    if start is None or end is None or end < start:
        return []
    return [_Block("\n".join(lines[start:end + 1]), "")]


def _extract_cpp(text: str, function: str | None) -> CodeExtraction:
    """The last C++ block that defines ``function`` with balanced braces (see the module doc)."""
    defines = re.compile(rf"\b{re.escape(function)}\s*\([^;{{}}]*\)\s*\{{") if function else re.compile(r"\{")
    outside_think = _THINK.sub("", text)
    found_code = unbalanced = False
    for src in [outside_think] + ([text] if outside_think != text else []):
        blocks = [b for b in _fenced_blocks(src) if b.label in _CPP_LABELS] or _code_elements(src) or _bare_cpp(src)
        for block in reversed(blocks):
            code = _clean(re.sub(r"(`{3,}|~{3,})[ \t]*$", "", block.code.rstrip()) if block.trim else block.code)
            if not code.strip():
                continue
            found_code = True
            if not defines.search(code):
                continue
            if not _braces_balanced(code):
                unbalanced = True
                continue
            return CodeExtraction(code, "")
    if unbalanced:
        return CodeExtraction(None, "C++ code block has unbalanced braces (truncated reply?)")
    if found_code:
        return CodeExtraction(None, f"no C++ code block defines {function}(...)")
    return CodeExtraction(None, "reply contains no code block")


def extract_code(text: str, *, must_define: str | None = "ModelNew", language: str = "python") -> CodeExtraction:
    """The last Python code block in ``text`` that parses and defines ``must_define`` (or, with
    ``language="cpp"``, the last C++ source defining the function ``must_define``), within the size
    limits."""
    got = _extract_code(text, must_define, language)
    if got.code is None:
        return got
    if len(got.code) > MAX_CODE_CHARS:
        return CodeExtraction(None, f"the code is {len(got.code)} characters long (limit {MAX_CODE_CHARS}): "
                                    "runaway output, not a kernel")
    longest = max(len(line) for line in got.code.split("\n"))
    if longest > MAX_LINE_CHARS:
        return CodeExtraction(None, f"the code has a line of {longest} characters (limit {MAX_LINE_CHARS}): "
                                    "runaway output, not a kernel")
    return got


def _extract_code(text: str, must_define: str | None, language: str) -> CodeExtraction:
    if not text or not text.strip():
        return CodeExtraction(None, "reply is empty")
    text = _normalize(text)
    if language != "python":
        return _extract_cpp(text, must_define)
    outside_think = _THINK.sub("", text)
    sources = [outside_think] + ([text] if outside_think != text else [])
    reason = "reply contains no code block"
    for k, src in enumerate(sources):
        blocks = _fenced_blocks(src) or _code_elements(src)
        if blocks:
            code, why = _choose(blocks, must_define)
        else:
            # the longest candidate first, so imports above the class are kept
            code, why = _choose(_bare_code_candidates(src), must_define, last_first=False)
            if code is None:
                # bare prose: only call it broken code if it at least mentions the name / looks like code
                looks_like_code = any(_CODE_START.match(l) for l in src.split("\n"))
                if not looks_like_code or (must_define and must_define not in src):
                    why = "reply contains no code block"
        if code is not None:
            return CodeExtraction(code, "")
        if k == 0:
            reason = why
    return CodeExtraction(None, reason)


def extract_text_block(text: str, tag: str, *, strict: bool = False) -> str:
    """Content of the last non-empty ``<tag>...</tag>`` element (an unterminated one runs to the end)
    or of the last fenced block labelled ``tag``; otherwise the whole reply, stripped (``""`` when
    ``strict``: a reply without the block is no answer). Reasoning sections (``<think>``) are
    dropped first."""
    if not text:
        return ""
    text = _normalize(text)
    stripped = _THINK.sub("", text).strip() or text.strip()
    t = re.escape(tag)
    for src in (stripped, text):
        found = [m.group(1).strip() for m in re.finditer(rf"<{t}(?:\s[^>]*)?>(.*?)</{t}\s*>", src, re.S | re.I)]
        found = [f for f in found if f]
        if found:
            return found[-1]
        m = None
        for m in re.finditer(rf"<{t}(?:\s[^>]*)?>", src, re.I):
            pass
        if m is not None and src[m.end():].strip():
            return src[m.end():].strip()
        labelled = [b for b in _fenced_blocks(src) if b.label == tag.lower() and b.code.strip()]
        if labelled:
            return textwrap.dedent(labelled[-1].code).strip()
    return "" if strict else stripped
