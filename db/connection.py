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
  transaction remains as a safety net (e.g. against a checkpoint).  With
  8 threads this sustains well over the 500 audited writes/s target
  (see README.md), because a DuckDB write transaction is sub-millisecond.
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


class Database:
    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseBusy(
                    f"数据库文件 {self.path} 正被另一个进程（通常是正在运行的系统）占用。"
                    "请先停止系统，或在系统管理页面中操作。"
                ) from exc
            raise
        self._write_lock = threading.RLock()
        self._local = threading.local()
        audit.forget_head()

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
            self._local.tx = cur
            try:
                yield cur
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
        """Run ``fn(cur)`` in a transaction; retry the whole unit on a
        write conflict (bounded), so no write is lost or half-applied."""
        if getattr(self._local, "tx", None) is not None:
            return fn(self._local.tx)
        for attempt in range(MAX_RETRIES):
            try:
                with self.transaction() as cur:
                    return fn(cur)
            except duckdb.TransactionException:
                if attempt == MAX_RETRIES - 1:
                    raise
                time.sleep(0.005 * (2**attempt))
        raise AssertionError("unreachable")

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
                from sgld import settings
                from db.migrate import migrate

                db = Database(settings.get().db)
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
