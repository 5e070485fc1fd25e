"""Leader election: the background jobs run in exactly one process.

The scheduled penalty extraction, the webhook delivery worker and the
maintenance thread (backup requests, the daily backup) are started by
:func:`sgld.startup.start_background` in every server process, but must run
once across all processes of an installation:

* **DuckDB** allows one process per database file: that process is always
  the leader (:func:`start` runs ``on_gain`` at once, no thread, no cost).
* **PostgreSQL**: the leader is the process holding the session-level
  advisory lock :data:`LOCK_KEY`, taken with ``pg_try_advisory_lock`` on a
  connection of its own (not one of the pool: a session lock lives as long
  as its connection).  The other processes try again every
  ``SGLD_LEADER_RETRY_SECONDS`` (default 5); when the holder dies, the
  server ends its connection and releases the lock, and the next try of
  another process takes it over.  The leader checks its connection at the
  same interval and stops its jobs when it is gone (the lock went with it),
  then competes again.  Between a connection lost silently and the check
  that notices it, two processes may run the jobs for at most one interval:
  each job is safe against that (a penalty run records itself in
  ``penalty_sync_state`` and refuses a second; webhook delivery is at least
  once, receivers dedupe by event id).

The holder is visible in ``pg_stat_activity``: its ``application_name`` is
``sgld-leader <host> <pid>`` (:func:`holder`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any, Callable

from sgld import settings

log = logging.getLogger(__name__)

#: key of the session advisory lock held by the leader (b"SGLL"; the
#: write transactions use another key, db.postgres_backend.WRITE_LOCK)
LOCK_KEY = 0x5347_4C4C
DEFAULT_RETRY_SECONDS = 5.0


def retry_seconds() -> float:
    raw = str(settings.get().get("LEADER_RETRY_SECONDS", "") or "").strip()
    try:
        value = float(raw) if raw else DEFAULT_RETRY_SECONDS
    except ValueError:
        return DEFAULT_RETRY_SECONDS
    return max(value, 0.05)


def application_name() -> str:
    return f"sgld-leader {socket.gethostname()} {os.getpid()}"[:63]


class Election:
    """One process's candidacy: ``on_gain`` runs when it becomes the
    leader, ``on_lose`` when it stops being one (connection lost, or
    :meth:`stop`).  Both run on the election's thread (the first attempt,
    in :meth:`start`, on the caller's)."""

    def __init__(
        self, url: str | None, on_gain: Callable[[], None], on_lose: Callable[[], None], retry: float | None = None
    ):
        self.url = url
        self.on_gain, self.on_lose = on_gain, on_lose
        self.retry = retry_seconds() if retry is None else retry
        self.leading = False
        self._conn: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one attempt at a time

    # -- one attempt ----------------------------------------------------
    def _connect(self):
        import psycopg

        return psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=5,
            application_name=application_name(),
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )

    def attempt(self) -> bool:
        """Try to become (or check that this process still is) the leader;
        returns whether it leads now."""
        with self._lock:
            if self.url is None:  # DuckDB: the one process leads
                if not self.leading:
                    self.leading = True
                    self._gained()
                return True
            try:
                conn = self._conn
                if conn is None or conn.closed:
                    conn = self._conn = self._connect()
                if self.leading:
                    conn.execute("SELECT 1")
                else:
                    got = conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()
                    if got and got[0]:
                        self.leading = True
                        log.info("this process (pid %s) leads the background jobs", os.getpid())
                        self._gained()
            except Exception as exc:  # noqa: BLE001 - the database is away: not the leader
                self._drop_connection()
                if self.leading:
                    log.warning("leader lock lost (%s): background jobs stopped", exc)
                    self._lost()
            return self.leading

    def _gained(self) -> None:
        try:
            self.on_gain()
        except Exception:  # noqa: BLE001 - a job that cannot start must not stop the election
            log.exception("could not start the background jobs")

    def _lost(self) -> None:
        self.leading = False
        try:
            self.on_lose()
        except Exception:  # noqa: BLE001
            log.exception("could not stop the background jobs")

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    # -- the thread -------------------------------------------------------
    def start(self) -> bool:
        """First attempt now, then (PostgreSQL) every ``retry`` seconds in a
        daemon thread; returns whether this process leads after the first."""
        leads = self.attempt()
        if self.url is not None and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="sgld-leader", daemon=True)
            self._thread.start()
        return leads

    def _loop(self) -> None:
        while not self._stop.wait(self.retry):
            self.attempt()

    def stop(self, timeout: float = 10.0) -> None:
        """Leave the election: stop the jobs (if leading) and release the lock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._lock:
            if self.leading:
                self._lost()
            self._drop_connection()  # ends the session: the server releases the lock


_election: Election | None = None
_election_lock = threading.Lock()


def start(on_gain: Callable[[], None], on_lose: Callable[[], None]) -> bool:
    """This process's election (once per process; later calls only report);
    returns whether this process leads now."""
    global _election
    with _election_lock:
        if _election is None:
            _election = Election(settings.get().db_url or None, on_gain, on_lose)
            return _election.start()
        return _election.leading


def is_leader() -> bool:
    return _election is not None and _election.leading


def stop() -> None:
    global _election
    with _election_lock:
        if _election is not None:
            _election.stop()
        _election = None


def holder(cur) -> str | None:
    """PostgreSQL: the ``application_name`` of the leader's connection, or None."""
    row = cur.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = ?"
        " AND l.objsubid = 1",
        [LOCK_KEY],
    ).fetchone()
    return row[0] if row else None
