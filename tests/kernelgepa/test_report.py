"""``kernelgepa report`` on a real run store (the engine's mock-LLM end-to-end run), on a truncated
copy of it (a run killed half way), on an empty store and on eval --json output; the numbers are
checked against the store itself."""
from __future__ import annotations

import csv
import json
import math
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR
from kernelgepa.cli import main
from kernelgepa.report.build import build_report
from kernelgepa.outputs import write_outputs
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.test_cli import one_line_usage_error
from tests.kernelgepa.test_engine_e2e import TASKS, run  # noqa: F401 - registers its fixture `run` here

P = ["0.0", "0.5", "0.8", "1.0", "1.5", "2.0"]
CHROME_NAMES = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome", "google-chrome-stable", "chrome")


def _expected(store: SQLiteStore, tasks: list[str]) -> dict:
    """fast_p and geomeans computed straight from the store's best kernels, without the report code."""
    best = {t: store.best_kernel(t) for t in tasks}
    speeds = [b["speedup"] for b in best.values() if b]
    return {"best": best,
            "fast_p": {p: sum(1 for s in speeds if s > float(p)) / len(tasks) for p in P},
            "geomean": math.prod(speeds) ** (1 / len(speeds)) if speeds else None,
            "geomean_all": math.prod(speeds) ** (1 / len(tasks)) if speeds else 1.0}


@pytest.fixture(scope="module")
def engine_run(request) -> dict:
    """test_engine_e2e's mock-LLM run (real engine, sandbox and store), made once for this module."""
    return request.getfixturevalue("run")


