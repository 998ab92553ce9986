"""The four prompts: writer, refinement, reflection, merge. Each returns a chat message list and
stays within a character budget, trimming the least useful parts first and saying which."""
from __future__ import annotations

from kernelgepa.prompts import backends
from kernelgepa.prompts.common import CONTRACT, SYSTEM, Part, assemble, manual_text, next_step, rules_text
from kernelgepa.prompts.facts import RunFacts, npu_task_facts, reference_source, task_facts

WRITER_BUDGET = 32_000      # characters of the writer's user message
REFINE_BUDGET = 12_000      # characters of each refinement message
REFLECTION_BUDGET = 60_000
MERGE_BUDGET = 24_000

_INTRO = {"npu": "Write this AMD NPU (AIE2) kernel in C++ with the AIE API. NPUEval task:"}


def _task_parts(backend: str, task, language: str, run: RunFacts | None) -> list[Part]:
    """The task as the writer sees it; ``task`` is a loaded Task/NpuTask (or, bare, its brief text)."""
    intro = _INTRO.get(backend, f"Optimize this PyTorch reference with a custom {backend} kernel.\n\nReference:")
    if isinstance(task, str):
        return [Part("task", f"{intro}\n```{language}\n{task.strip()}\n```")]
    if backend == "npu":
        return [Part("task", f"{intro}\n```{language}\n{task.brief.strip()}\n```"),
                Part("facts", npu_task_facts(task, run))]
    return [Part("task", f"Task: {task.name}\n{intro}\n```{language}\n{reference_source(task)}\n```"),
            Part("facts", task_facts(task, run))]


def fixed_rules(backend: str, run: RunFacts | None = None) -> list[Part]:
    """What every writer prompt of the run states regardless of strategy: rules, construction contract,
    answer format with its example, compile routes."""
    b = backends.get(backend)
    parts = [Part("rules", rules_text(backend, run.rules if run else "kernelbench"))]
    if backend != "npu":
        parts.append(Part("construction contract", CONTRACT))
    parts += [Part("answer format", b.FORMAT), Part("compile routes", b.ROUTES, drop=1, short=b.ROUTES.split("\n")[1])]
    return parts


def _manual_parts(sections, drop: int, heading: str) -> list[Part]:
    return [Part(f"manual section [{m['id']}]", (heading + "\n" if i == 0 else "") + manual_text([m]), drop=drop)
            for i, m in enumerate(sections or [])]


def writer_messages(backend: str, strategy: str, task, previous: tuple[str, str] | None = None, *,
                    language: str | None = None, run: RunFacts | None = None, manual: list[dict] = (),
                    budget: int = WRITER_BUDGET) -> list[dict]:
    """First attempt at a task under a strategy. ``task``: the loaded task; ``previous`` = (best kernel so
    far, the harness's feedback on it); ``manual``: sections retrieved for this task."""
    language = language or getattr(task, "language", "python")
    parts = _task_parts(backend, task, language, run)
    parts.append(Part("strategy", f"Strategy to follow:\n{strategy.strip()}"))
    parts += fixed_rules(backend, run)[:-2]  # rules and contract before the kernel; format last
    if previous:
        code = f"The best kernel so far for this task:\n```{language}\n{previous[0].strip()}\n```\n"
        verdict = f"Harness verdict on it:\n{previous[1]}\nImprove on it."
        parts.append(Part("best kernel so far", code + verdict, drop=2, short=verdict))
    parts += _manual_parts(manual, 3, "Manual sections that may help:")
    parts += fixed_rules(backend, run)[-2:]
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": assemble(parts, budget)}]


def refine_messages(base: list[dict], source: str, feedback: str, status: str, *, language: str = "python",
                    manual: list[dict] = (), budget: int = REFINE_BUDGET) -> list[dict]:
    """Continue the conversation with the harness's verdict on the last attempt (and manual sections
    retrieved for it); only a failed kernel is asked to be fixed."""
    parts = [Part("feedback", f"Harness feedback:\n{feedback}", drop=1, short=f"Harness feedback:\n{feedback[:budget // 2]}")]
    parts += _manual_parts(manual, 2, "Manual sections on this result:")
    parts.append(Part("ask", f"{next_step(status)} Return the full code block."))
    return base + [{"role": "assistant", "content": f"```{language}\n{source.strip()}\n```"},
                   {"role": "user", "content": assemble(parts, budget)}]


def _attempt_line(a: dict) -> str:
    speed = f", speedup {a['speedup']:.2f}x" if a.get("speedup") is not None else ""
    origin = f" (refined from kernel {a['parent']})" if a.get("parent") else ""
    return f"- kernel {a['id']}{origin}: {a['status']}{speed}, score {a['score']:.2f}: {a.get('key', '')}".rstrip(": ")


