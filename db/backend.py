"""What every database backend shares: reads, explicit transactions and the
group-commit write (:meth:`BaseDatabase.write`).

Pattern (measured by ``bench/bench_foundation.py`` and proved by
``tests/test_db.py::test_concurrent_audited_writes``):

* **One handle per process.**  :func:`db.connection.get_db` hands out one
  shared database object; every Streamlit session of the server is a thread
  of that process.
* **A cursor per use.**  :meth:`BaseDatabase.cursor` gives each read its own
  cursor (DuckDB: a cursor of the one instance; PostgreSQL: a connection of
  the pool), so readers never block each other or the writer.
* **Writes are serialised.**  A process-wide lock orders the write
  transactions of the process (DuckDB allows one writer per file, and every
  write also appends to the audit hash chain — the same head row); the
  PostgreSQL backend also takes a transaction-scoped advisory lock, so the
  transactions of several processes are ordered the same way.  A bounded
  retry of the *whole* transaction (``retryable``) remains as a safety net.
* **Group commit.**  One audited write in a transaction of its own (check,
  insert, audit row, audit head, commit) costs a few milliseconds, mostly
  per statement and per commit; :meth:`BaseDatabase.write` therefore commits
  the units that queued up while the previous transaction ran together, in
  one transaction, and the audit rows of a transaction are written with one
  statement before it commits (``sgld.audit.flush``).  Each caller still gets
  all-or-nothing for its own unit (a failing unit is re-run alone, the
  others without it) — see ``write``.  A new leader waits up to 2 ms for as
  many units as the previous group had (``_gather``): without it 8 busy
  writers alternated groups of 1 and 7 (~400 writes/s); with it they commit
  8 at a time (figure in README.md).  A lone writer never waits.
* **Explicit transactions** via :meth:`BaseDatabase.transaction`; the
  callback form :meth:`BaseDatabase.write` is what services use so a retry
  re-runs the whole unit of work.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Iterator, TypeVar

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


class BaseDatabase:
    """The interface the services use; a backend supplies the cursors and
    how a write transaction begins, commits and rolls back."""

    #: ``duckdb`` or ``postgres`` (for the few places whose SQL differs)
    dialect: ClassVar[str] = ""
    #: exceptions after which the whole group is run again (bounded)
    retryable: ClassVar[tuple[type[BaseException], ...]] = ()
    #: the exception a failed ROLLBACK may raise (ignored)
    error: ClassVar[type[BaseException]] = Exception
    #: what a violated UNIQUE / CHECK / NOT NULL constraint raises
    constraint_error: ClassVar[type[BaseException]] = Exception
    path: str

    def _init_writes(self) -> None:
        self._write_lock = threading.RLock()
        self._queue: list[_Unit] = []
        queue_lock = threading.RLock()
        self._queue_cond = threading.Condition(queue_lock)  # a group finished
        self._arrival = threading.Condition(queue_lock)  # a unit was queued
        self._leading = False  # a thread is running a group (guarded by _queue_cond)
        self._last_group = 1  # size of the previous group (guarded by _queue_cond)
        self._local = threading.local()

    # -- backend hooks -----------------------------------------------------
    def cursor(self):  # pragma: no cover - every backend defines it
        raise NotImplementedError

    def _begin(self) -> Any:
        """Open a write transaction (the write lock is held); its cursor."""
        raise NotImplementedError

    def _end(self, cur: Any) -> None:
        """The transaction on ``cur`` is over (committed or rolled back)."""
        raise NotImplementedError

    # -- reads -------------------------------------------------------------
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

    def df(self, sql: str, params: Any = None) -> Any:  # pragma: no cover
        """A pandas frame of the rows (DATE columns as ``datetime64``)."""
        raise NotImplementedError

    def frame(self, sql: str, params: Any = None) -> Any:  # pragma: no cover
        """A pandas frame with Arrow-backed strings (DATE columns as ``date``)."""
        raise NotImplementedError

    # -- writes ------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One explicit transaction under the process-wide write lock.
        Nested use joins the outer transaction."""
        outer = getattr(self._local, "tx", None)
        if outer is not None:
            yield outer
            return
        with self._write_lock:
            cur = self._begin()
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
                except self.error:
                    pass
                raise
            finally:
                self._local.tx = None
                self._end(cur)

    def write(self, fn: Callable[[Any], T]) -> T:
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
                                u.finish(error=DatabaseBusy("数据库写入被中断，本次操作未保存，请重试。"))
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

    def _run_group(self, units: list[_Unit]) -> None:
        """Run ``units`` in one transaction (the write lock is held)."""
        retryable = self.retryable
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
                            except retryable:
                                raise
                            except BaseException as exc:
                                failed = (i, exc)
                                raise
                except retryable as exc:
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
                        todo[:0] = [group[:i], [group[i]], group[i + 1 :]]
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
        """Flush the write-ahead log (DuckDB); nothing to do elsewhere."""

    def close(self) -> None:  # pragma: no cover - every backend defines it
        raise NotImplementedError
