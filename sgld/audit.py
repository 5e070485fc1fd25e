"""Append-only, hash-chained audit log.

Each row stores SHA-256 over its own content and the previous row's hash.
:func:`record` must be called inside the write transaction of the change it
describes; its rows and the chain head (``audit_head``) are written in that
same transaction, just before it commits (writes are serialised, see
``db/connection.py``).
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sgld import clock


def _default(o: Any):
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return str(o)


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_default)


def row_hash(prev_hash: str, id_: int, at: datetime, actor_id, actor, department, action,
             object_type, object_id, before_json, after_json) -> str:
    payload = json.dumps(
        [prev_hash, id_, at.isoformat(sep=" ", timespec="microseconds"), actor_id, actor,
         department, action, object_type, object_id, before_json, after_json],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(cur, actor, action: str, object_type: str, object_id: Any = None,
           before: Any = None, after: Any = None) -> int:
    """Append one audit row in the caller's transaction; return its id.

    ``actor`` is an :class:`sgld.security.Actor` or ``None`` for the system
    (command line, scheduler).  The row is hashed at once and buffered; the
    transaction writes all of its rows and the new head with one statement
    each just before it commits (:func:`flush`), which is most of what makes
    an audited write cheap."""
    global _cached_head
    managed = id(cur) in _rows  # a write transaction of db.connection
    last_id, last_hash = _head(cur) if managed else _stored_head(cur)
    new_id = last_id + 1
    at = clock.now()
    actor_id = getattr(actor, "user_id", None)
    actor_name = getattr(actor, "username", None) or "system"
    dept = getattr(actor, "department_name", None)
    bj, aj = to_json(before), to_json(after)
    oid = None if object_id is None else str(object_id)
    h = row_hash(last_hash, new_id, at, actor_id, actor_name, dept, action, object_type, oid, bj, aj)
    row = (new_id, at, actor_id, actor_name, dept, action, object_type, oid, bj, aj, last_hash, h)
    if managed:  # written just before the transaction commits
        _pending[id(cur)] = (new_id, h)
        _rows[id(cur)].append(row)
        if actor_id is not None:
            _writers.setdefault(id(cur), set()).add(actor_id)
    else:  # any other cursor (services never do this): written at once
        _write(cur, [row])
        _cached_head = None
    return new_id


# The chain head is cached per process: writes are serialised by the
# database's write lock, so only the transaction holding it moves the head.
# The new head becomes the cached one only when its transaction commits
# (``db.connection`` calls :func:`flush`, then :func:`on_commit` or
# :func:`on_rollback`).
_cached_head: tuple[int, str] | None = None
_pending: dict[int, tuple[int, str]] = {}
_rows: dict[int, list[tuple]] = {}
_COLUMNS = ("id, logged_at, actor_id, actor, department, action, object_type, object_id,"
            " before_json, after_json, prev_hash, hash")
_NAMES = [c.strip() for c in _COLUMNS.split(",")]


def _head(cur) -> tuple[int, str]:
    pending = _pending.get(id(cur))
    if pending is not None:
        return pending
    if _cached_head is not None:
        return _cached_head
    return _stored_head(cur)


def _stored_head(cur) -> tuple[int, str]:
    return cur.execute("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1").fetchone()


def begin(cur) -> None:
    """``db.connection`` opened a write transaction on ``cur``: buffer its rows."""
    _rows[id(cur)] = []


def flush(cur) -> None:
    """Write the transaction's buffered audit rows and the new chain head
    (called by ``db.connection`` right before COMMIT)."""
    rows = _rows.get(id(cur))
    if rows:
        _write(cur, rows)
        rows.clear()


def _write(cur, rows: list[tuple]) -> None:
    # all rows as one list-of-structs parameter: one statement whatever the
    # count, and cheaper to bind than a VALUES list of 12 parameters a row
    cur.execute(f"INSERT INTO audit_log ({_COLUMNS}) SELECT unnest(?, recursive := true)",
                [[dict(zip(_NAMES, r)) for r in rows]])
    cur.execute("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE singleton = 1",
                [rows[-1][0], rows[-1][11]])


def on_commit(cur) -> None:
    global _cached_head, _data_version
    _rows.pop(id(cur), None)
    head = _pending.pop(id(cur), None)
    if head is not None:
        _cached_head = head
    _data_version += 1
    for user_id in _writers.pop(id(cur), ()):
        _user_versions[user_id] = _data_version


# Incremented by every committed write transaction of this process: cached
# reads (e.g. the dashboard's figures) use it in their cache key so a write
# invalidates them at once.
_data_version = 0


def data_version() -> int:
    """A counter that changes whenever a write transaction commits."""
    return _data_version


# data_version() at each user's last committed write (this process)
_user_versions: dict[int, int] = {}
_writers: dict[int, set[int]] = {}


def user_version(user_id: int | None) -> int:
    """Changes whenever a write of this user commits.  Cache keys of what a
    user reads use it (with a time limit) so that the user sees their own
    writes at once while other users' writes invalidate nobody's caches."""
    if user_id is None:
        return _data_version
    return max(_user_versions.get(user_id, 0), _epoch)


_epoch = 0  # data_version() when the current database was opened


def on_rollback(cur) -> None:
    _pending.pop(id(cur), None)
    _rows.pop(id(cur), None)
    _writers.pop(id(cur), None)


def forget_head() -> None:
    """Drop the cached head (a new database was opened)."""
    global _cached_head, _data_version, _epoch
    _cached_head = None
    _pending.clear()
    _rows.clear()
    _writers.clear()
    _user_versions.clear()
    _data_version += 1  # another database: cached reads of the old one are stale
    _epoch = _data_version


def verify(db, batch: int = 50_000) -> tuple[bool, int, int | None]:
    """Walk the chain.  Returns (ok, rows checked, first broken id or None)."""
    prev = "0" * 64
    expected_id = 1
    checked = 0
    with db.cursor() as cur:
        cur.execute(
            "SELECT id, logged_at, actor_id, actor, department, action, object_type, object_id,"
            " before_json, after_json, prev_hash, hash FROM audit_log ORDER BY id")
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                break
            for r in rows:
                (id_, at, actor_id, actor, dept, action, otype, oid, bj, aj, prev_hash, h) = r
                if id_ != expected_id or prev_hash != prev or h != row_hash(
                        prev, id_, at, actor_id, actor, dept, action, otype, oid, bj, aj):
                    return False, checked, id_
                prev = h
                expected_id += 1
                checked += 1
        head = cur.execute("SELECT last_id, last_hash FROM audit_head").fetchone()
    if head != (checked, prev):
        # rows deleted from the end, or the head tampered with
        return False, checked, checked + 1 if head[0] > checked else head[0]
    return True, checked, None


def record_restore(cur, *, actor_name: str, source: str, backup_rows: int,
                   live_rows: int) -> int:
    """Record a restore from a backup in the restored database: who, when
    (the row's time), from which file, and how many audit rows the replaced
    database had beyond the backup."""
    from types import SimpleNamespace
    who = SimpleNamespace(user_id=None, username=actor_name or "system", department_name=None)
    return record(cur, who, "restore", "database", None,
                  after={"source": source, "backup_rows": backup_rows, "live_rows": live_rows,
                         "rows_dropped": max(live_rows - backup_rows, 0)})