@pytest.fixture(scope="module")
def report(engine_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    rep = build_report([str(engine_run["dir"])], out)
    return {"rep": rep, "out": out, "json": json.loads((out / "report.json").read_text())["runs"][0]}


@pytest.fixture(scope="module")
def half_run(engine_run, tmp_path_factory) -> Path:
    """A copy of the run store cut after its 4th kernel, as if the run had been killed there."""
    half = tmp_path_factory.mktemp("half")
    src, dst = sqlite3.connect(engine_run["dir"] / "run.db"), sqlite3.connect(half / "run.db")
    src.backup(dst)
    src.close()
    cut_id, cut = dst.execute("SELECT id, created FROM kernels ORDER BY id LIMIT 1 OFFSET 3").fetchone()
    dst.execute("DELETE FROM kernels WHERE id > ?", (cut_id,))
    for table in ("evaluations", "strategies", "llm_calls"):
        dst.execute(f"DELETE FROM {table} WHERE created > ?", (cut,))
    dst.execute("DELETE FROM meta WHERE key IN ('stopped', 'iteration', 'wall_s')")  # not there yet this early
    dst.commit()
    dst.close()
    return half


# ---- numbers against the store ------------------------------------------------------------------
def test_fast_p_and_geomeans_match_the_store(engine_run, report):
    exp = _expected(engine_run["store"], TASKS)
    s = report["json"]["summary"]
    assert s["n_tasks"] == len(TASKS) and s["n_correct"] == sum(1 for b in exp["best"].values() if b)
    for p in P:
        assert s["fast_p"][p] == pytest.approx(exp["fast_p"][p])
    assert s["geomean_speedup"] == pytest.approx(exp["geomean"])
    assert s["geomean_speedup_all"] == pytest.approx(exp["geomean_all"])
    assert report["json"]["by_level"]["1"]["fast_p"] == s["fast_p"]  # the suite's tasks are all level 1
    table = report["out"] / "csv" / f"{engine_run['dir'].name}__fast_p_and_geometric-mean_speedup.csv"
    rows = list(csv.reader(table.open()))
    assert rows[0][3:9] == ["fast_0", "fast_0.5", "fast_0.8", "fast_1", "fast_1.5", "fast_2"]
    assert [float(v) for v in rows[1][3:9]] == pytest.approx([exp["fast_p"][p] for p in P])


def test_per_task_rows_match_the_store(engine_run, report):
    st = engine_run["store"]
    summary = json.loads((engine_run["dir"] / "summary.json").read_text())["per_task"]
    all_ids = [k["id"] for k in st.kernels()]
    rows = {t["task"]: t for t in report["json"]["tasks"]}
    for t in TASKS:
        best, row = st.best_kernel(t), rows[t]
        assert row["kernel_id"] == best["id"] and row["strategy_id"] == best["strategy_id"]
        assert row["speedup"] == pytest.approx(best["speedup"]) and row["status"] == "ok"
        assert row["kernel_ms"] == pytest.approx(best["result"]["kernel_ms"])
        assert row["baseline_ms"] == pytest.approx(best["result"]["baseline_ms"])
        assert row["attempts"] == len(st.kernels(t)) == summary[t]["rollouts"]
        assert row["attempts_to_best"] == summary[t]["rollouts_to_best"]
        assert row["rollouts_to_best"] == sum(1 for i in all_ids if i <= best["id"])
        assert row["usd_to_best"] == 0.0  # the mock model has no price
    strategies = {s["id"]: s for s in st.strategies()}
    assert rows["5_Softmax"]["strategy_label"] == strategies[rows["5_Softmax"]["strategy_id"]]["text"].strip()


def test_search_progress_follows_store_order(engine_run, report):
    st, prog = engine_run["store"], report["json"]["progress"]
    assert [p["rollouts"] for p in prog] == list(range(1, st.totals()["rollouts"] + 1))
    best: dict[str, float] = {}
    for k, point in zip(st.kernels(), prog):
        if k["status"] == "ok":
            best[k["task"]] = max(best.get(k["task"], 0.0), k["speedup"])
        assert point["fast_0"] == pytest.approx(len(best) / len(TASKS))
        assert point["fast_1"] == pytest.approx(sum(1 for v in best.values() if v > 1.0) / len(TASKS))


def test_lineage_matches_the_store(engine_run, report):
    got = {s["id"]: s for s in report["json"]["strategies"]}
    for s in engine_run["store"].strategies():
        g = got[s["id"]]
        assert (g["parents"], g["origin"], g["accepted"]) == (s["parents"], s["origin"], s["accepted"])
    for e in engine_run["store"].evaluations():
        assert got[e["strategy_id"]]["scores"][e["task"]] == pytest.approx(e["score"])


def test_html_is_one_self_contained_file_with_kernels_diffs_and_lineage(engine_run, report):
    html = (report["out"] / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html) and "<script" not in html
    assert html.count("data:image/png;base64,") >= 3 and "<table>" in html
    assert 'class="hl"' in html and "ModelNew" in html  # highlighted best kernels
    assert "diff from the first correct kernel" in html
    assert "merge of #" in html and "rejected" in html  # lineage: the merge and the gate's rejections
    plots = {p.name for p in (report["out"] / "plots").iterdir()}
    assert {"fast_p.png", "progress_rollouts.png"} <= plots and "progress_usd.png" not in plots  # no $ spent


def test_manual_sections_each_reflection_read_are_listed(engine_run, report):
    shown = engine_run["store"].manual_shown()
    html = (report["out"] / "report.html").read_text()
    assert shown and report["rep"].runs[0].manual == shown
    assert all(f"<code>{m['section_id']}</code>" in html for m in shown)


def test_manual_sections_the_writer_was_shown_are_listed_with_its_best_kernel(tmp_path):
    """``RunStore.writer_manual`` rows reach the JSON, and the HTML lists them under the best kernel
    they were written with (the first prompt's and a refinement turn's), not under other kernels."""
    st = SQLiteStore(tmp_path / "run" / "run.db")
    st.set_meta("config", {"tasks": ["a"]})
    k1 = st.add_kernel("a", "# first", strategy_id=None, parent_kernel_id=None, status="incorrect", speedup=None,
                       score=0.1, result={"status": "incorrect"}, llm_calls=["c1"])
    k2 = st.add_kernel("a", "# best", strategy_id=None, parent_kernel_id=k1, status="ok", speedup=2.0, score=2.0,
                       result={"status": "ok", "speedup": 2.0}, llm_calls=["c2"])
    section = {"title": "T", "source": "cpu.md", "score": 0.5}
    st.add_writer_manual(k1, "c1", "a", None, [("writer", {**section, "id": "cpu.only-first"})])
    st.add_writer_manual(k2, "c2", "a", None, [("writer", {**section, "id": "cpu.vectorize"}),
                                               ("refine", {**section, "id": "cpu.wrong-values"})])
    rows = st.writer_manual()
    st.close()
    build_report([str(tmp_path / "run")], tmp_path / "out", ["json", "html"])
    assert json.loads((tmp_path / "out" / "report.json").read_text())["runs"][0]["writer_manual"] == rows
    html = (tmp_path / "out" / "report.html").read_text()
    shown = html[html.index("manual sections the writer was shown"):]
    assert "<code>cpu.vectorize</code>" in shown and "<code>cpu.wrong-values</code>" in shown
    assert "in a refinement turn" in shown and "cpu.only-first" not in html  # k1 is not a best kernel


@pytest.fixture(scope="module")
def lazy_run(tmp_path_factory) -> dict:
    """A run under lazy full evaluation (test_policies_lazy_noisy's fakes): the accepted child KID
    inherited its parent's result on d (at target) and deferred c (dominated there)."""
    from tests.kernelgepa.test_policies_lazy_noisy import TASKS as LAZY_TASKS
    from tests.kernelgepa.test_policies_lazy_noisy import _child_of_seed, _engine

    d = tmp_path_factory.mktemp("lazy")
    eng, store, _, _ = _engine(d)
    kid = _child_of_seed(eng)["id"]
    summary = write_outputs(d, store, LAZY_TASKS, 1.0)
    store.close()
    build_report([str(d)], d / "report", ["json", "md", "html"])
    return {"dir": d, "kid": kid, "summary": summary, "out": d / "report"}


def _md_row(md: str, title: str, first: str) -> list[str]:
    """The cells of the row starting with ``first`` in the markdown table titled ``title``."""
    table = md[md.index(f"**{title}**"):]
    line = next(ln for ln in table.splitlines() if ln.startswith(f"| {first} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_inherited_and_deferred_scores_are_marked_not_shown_as_measured(lazy_run):
    kid, out, name = lazy_run["kid"], lazy_run["out"], lazy_run["dir"].name
    doc = json.loads((out / "report.json").read_text())["runs"][0]
    strategies = {s["id"]: s for s in doc["strategies"]}
    assert (strategies[kid]["inherited"], strategies[kid]["deferred"]) == (["d"], ["c"])
    assert "c" not in strategies[kid]["scores"]  # deferred: no score at all, not a 0
    tasks = {t["task"]: t for t in doc["tasks"]}
    assert (tasks["d"]["inherited_by"], tasks["c"]["deferred_for"]) == ([kid], [kid])
    assert tasks["d"]["strategy_id"] == 1  # the best kernel is the parent's measured one
    md = (out / "report.md").read_text()
    # lineage: KID's d is its parent's score, marked; c is deferred, not "-" and not 0; the seed's own are plain
    kid_row, seed_row = _md_row(md, f"{name}: strategy lineage", str(kid)), _md_row(md, f"{name}: strategy lineage", "1")
    lineage = md[md.index(f"**{name}: strategy lineage**"):]
    header = [c.strip() for c in lineage.splitlines()[2].strip("|").split("|")]
    cell = dict(zip(header, kid_row))
    assert cell["d"] == f"{strategies[1]['scores']['d']:.2f}↑" and cell["c"] == "deferred"
    assert cell["a"] == f"{strategies[kid]['scores']['a']:.2f}" and not any("↑" in c for c in seed_row)
    assert "↑ = inherited" in lineage.split("\n\n")[2] and "neither a failure nor 0" in lineage
    # per task: who holds the result without measuring it, and that the best kernel is a measured one
    per_task = md[md.index(f"**{name}: per task**"):]
    header = [c.strip() for c in per_task.splitlines()[2].strip("|").split("|")]
    d_row, c_row = (dict(zip(header, _md_row(md, f"{name}: per task", f"- | {t}"))) for t in "dc")
    assert (d_row["inherited by"], d_row["deferred for"], d_row["strategy"][:3]) == (f"#{kid}", "-", "#1 ")
    assert (c_row["inherited by"], c_row["deferred for"]) == ("-", f"#{kid}")
    assert "always one the harness measured" in per_task.split("\n\n")[2]
    html = (out / "report.html").read_text()
    measured = {t: f"{t}: correct, kernel #{tasks[t]['kernel_id']}, measured, written by strategy "
                   f"#{tasks[t]['strategy_id']}" for t in "cd"}
    assert f"{measured['d']}; inherited ↑ by #{kid}</summary>" in html
    assert f"{measured['c']}; deferred (not evaluated yet) for #{kid}</summary>" in html
    assert "A best kernel is always one the harness measured" in html
    assert "(1 ↑ inherited), 1 deferred" in html and "↑ = inherited" in html


def test_run_summary_in_the_terminal_says_who_inherited_or_deferred(lazy_run, capsys):
    from kernelgepa.tables import print_run_summary

    print_run_summary(lazy_run["summary"])
    out = capsys.readouterr().out
    kid = f"#{lazy_run['kid']}"
    rows = {cells[0]: cells for cells in ([c.strip() for c in re.split("[│┃]", ln)[1:-1]] for ln in out.splitlines()
                                          if ln.startswith(("│", "┃")))}
    assert rows["task"][-2:] == ["inherited by", "deferred for"] and "always a measured one" in out
    assert rows["d"][-3:] == ["1", kid, "-"] and rows["c"][-2:] == ["-", kid] and rows["a"][-2:] == ["-", "-"]


# ---- unfinished, empty and bad inputs -----------------------------------------------------------
def test_half_finished_run_says_so_and_reports_what_the_store_holds(half_run, tmp_path, capsys):
    assert main(["report", str(half_run), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "unfinished run: no summary.json" in out
    st = SQLiteStore(half_run / "run.db")
    exp = _expected(st, TASKS)
    missing = [t for t in TASKS if not st.kernels(t)]
    st.close()
    doc = json.loads((tmp_path / "report.json").read_text())["runs"][0]
    assert doc["summary"]["fast_p"] == pytest.approx(exp["fast_p"])
    assert len(doc["progress"]) == 4
    assert ("not attempted yet" in " ".join(doc["notes"])) == bool(missing)
    html = (tmp_path / "report.html").read_text()
    assert "unfinished run" in html and "stopped: not recorded" in html


def test_empty_run_says_so(tmp_path, capsys):
    SQLiteStore(tmp_path / "run" / "run.db").close()
    assert main(["report", str(tmp_path / "run"), "--out", str(tmp_path / "out")]) == 0
    assert "empty run" in capsys.readouterr().out
    assert "empty run" in (tmp_path / "out" / "report.html").read_text()
    assert json.loads((tmp_path / "out" / "report.json").read_text())["runs"][0]["summary"] is None


def test_bad_inputs_get_one_line(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    (tmp_path / "x.json").write_text('{"tasks": []}')
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "run.db").write_bytes(b"not sqlite at all" * 100)
    for args, needle in ([str(tmp_path / "nope")], "no such file"), ([str(tmp_path / "plain")], "no run.db"), \
            ([str(tmp_path / "x.json")], "not an eval --json"), ([str(tmp_path / "junk")], "not a readable run"), \
            ([str(tmp_path / "plain"), "--format", "pdf"], "unknown format"):
        rc = main(["report", *args, "--out", str(tmp_path / "o")])
        assert needle in one_line_usage_error(rc, capsys.readouterr().err)


# ---- eval --json, comparison, NPU fields, dollars, no matplotlib ------------------------------
@pytest.fixture(scope="module")
def eval_json(tmp_path_factory, cache_root) -> Path:
    """Real ``kernelgepa eval --json`` over two suite tasks and the shipped CPU examples."""
    d = tmp_path_factory.mktemp("eval")
    (d / "level1").mkdir()
    for t in ("1_ReLU", "2_LeakyReLU"):
        shutil.copy(next(SUITE_DIR.rglob(f"{t}.py")), d / "level1" / f"{t}.py")
    out = d / "eval.json"
    assert main(["eval", "--tasks", str(d), "--solutions", str(EXAMPLES_DIR / "cpu"), "--trials", "1",
                 "--threads", "2", "--cache-dir", str(cache_root), "--json", str(out)]) == 0
    return out


def test_eval_json_input(eval_json, tmp_path):
    doc = json.loads(eval_json.read_text())
    rep = build_report([str(eval_json)], tmp_path, ["json", "md"])
    got = json.loads((tmp_path / "report.json").read_text())["runs"][0]
    assert got["kind"] == "eval" and got["summary"]["fast_p"] == doc["summary"]["fast_p"]
    for r, row in zip(doc["results"], got["tasks"]):
        assert (row["task"], row["status"], row["kernel_ms"]) == (r["task"], r["status"], r["kernel_ms"])
    md = (tmp_path / "report.md").read_text()
    assert "rollouts to best" not in md and "| 1 | 1_ReLU |" in md
    assert not rep.messages


def test_two_runs_side_by_side(engine_run, half_run, eval_json, tmp_path):
    rep = build_report([str(engine_run["dir"]), str(half_run), str(eval_json)], tmp_path, ["json", "csv"])
    comp = json.loads((tmp_path / "report.json").read_text())["comparison"]
    summary, per_task = comp
    stores = [engine_run["store"], SQLiteStore(half_run / "run.db")]
    bests = [{t: s.best_kernel(t) for t in TASKS} for s in stores]
    stores[1].close()
    evals = {r["task"]: r for r in json.loads(eval_json.read_text())["results"]}
    names = [r.name for r in rep.runs]
    for task, *cells, winner in per_task["rows"]:
        speeds = [(b[task] or {}).get("speedup") for b in bests]
        e = evals.get(task)
        speeds.append(e["speedup"] if e and e["status"] == "ok" else None)
        if e is None:
            assert cells[2] == "not in run"
        top = max(s for s in speeds if s)
        who = [names[i] for i, s in enumerate(speeds) if s and s >= top * 0.98]
        assert winner == (who[0] if len(who) == 1 else "tie: " + ", ".join(who))
    won = {row[0]: row[-2] for row in summary["rows"]}
    assert sum(won.values()) == sum(1 for *_, w in per_task["rows"] if not w.startswith(("tie", "no run")))
    assert (tmp_path / "csv" / "comparison__summary.csv").is_file()


def test_npu_vector_utilisation_is_labelled(eval_json, tmp_path):
    doc = json.loads(eval_json.read_text())
    doc["results"][0].update(vector_util=0.30, vector_util_kind="estimated")
    doc["results"][1].update(vector_util=0.10, vector_util_kind="estimated")
    npu = tmp_path / "npu.json"
    npu.write_text(json.dumps(doc))
    build_report([str(npu)], tmp_path / "o", ["md"])
    md = (tmp_path / "o" / "report.md").read_text()
    assert "NPU pass rate and vector utilisation" in md and "| 20.0% | estimated |" in md
    doc["results"][1]["vector_util_kind"] = "trace"
    npu.write_text(json.dumps(doc))
    build_report([str(npu)], tmp_path / "o", ["md"])
    assert "mixed or unlabelled: estimated, real" in (tmp_path / "o" / "report.md").read_text()


def test_dollars_to_best_and_dollar_progress(tmp_path):
    st = SQLiteStore(tmp_path / "run" / "run.db")
    st.set_meta("config", {"tasks": ["a", "b"]})
    spent = 0.0
    for i, (task, status, speedup) in enumerate([("a", "incorrect", None), ("a", "ok", 1.5), ("b", "ok", 0.5),
                                                 ("a", "ok", 3.0)]):
        st.add_llm_call({"id": f"c{i}", "tag": "kernel", "model": "m", "cost_usd": 0.25 * (i + 1)})
        spent += 0.25 * (i + 1)
        st.add_kernel(task, f"# {i}", strategy_id=None, parent_kernel_id=None, status=status, speedup=speedup,
                      score=0.0, result={"status": status, "speedup": speedup}, llm_calls=[f"c{i}"])
    st.close()
    rep = build_report([str(tmp_path / "run")], tmp_path / "out")
    rows = {t.task: t for t in rep.runs[0].tasks}
    assert (rows["a"].usd_to_best, rows["a"].rollouts_to_best, rows["a"].attempts_to_best) == (2.5, 4, 3)
    assert (rows["b"].usd_to_best, rows["b"].rollouts_to_best) == (1.5, 3)
    assert [(p.usd, p.fast_1) for p in rep.runs[0].progress] == [(0.25, 0.0), (0.75, 0.5), (1.5, 0.5), (2.5, 0.5)]
    assert (tmp_path / "out" / "plots" / "progress_usd.png").stat().st_size > 5000


@pytest.fixture
def npu_run(tmp_path) -> Path:
    """A store shaped like `optimize --backend npu` leaves it: correct AIE C++ kernels with estimated
    utilisation and no speedup (NPU kernels are not timed against a reference)."""
    st = SQLiteStore(tmp_path / "npu-run" / "run.db")
    st.set_meta("config", {"tasks": ["add_int8", "relu_bf16"], "backend": "npu"})
    for task, status, util in [("add_int8", "compile_error", None), ("add_int8", "ok", 0.42),
                               ("relu_bf16", "ok", 0.01)]:
        result = {"status": status, "speedup": None, "vector_util": util,
                  "vector_util_kind": "estimated" if util is not None else None}
        st.add_kernel(task, f"#include <aie_api/aie.hpp>\nvoid {task}(int8_t *in) {{ /* {status} */ }}\n",
                      strategy_id=None, parent_kernel_id=None, status=status, speedup=None, score=util or 0.0,
                      result=result, llm_calls=[])
    st.close()
    return tmp_path / "npu-run"


def test_npu_run_html_shows_labelled_utilisation_and_cpp_kernels(npu_run, tmp_path):
    build_report([str(npu_run)], tmp_path / "o", ["html"])
    page = (tmp_path / "o" / "report.html").read_text()
    assert "add_int8: 42.0% vector utilisation (estimated), kernel #2" in page
    assert "relu_bf16: 1.0% vector utilisation (estimated)" in page
    assert "NPU pass rate and vector utilisation" in page
    # C++ lexer: the #include line is a preprocessor token (the Python lexer would call it a comment)
    assert '<span class="cp">#include' in page and '<span class="c1">#include' not in page


def test_npu_run_counts_correct_kernels_without_speedup(npu_run):
    rep = build_report([str(npu_run)], npu_run / "report", ["json"])
    assert [(p.fast_0, p.fast_1) for p in rep.runs[0].progress] == [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0)]


def test_without_matplotlib_one_line_and_the_rest_of_the_report(engine_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert main(["report", str(engine_run["dir"]), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("matplotlib is not installed") == 1
    assert "<table>" in (tmp_path / "report.html").read_text() and not (tmp_path / "plots").exists()


# ---- the HTML in a real browser -------------------------------------------------------------------
def _browser_screenshot(page: Path, png: Path) -> str:
    """Screenshot and DOM of the page in headless Chromium (binary, else playwright); skips without one."""
    exe = next((shutil.which(n) for n in CHROME_NAMES if shutil.which(n)), None)
    if exe:
        flags = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2400"]
        subprocess.run(flags + [f"--screenshot={png}", page.as_uri()], check=True, capture_output=True, timeout=120)
        return subprocess.run(flags + ["--dump-dom", page.as_uri()], check=True, capture_output=True, text=True,
                              timeout=120).stdout
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("no chromium/google-chrome binary and no playwright: cannot screenshot the HTML report")
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch()
        except Error as e:
            pytest.skip(f"playwright is installed but has no Chromium: {str(e).splitlines()[0]}")
        tab = browser.new_page(viewport={"width": 1280, "height": 2400})
        tab.goto(page.as_uri())
        assert tab.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 100)")
        tab.screenshot(path=str(png))
        dom = tab.content()
        browser.close()
        return dom


def test_html_renders_table_and_plot_in_headless_chromium(report, tmp_path):
    image = pytest.importorskip("PIL.Image")
    dom = _browser_screenshot(report["out"] / "report.html", tmp_path / "shot.png")
    assert "<table>" in dom and dom.count("<img") >= 3
    shot = image.open(tmp_path / "shot.png").convert("RGB")
    assert shot.width >= 1000 and shot.height >= 1000
    colors = shot.getcolors(maxcolors=1 << 20)
    count = {c: n for n, c in colors}

    def near(rgb, tol=6):
        return sum(n for c, n in count.items() if all(abs(a - b) <= tol for a, b in zip(c, rgb)))

    assert len(colors) > 50, "the screenshot is (nearly) blank"
    assert near((0xEE, 0xF2, 0xF7)) > 2000, "no table header background in the screenshot"
    assert near((0x1F, 0x77, 0xB4)) + near((0xFF, 0x7F, 0x0E)) > 500, "no plot lines or bars in the screenshot"
