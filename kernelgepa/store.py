"""The run store seam: everything a run produces, committed as it happens.

``RunStore`` is the interface the engine talks to; ``SQLiteStore`` (one file per run directory,
WAL mode, a commit per write) is the embedded implementation. A server-backed store can implement
the same methods later without the engine knowing. Rows are plain dicts/JSON, never pickles.
Tables are only ever added (``CREATE TABLE IF NOT EXISTS``), so a store written by an older version
opens, resumes and reports as is: what it never recorded is simply empty.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS strategies (
    id INTEGER PRIMARY KEY, text TEXT NOT NULL, parents TEXT NOT NULL, origin TEXT NOT NULL,
    iteration INTEGER NOT NULL, accepted INTEGER NOT NULL DEFAULT 0, info TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS kernels (
    id INTEGER PRIMARY KEY, task TEXT NOT NULL, strategy_id INTEGER, parent_kernel_id INTEGER,
    source TEXT NOT NULL, status TEXT NOT NULL, speedup REAL, score REAL NOT NULL, result TEXT NOT NULL,
    llm_calls TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS kernels_task ON kernels(task);
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, strategy_id INTEGER NOT NULL, task TEXT NOT NULL,
    kind TEXT NOT NULL, kernel_id INTEGER, score REAL NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS evaluations_strategy ON evaluations(strategy_id);
CREATE TABLE IF NOT EXISTS manual_shown (
    id INTEGER PRIMARY KEY, iteration INTEGER NOT NULL, tag TEXT NOT NULL, llm_call_id TEXT NOT NULL,
    strategy_id INTEGER, section_id TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL, score REAL,
    task TEXT, UNIQUE(iteration, tag, section_id));
CREATE TABLE IF NOT EXISTS manual_shown_writer (
    id INTEGER PRIMARY KEY, kernel_id INTEGER NOT NULL, llm_call_id TEXT NOT NULL, task TEXT NOT NULL,
    strategy_id INTEGER, tag TEXT NOT NULL, section_id TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL,
    score REAL, UNIQUE(kernel_id, llm_call_id, section_id));
CREATE TABLE IF NOT EXISTS llm_calls (
    id TEXT PRIMARY KEY, tag TEXT NOT NULL, model TEXT NOT NULL, record TEXT NOT NULL,
    cost_usd REAL NOT NULL, cached INTEGER NOT NULL, created REAL NOT NULL);
"""


class RunStore(Protocol):
    def get_meta(self, key: str, default: Any = None) -> Any: ...
    def set_meta(self, key: str, value: Any) -> None: ...
    def add_strategy(self, text: str, parents: list[int], origin: str, iteration: int, info: dict | None = None) -> int: ...
    def accept_strategy(self, strategy_id: int) -> None: ...
    def strategies(self, *, accepted_only: bool = False) -> list[dict]: ...
    def add_kernel(self, task: str, source: str, *, strategy_id: int | None, parent_kernel_id: int | None,
                   status: str, speedup: float | None, score: float, result: dict, llm_calls: list[str]) -> int: ...
    def kernels(self, task: str | None = None) -> list[dict]: ...
    def kernel(self, kernel_id: int) -> dict | None: ...
    def best_kernel(self, task: str) -> dict | None: ...
    def kernel_by_source(self, task: str, source: str) -> dict | None: ...
    def kernel_by_attempt(self, task: str, attempt: str) -> dict | None: ...
    def add_evaluation(self, key: str, strategy_id: int, task: str, kind: str, kernel_id: int | None,
                       score: float) -> None: ...
    def evaluation(self, key: str) -> dict | None: ...
    def evaluations(self, *, kind: str | None = None) -> list[dict]: ...
    def add_llm_call(self, record: dict) -> None: ...
    def add_manual_shown(self, iteration: int, tag: str, llm_call_id: str, strategy_id: int | None,
                         sections: list[dict]) -> None: ...
    def manual_shown(self, iteration: int | None = None) -> list[dict]: ...
    def add_writer_manual(self, kernel_id: int, llm_call_id: str, task: str, strategy_id: int | None,
                          sections: list[tuple[str, dict]]) -> None: ...
    def writer_manual(self, kernel_id: int | None = None) -> list[dict]: ...
    def llm_calls(self) -> list[dict]: ...
    def totals(self) -> dict: ...
    def close(self) -> None: ...


class SQLiteStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # ---- plumbing -----------------------------------------------------------------------------
    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            cur = self._db.execute(sql, args)  # autocommit: each finished item is durable at once
            return cur.lastrowid

    def _rows(self, sql: str, args: tuple = ()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def set_meta(self, key: str, value: Any) -> None:
        self._write("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, json.dumps(value)))

    # ---- strategies ---------------------------------------------------------------------------
    def add_strategy(self, text: str, parents: list[int], origin: str, iteration: int, info: dict | None = None) -> int:
        return self._write("INSERT INTO strategies(text, parents, origin, iteration, info, created) VALUES(?,?,?,?,?,?)",
                           (text, json.dumps(parents), origin, iteration, json.dumps(info or {}), time.time()))

    def accept_strategy(self, strategy_id: int) -> None:
        self._write("UPDATE strategies SET accepted = 1 WHERE id = ?", (strategy_id,))

    def strategies(self, *, accepted_only: bool = False) -> list[dict]:
        rows = self._rows("SELECT * FROM strategies" + (" WHERE accepted = 1" if accepted_only else "") + " ORDER BY id")
        for r in rows:
            r["parents"], r["info"], r["accepted"] = json.loads(r["parents"]), json.loads(r["info"]), bool(r["accepted"])
        return rows

    # ---- kernels ------------------------------------------------------------------------------
    def add_kernel(self, task: str, source: str, *, strategy_id: int | None, parent_kernel_id: int | None,
                   status: str, speedup: float | None, score: float, result: dict, llm_calls: list[str]) -> int:
        return self._write(
            "INSERT INTO kernels(task, strategy_id, parent_kernel_id, source, status, speedup, score, result, "
            "llm_calls, created) VALUES(?,?,?,?,?,?,?,?,?,?)",
            (task, strategy_id, parent_kernel_id, source, status, speedup, score, json.dumps(result),
             json.dumps(llm_calls), time.time()))

    def _kernel_rows(self, sql: str, args: tuple) -> list[dict]:
        rows = self._rows(sql, args)
        for r in rows:
            r["result"], r["llm_calls"] = json.loads(r["result"]), json.loads(r["llm_calls"])
        return rows

    def kernel(self, kernel_id: int) -> dict | None:
        rows = self._kernel_rows("SELECT * FROM kernels WHERE id = ?", (kernel_id,))
        return rows[0] if rows else None

    def kernels(self, task: str | None = None) -> list[dict]:
        if task is None:
            return self._kernel_rows("SELECT * FROM kernels ORDER BY id", ())
        return self._kernel_rows("SELECT * FROM kernels WHERE task = ? ORDER BY id", (task,))

    def best_kernel(self, task: str) -> dict | None:
        """The best correct kernel for a task, whichever strategy produced it (ties: the earliest).
        Ranked by the search score, which rises with speedup (or, for NPU kernels, which have none,
        with vector utilisation), then by speedup where the score is floored or capped."""
        rows = self._kernel_rows("SELECT * FROM kernels WHERE task = ? AND status = 'ok' "
                                 "ORDER BY score DESC, speedup DESC, id ASC LIMIT 1", (task,))
        return rows[0] if rows else None

    def kernel_by_source(self, task: str, source: str) -> dict | None:
        """An identical kernel already evaluated for this task (never evaluate the same code twice)."""
        rows = self._kernel_rows("SELECT * FROM kernels WHERE task = ? AND source = ? ORDER BY id LIMIT 1",
                                 (task, source))
        return rows[0] if rows else None

    def kernel_by_attempt(self, task: str, attempt: str) -> dict | None:
        """The kernel a request with this key (``result.attempt``) already produced: a resumed run
        reuses the verdict instead of storing the same reply again."""
        rows = self._kernel_rows("SELECT * FROM kernels WHERE task = ? AND json_extract(result, '$.attempt') = ? "
                                 "ORDER BY id LIMIT 1", (task, attempt))
        return rows[0] if rows else None

    # ---- evaluations --------------------------------------------------------------------------
    def add_evaluation(self, key: str, strategy_id: int, task: str, kind: str, kernel_id: int | None,
                       score: float) -> None:
        self._write("INSERT OR IGNORE INTO evaluations(key, strategy_id, task, kind, kernel_id, score, created) "
                    "VALUES(?,?,?,?,?,?,?)", (key, strategy_id, task, kind, kernel_id, score, time.time()))

    def evaluation(self, key: str) -> dict | None:
        rows = self._rows("SELECT * FROM evaluations WHERE key = ?", (key,))
        return rows[0] if rows else None

    def evaluations(self, *, kind: str | None = None) -> list[dict]:
        if kind is None:
            return self._rows("SELECT * FROM evaluations ORDER BY id")
        return self._rows("SELECT * FROM evaluations WHERE kind = ? ORDER BY id", (kind,))

    # ---- LLM calls ----------------------------------------------------------------------------
    def add_llm_call(self, record: dict) -> None:
        self._write("INSERT OR IGNORE INTO llm_calls(id, tag, model, record, cost_usd, cached, created) "
                    "VALUES(?,?,?,?,?,?,?)", (record["id"], record.get("tag", ""), record.get("model", ""),
                                              json.dumps(record), float(record.get("cost_usd", 0.0)),
                                              int(bool(record.get("cached"))), time.time()))

    # ---- manual sections shown to reflection and to the writer ---------------------------------
    def add_manual_shown(self, iteration: int, tag: str, llm_call_id: str, strategy_id: int | None,
                         sections: list[dict]) -> None:
        """Which sections a reflection read; a replayed (resumed) iteration does not duplicate them."""
        for s in sections:
            self._write("INSERT OR IGNORE INTO manual_shown(iteration, tag, llm_call_id, strategy_id, section_id, "
                        "title, source, score, task) VALUES(?,?,?,?,?,?,?,?,?)",
                        (iteration, tag, llm_call_id, strategy_id, *_section_values(s), s.get("task")))

    def manual_shown(self, iteration: int | None = None) -> list[dict]:
        if iteration is None:
            return self._rows("SELECT * FROM manual_shown ORDER BY id")
        return self._rows("SELECT * FROM manual_shown WHERE iteration = ? ORDER BY id", (iteration,))

    def add_writer_manual(self, kernel_id: int, llm_call_id: str, task: str, strategy_id: int | None,
                          sections: list[tuple[str, dict]]) -> None:
        """Which sections the writer's conversation held when the call ``llm_call_id`` wrote kernel
        ``kernel_id``: (tag, section) pairs, tag ``writer`` for the first prompt's sections and
        ``refine`` for those a refinement turn added. A resumed run re-adding them changes nothing."""
        for tag, s in sections:
            self._write("INSERT OR IGNORE INTO manual_shown_writer(kernel_id, llm_call_id, task, strategy_id, tag, "
                        "section_id, title, source, score) VALUES(?,?,?,?,?,?,?,?,?)",
                        (kernel_id, llm_call_id, task, strategy_id, tag, *_section_values(s)))

    def writer_manual(self, kernel_id: int | None = None) -> list[dict]:
        if kernel_id is None:
            return self._rows("SELECT * FROM manual_shown_writer ORDER BY id")
        return self._rows("SELECT * FROM manual_shown_writer WHERE kernel_id = ? ORDER BY id", (kernel_id,))

    def llm_calls(self) -> list[dict]:
        """Every recorded call in the order it was made (reports chart dollars against rollouts)."""
        rows = self._rows("SELECT * FROM llm_calls ORDER BY created, rowid")
        for r in rows:
            r["record"], r["cached"] = json.loads(r["record"]), bool(r["cached"])
        return rows

    def totals(self) -> dict:
        calls = self._rows("SELECT COUNT(*) AS n, COALESCE(SUM(cost_usd), 0) AS usd, COALESCE(SUM(cached), 0) AS cached, "
                           "COALESCE(SUM(json_extract(record, '$.error') IS NOT NULL), 0) AS failed FROM llm_calls")[0]
        kernels = self._rows("SELECT COUNT(*) AS n FROM kernels")[0]
        return {"llm_calls": calls["n"], "llm_cached": calls["cached"], "llm_failed": calls["failed"],
                "usd": calls["usd"], "rollouts": kernels["n"]}


def _section_values(s: dict) -> tuple:
    """A retrieved manual section (``docs_index.ManualRetriever`` dict) as stored: id, title, source, score."""
    return s["id"], s["title"], s["source"], s.get("score")


# ---- evaluations the engine deferred (kernelgepa.policies.LazyWhereDominated) -------------------
def defer_evaluations(store: RunStore, strategy_id: int, tasks: list[str]) -> None:
    """Record that a strategy's evaluation on these tasks waits until its score there is needed."""
    if tasks:
        store.set_meta("deferred", {**store.get_meta("deferred", {}), str(strategy_id): list(tasks)})


def deferred_evaluations(store: RunStore) -> dict[int, list[str]]:
    """Strategy -> tasks deferred and not evaluated since: no score, no kernel, nothing inherited."""
    out = {}
    for sid, tasks in store.get_meta("deferred", {}).items():
        pending = [t for t in tasks if store.evaluation(f"{sid}:{t}") is None]
        if pending:
            out[int(sid)] = pending
    return out


def unmeasured(store: RunStore, tasks: list[str]) -> dict[str, dict[str, list[int]]]:
    """Task -> the strategies whose result there the harness did not measure for them:
    ``inherited_by`` (they carry a parent's kernel and score, at target) and ``deferred_for`` (not
    evaluated yet: no score at all)."""
    evaluations, deferred = store.evaluations(kind="inherited"), deferred_evaluations(store)
    return {t: {"inherited_by": [e["strategy_id"] for e in evaluations if e["task"] == t],
                "deferred_for": sorted(sid for sid, ts in deferred.items() if t in ts)} for t in tasks}
