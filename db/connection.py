"""The one database handle of a server process.

Pattern (measured by ``bench/bench_foundation.py`` and proved by
``tests/test_db.py::test_concurrent_audited_writes``):

* **One DuckDB instance per process.**  DuckDB allows a single writer
  process per file, and every Streamlit session of the server is a thread of
  that one process, so :func:`get_db` hands out one shared ``Database``.
* **A cursor per use.**  ``con.cursor()`` gives each read its own
  connection to the same instance; cursors are cheap and thread-safe to use
  from their own thread, so readers never block each other or the writer.
* **Writes are serialised by a process-wide lock.**  DuckDB's optimistic
  concurrency fails concurrent transactions touching the same rows with
  ``TransactionException: Conflict`` and, after that, a ``COMMIT`` returns
  without error yet commits nothing.  Every write also appends to the audit
  hash chain (the same head row), so concurrent writers would always
  conflict.  Holding one lock for the short write transaction avoids the
  conflicts instead of paying for them; a bounded retry of the *whole*
  transaction remains as a safety net (e.g. against a checkpoint).
* **Group commit.**  Measured on this 2-core machine, a DuckDB statement
  costs 0.3–0.7 ms and a commit about 0.8 ms, so one audited write in a
  transaction of its own (check, insert, audit row, audit head, commit)
  takes ~5 ms: ~150 writes/s however many threads wait.  :meth:`Database.write`
  therefore commits the units that queued up while the previous transaction
  ran together, in one transaction, and the audit rows of a transaction are
  written with one statement before it commits (``sgld.audit.flush``).  Each
  caller still gets all-or-nothing for its own unit (a failing unit is
  re-run alone, the others without it) — see ``write``.  A new leader waits
  up to 2 ms for as many units as the previous group had (``_gather``):
  without it 8 busy writers alternated groups of 1 and 7 (~400 writes/s);
  with it they commit 8 at a time (figure in README.md).  A lone writer
  never waits.
* **Explicit transactions** via :meth:`Database.transaction`; the callback
  form :meth:`Database.write` is what services use so a retry re-runs the
  whole unit of work.

SQL here and in the services stays in the common subset of DuckDB and
PostgreSQL where that costs nothing (sequences with ``nextval``, standard
types, ``ON CONFLICT``), so a later PostgreSQL backend can reuse it.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import duckdb

from sgld import audit
from sgld.errors import DatabaseBusy

T = TypeVar("T")

MAX_RETRIES = 5
MAX_GROUP = 64  # units committed together at most
GATHER_S = 0.002  # a new leader waits at most this long for the previous group's writers


class _Unit:
    """One caller's unit of work waiting for (or done by) a group commit."""
    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn):
        self.fn, self.done, self.result, self.error = fn, False, None, None

    def finish(self, result=None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True


def _config(threads: int | None) -> dict:
    # A bulk append (a 1,000,000-row penalty run is one transaction) writes
    # its row groups to the file as each fills instead of buffering five:
    # the run's peak memory drops by ~250 MB (925 -> 676 MB) at the same speed.
    config = {"write_buffer_row_group_count": 1}
    if threads:
        config["threads"] = threads
    return config


class Database:
    def __init__(self, path: str | Path, threads: int | None = None):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path, config=_config(threads))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseBusy(
                    f"数据库文件 {self.path} 正被另一个进程（通常是正在运行的系统）占用。"
                    "请先停止系统，或在系统管理页面中操作。"
                ) from exc
            raise
        self._write_lock = threading.RLock()
        self._queue: list[_Unit] = []
        queue_lock = threading.RLock()
        self._queue_cond = threading.Condition(queue_lock)  # a group finished
        self._arrival = threading.Condition(queue_lock)  # a unit was queued
        self._leading = False  # a thread is running a group (guarded by _queue_cond)
        self._last_group = 1  # size of the previous group (guarded by _queue_cond)
        self._local = threading.local()
        audit.forget_head(self.path)

    # -- reads -------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for this thread.  Inside a write transaction of the same
        thread the transaction's cursor is returned, so reads see its writes."""
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            yield tx
            return
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def all(self, sql: str, params: Any = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def one(self, sql: str, params: Any = None) -> tuple | None:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Any = None) -> Any:
        row = self.one(sql, params)
        return row[0] if row else None

    def dicts(self, sql: str, params: Any = None) -> list[dict]:
        with self.cursor() as cur:
            cur.execute(sql, params)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]

    def df(self, sql: str, params: Any = None):
        with self.cursor() as cur:
            return cur.execute(sql, params).df()

    def frame(self, sql: str, params: Any = None):
        """A pandas frame through Arrow: strings go straight into pandas'
        Arrow-backed columns, without a Python object per value (2-3× less
        CPU than :meth:`df` for a list of thousands of rows); DATE columns
        hold ``date`` values, integer columns with NULLs become floats."""
        with self.cursor() as cur:
            return cur.sql(sql, params=params).to_arrow_table().to_pandas()

    # -- writes ------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One explicit transaction under the process-wide write lock.
        Nested use joins the outer transaction."""
        outer = getattr(self._local, "tx", None)
        if outer is not None:
            yield outer
            return
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("BEGIN TRANSACTION")
            audit.begin(cur)
            self._local.tx = cur
            try:
                yield cur
                audit.flush(cur)
                cur.execute("COMMIT")
                audit.on_commit(cur)
            except BaseException:
                audit.on_rollback(cur)
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            finally:
                self._local.tx = None
                cur.close()

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(cur)`` as one unit of work and return its result.

        Group commit: units submitted by several threads while another
        transaction runs are queued; whichever thread gets the write lock
        next runs all queued units in **one** transaction with one commit
        (and one audit-head update), then hands each caller its own result or
        exception.  If a unit raises, the transaction is rolled back and the
        group re-run without it, so every caller sees exactly what a
        transaction of its own would have given: all of its changes or none,
        in submission order.  A write conflict re-runs the whole group
        (bounded); no write is lost or half-applied."""
        if getattr(self._local, "tx", None) is not None:
            return fn(self._local.tx)
        unit = _Unit(fn)
        with self._queue_cond:
            self._queue.append(unit)
            self._arrival.notify()
        while True:
            # wait until our unit is done, or until nobody leads and we can
            with self._queue_cond:
                while not unit.done and self._leading:
                    self._queue_cond.wait()
                if unit.done:
                    break
                self._leading = True
                self._gather()
            try:
                with self._write_lock:
                    with self._queue_cond:
                        group = self._queue[:MAX_GROUP]
                        del self._queue[:MAX_GROUP]
                        self._last_group = len(group)
                    try:
                        self._run_group(group)
                    finally:
                        for u in group:  # never leave a caller waiting forever
                            if not u.done:
                                u.finish(error=DatabaseBusy(
                                    "数据库写入被中断，本次操作未保存，请重试。"))
            finally:
                with self._queue_cond:
                    self._leading = False
                    self._queue_cond.notify_all()
        if unit.error is not None:
            raise unit.error
        return unit.result

    def _gather(self) -> None:
        """The new leader waits briefly (at most ``GATHER_S``) until as many
        units are queued as the previous group had (``_queue_cond`` held).
        The callers of a finished group queue their next units a moment
        later; without the wait the first of them would commit alone, and 8
        busy writers would alternate groups of 1 and 7.  A lone writer (last
        group of 1) never waits."""
        want = min(self._last_group, MAX_GROUP)
        deadline = time.monotonic() + GATHER_S
        while len(self._queue) < want:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._arrival.wait(left)

    def _run_group(self, units: list["_Unit"]) -> None:
        """Run ``units`` in one transaction (the write lock is held)."""
        todo = [units]
        while todo:
            group = todo.pop(0)
            if not group:
                continue
            for attempt in range(MAX_RETRIES):
                results, failed = [], None
                try:
                    with self.transaction() as cur:
                        for i, u in enumerate(group):
                            try:
                                results.append(u.fn(cur))
                            except duckdb.TransactionException:
                                raise
                            except BaseException as exc:
                                failed = (i, exc)
                                raise
                except duckdb.TransactionException as exc:
                    if attempt < MAX_RETRIES - 1:
                        time.sleep(0.005 * (2**attempt))
                        continue
                    for u in group:
                        u.finish(error=exc)
                except BaseException as exc:
                    if len(group) == 1:
                        group[0].finish(error=failed[1] if failed else exc)
                    elif failed is None:
                        # failed while committing: let each unit commit on its own
                        todo[:0] = [[u] for u in group]
                    else:
                        i, exc = failed
                        # the others succeed or fail on their own: those before
                        # the failed unit together, the failed one alone (it
                        # raises again, or succeeds once it no longer follows
                        # them), the rest together, in the same order
                        todo[:0] = [group[:i], [group[i]], group[i + 1:]]
                else:
                    for u, r in zip(group, results):
                        u.finish(result=r)
                break

    def wait_for_writes(self) -> None:
        """Return once the write transaction running now (if any) has ended:
        a background reader woken by a writer then sees its commit."""
        with self._write_lock:
            pass

    @property
    def in_transaction(self) -> bool:
        return getattr(self._local, "tx", None) is not None

    def checkpoint(self) -> None:
        with self._write_lock:
            self._con.execute("CHECKPOINT")

    def close(self) -> None:
        with self._write_lock:
            self._con.close()


_instance: Database | None = None
_instance_lock = threading.Lock()


def get_db() -> Database:
    """The process-wide database, opened and migrated on first use."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                from db.migrate import migrate
                from sgld import settings

                cfg = settings.get()
                threads = cfg.get("DB_THREADS").strip()
                db = Database(cfg.db, int(threads) if threads.isdigit() else None)
                migrate(db)
                _instance = db
    return _instance


def reset() -> None:
    """Close the process-wide database (tests and the command line)."""
    global _instance
    with _instance_lock:
        if _instance is not None:
            _instance.close()
        _instance = None
        audit.forget_head()