def _record_parts(r: dict, tasks: dict | None, backend: str, rank: int) -> list[Part]:
    lang = r.get("language", "python")
    task = (tasks or {}).get(r["task"])
    head = f"### Task {r['task']}"
    ref = ""
    if task is not None:
        facts = npu_task_facts(task, None) if backend == "npu" else task_facts(task, None)
        body = task.brief.strip() if backend == "npu" else reference_source(task)
        ref = f"\nReference:\n```{lang}\n{body}\n```\n{facts}"
    parts = [Part(f"reference of {r['task']}", head + ref, drop=2, short=head)]
    history = r.get("history") or []
    if history:
        lines = "\n".join(_attempt_line(a) for a in history)
        parts.append(Part(f"attempt history of {r['task']}",
                          "Attempts under this strategy, oldest first (score under 0.5: not correct, partial credit "
                          f"by how far it got; 0.5 and up: correct, rising with speed or, on NPU, vector use):\n{lines}",
                          drop=3,
                          short="Attempts: " + ", ".join(f"{a['id']} {a['status']}" for a in history)))
    code = f"Kernel (its best attempt):\n```{lang}\n{r['source'].strip()}\n```\n" if r.get("source") else ""
    verdict = f"Harness feedback:\n{r['feedback']}"
    parts.append(Part(f"best kernel of {r['task']}", code + verdict, drop=1 + (rank > 0), short=verdict))
    return parts


def reflection_messages(backend: str, strategy: str, records: list[dict], manual: list[dict], *,
                        tasks: dict | None = None, run: RunFacts | None = None,
                        budget: int = REFLECTION_BUDGET) -> list[dict]:
    """``records``: [{task, source, feedback, language?, history?}] from the parent's kernels on the
    minibatch (``history``: every attempt under the strategy, see ``feedback.attempt_history``);
    ``tasks``: name -> loaded task, for the references."""
    parts = [Part("role", f"You maintain the strategy (tactics, pitfalls, API facts) that guides an LLM writing "
                          f"{backend} kernels for many different tasks."),
             Part("strategy", f"Current strategy:\n<strategy>\n{strategy.strip()}\n</strategy>")]
    fixed = "\n\n".join(p.text for p in fixed_rules(backend, run)[:-1])
    device = f"\n\n{run.lines()}" if run else ""
    parts.append(Part("writer rules", "The writer's fixed instructions, which come with every strategy (the harness "
                      "enforces them; the strategy must not contradict them and need not repeat them):\n\n"
                      f"{fixed}{device}", drop=1, short=rules_text(backend, run.rules if run else "kernelbench")))
    parts.append(Part("evidence", "Kernels written under it and what the harness said:"))
    for i, r in enumerate(records):
        parts += _record_parts(r, tasks, backend, i)
    parts += _manual_parts(manual, 4, "Relevant manual sections:")
    parts.append(Part("ask", "Write an improved strategy. Keep what worked, fix what failed (errors fixed during "
                             "refinement are lessons too), and state lessons that generalize to other kernels rather "
                             "than patching one task. Reply with the new strategy inside <strategy></strategy>."))
    return [{"role": "user", "content": assemble(parts, budget)}]


def _evidence_text(evidence: dict | None) -> str:
    if not evidence:
        return ""
    return "\n".join(f"- {t}: {e['status']}" + (f", speedup {e['speedup']:.2f}x" if e.get("speedup") is not None else "")
                     + f", score {e['score']:.2f}" + (f": {e['key']}" if e.get("key") else "")
                     for t, e in sorted(evidence.items()))


def merge_messages(a: str, b: str, solved_a: list[str], solved_b: list[str], *, evidence_a: dict | None = None,
                   evidence_b: dict | None = None, budget: int = MERGE_BUDGET) -> list[dict]:
    """``evidence_*``: task -> {status, speedup, score, key} of each parent's kernel (``feedback.strategy_evidence``)."""
    parts = [Part("intro", "Two strategies for writing kernels were each best on different tasks.")]
    for label, text, won, ev in (("A", a, solved_a, evidence_a), ("B", b, solved_b, evidence_b)):
        parts.append(Part(f"strategy {label}", f"Strategy {label} (best on: {', '.join(won) or 'none'}):\n"
                                               f"<strategy>\n{text.strip()}\n</strategy>"))
        if ev:
            full = f"Strategy {label}'s kernels, per task:\n{_evidence_text(ev)}"
            short = f"Strategy {label}'s kernels, per task:\n" + _evidence_text({t: {**e, 'key': ''} for t, e in ev.items()})
            parts.append(Part(f"evidence for {label}", full, drop=1, short=short))
    parts.append(Part("ask", "Write one strategy that keeps the insights of both and resolves contradictions (do not "
                             "just concatenate; the per-task results show which tactics worked where). "
                             "Reply inside <strategy></strategy>."))
    return [{"role": "user", "content": assemble(parts, budget)}]
