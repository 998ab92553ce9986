import multiprocessing as mp
import sqlite3

from kernelgepa.store import SQLiteStore


def test_roundtrip_and_best_kernel(tmp_path):
    st = SQLiteStore(tmp_path / "run.db")
    s1 = st.add_strategy("seed tactics", [], "seed", 0)
    s2 = st.add_strategy("better tactics", [s1], "mutation", 1, {"minibatch": ["a"]})
    st.accept_strategy(s2)
    assert [s["id"] for s in st.strategies(accepted_only=True)] == [s2]
    assert st.strategies()[1]["parents"] == [s1] and st.strategies()[1]["info"] == {"minibatch": ["a"]}
    k1 = st.add_kernel("a", "src1", strategy_id=s1, parent_kernel_id=None, status="ok", speedup=1.5, score=1.6,
                       result={"status": "ok"}, llm_calls=["c1"])
    st.add_kernel("a", "src2", strategy_id=s2, parent_kernel_id=k1, status="incorrect", speedup=None, score=0.2,
                  result={}, llm_calls=[])
    st.add_kernel("a", "src3", strategy_id=s2, parent_kernel_id=k1, status="ok", speedup=1.2, score=1.3,
                  result={}, llm_calls=[])
    assert st.best_kernel("a")["source"] == "src1"  # best survives even though its strategy lost later
    assert st.best_kernel("b") is None
    st.add_evaluation("s2:a:full", s2, "a", "full", k1, 1.6)
    st.add_evaluation("s2:a:full", s2, "a", "full", k1, 9.9)  # idempotent: a resumed run may re-add
    assert st.evaluation("s2:a:full")["score"] == 1.6 and len(st.evaluations(kind="full")) == 1
    st.add_llm_call({"id": "c1", "tag": "kernel", "model": "m", "cost_usd": 0.25, "cached": False})
    st.add_llm_call({"id": "c2", "tag": "kernel", "model": "m", "cost_usd": 0.0, "cached": True})
    assert st.totals() == {"llm_calls": 2, "llm_cached": 1, "llm_failed": 0, "usd": 0.25, "rollouts": 3}
    st.set_meta("config", {"seed": 3})
    assert st.get_meta("config") == {"seed": 3} and st.get_meta("missing", 7) == 7
    st.close()


def _writer(path, n):
    st = SQLiteStore(path)
    for i in range(n):
        st.add_kernel("t", f"k{i}", strategy_id=None, parent_kernel_id=None, status="ok", speedup=1.0, score=1.0,
                      result={}, llm_calls=[])


def test_killed_writer_loses_nothing_committed(tmp_path):
    path = tmp_path / "run.db"
    SQLiteStore(path).close()
    p = mp.get_context("fork").Process(target=_writer, args=(path, 1_000_000))
    p.start()
    import time
    time.sleep(0.5)
    p.kill()  # kill -9 mid-run
    p.join()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n = db.execute("SELECT COUNT(*) FROM kernels").fetchone()[0]
    assert 0 < n < 1_000_000
    assert SQLiteStore(path).kernels("t")[-1]["source"] == f"k{n - 1}"  # every committed row is intact
