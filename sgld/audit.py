"""Append-only, keyed hash-chained audit log.

Each row stores an HMAC-SHA-256 over its own content, the previous row's MAC
and the id of the key that signed it (``key_id``).  The key comes from the
configuration (``SGLD_AUDIT_KEY``), never from the database, so whoever can
write the database file but lacks the key cannot recompute the chain after
editing a row.  Rows written before keyed signing (``key_id`` NULL) keep
their plain SHA-256 hash.  Old keys stay usable for verification through
``SGLD_AUDIT_KEYS_OLD`` (key rotation, see docs/security.md).

Seals: every ``SEAL_ROWS`` rows or ``SEAL_SECONDS`` (checked when a write
commits) the committed head (last id, last MAC, key id, time) is appended
as a JSON line to ``<data folder>/audit.seals`` and sent to the system log.
:func:`check` compares the database with them, so deleting the last rows
and moving ``audit_head`` back is reported as the missing id range.
:func:`record` must be called inside the write transaction of the change it
describes; its rows and the chain head (``audit_head``) are written in that
same transaction, just before it commits (writes are serialised, see
``db/connection.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
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


def key_id_of(key: str) -> str:
    """The public id of an audit key (stored per row; reveals nothing of it)."""
    return hashlib.sha256(b"sgld-audit-key-id\0" + key.encode("utf-8")).hexdigest()[:12]


# key id -> HMAC object primed with the key (copied per row: cheaper than
# hmac.new each time); the current signing key id
_macs: dict[str, Any] | None = None
_current_id: str | None = None


def configure(key: str | None = None, old_keys: Any = ()) -> None:
    """Set the signing key and the older keys accepted by verification.
    Without arguments: from the settings (``SGLD_AUDIT_KEY``,
    ``SGLD_AUDIT_KEYS_OLD``).  Called again when the settings change."""
    global _macs, _current_id
    if key is None:
        from sgld import settings

        cfg = settings.get()
        key, old_keys = cfg.audit_key, cfg.audit_keys_old
    macs = {}
    for k in [*old_keys, key]:
        macs[key_id_of(k)] = hmac.new(k.encode("utf-8"), digestmod=hashlib.sha256)
    _macs, _current_id = macs, key_id_of(key)


def forget_keys() -> None:
    """Read the keys from the settings again on next use."""
    global _macs, _current_id
    _macs, _current_id = None, None


def _signer() -> tuple[str, Any]:
    if _macs is None:
        configure()
    return _current_id, _macs[_current_id]


def row_hash(
    prev_hash: str,
    id_: int,
    at: datetime,
    actor_id,
    actor,
    department,
    action,
    object_type,
    object_id,
    before_json,
    after_json,
    key_id: str | None = None,
    mac: Any = None,
) -> str:
    """The row's MAC (``key_id`` and the primed ``mac`` given) or, for rows
    written before keyed signing, its plain SHA-256 hash."""
    fields = [
        prev_hash,
        id_,
        at.isoformat(sep=" ", timespec="microseconds"),
        actor_id,
        actor,
        department,
        action,
        object_type,
        object_id,
        before_json,
        after_json,
    ]
    if key_id is None:
        payload = json.dumps(fields, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
    fields.append(key_id)
    m = mac.copy()
    m.update(json.dumps(fields, ensure_ascii=False).encode("utf-8"))
    return m.hexdigest()


def record(
    cur, actor, action: str, object_type: str, object_id: Any = None, before: Any = None, after: Any = None
) -> int:
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
    kid, mac = _signer()
    h = row_hash(last_hash, new_id, at, actor_id, actor_name, dept, action, object_type, oid, bj, aj, kid, mac)
    row = (new_id, at, actor_id, actor_name, dept, action, object_type, oid, bj, aj, last_hash, h, kid)
    if managed:  # written just before the transaction commits
        _pending[id(cur)] = (new_id, h)
        if action not in SESSION_ACTIONS:
            _quiet.discard(id(cur))
        elif not _rows[id(cur)]:
            _quiet.add(id(cur))
        _rows[id(cur)].append(row)
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
_COLUMNS = (
    "id, logged_at, actor_id, actor, department, action, object_type, object_id,"
    " before_json, after_json, prev_hash, hash, key_id"
)
_NAMES = [c.strip() for c in _COLUMNS.split(",")]
_INSERT = f"INSERT INTO audit_log ({_COLUMNS}) SELECT " + ", ".join(["unnest(?)"] * len(_NAMES))


_INSERT_VALUES = f"INSERT INTO audit_log ({_COLUMNS}) VALUES "
_ROW_VALUES = "(" + ", ".join(["?"] * len(_NAMES)) + ")"


def forget_cached_head() -> None:
    """Read the chain head from the database in the next transaction (the
    PostgreSQL backend calls this as each write transaction begins, under
    its cross-process lock: another process may have moved the head)."""
    global _cached_head
    _cached_head = None


def _head(cur) -> tuple[int, str]:
    pending = _pending.get(id(cur))
    if pending is not None:
        return pending
    if _cached_head is not None:
        return _cached_head
    return _stored_head(cur)


def _stored_head(cur) -> tuple[int, str]:
    return cur.execute("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1").fetchone()


# Audit actions that change nothing a list, count or figure shows: a
# transaction that writes only these does not move the data version, so the
# morning's logins do not rebuild every cached figure of the city.
SESSION_ACTIONS = frozenset({"login", "logout", "login_failed", "login_refused_locked", "sso_login", "sso_refused"})
_quiet: set[int] = set()  # open transactions whose audit rows are all SESSION_ACTIONS


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
    if _shared and id(cur) not in _quiet:
        _bump_shared(cur)


def _write(cur, rows: list[tuple]) -> None:
    # one list parameter per column: one statement whatever the row count,
    # and cheaper to bind than a VALUES list (3.2 ms for 8 rows) or a list of
    # structs (2.6 ms); 2.0 ms
    if getattr(cur, "dialect", None) == "postgres":
        # typed columns: one multi-row VALUES (an all-NULL list has no array type)
        for i in range(0, len(rows), 4000):  # at most 65,535 parameters a statement
            chunk = rows[i : i + 4000]
            cur.execute(_INSERT_VALUES + ", ".join([_ROW_VALUES] * len(chunk)), [v for row in chunk for v in row])
    else:
        cur.execute(_INSERT, [list(column) for column in zip(*rows)])
    cur.execute("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE singleton = 1", [rows[-1][0], rows[-1][11]])


def on_commit(cur) -> None:
    global _cached_head, _data_version
    _rows.pop(id(cur), None)
    head = _pending.pop(id(cur), None)
    restore = _restores.pop(id(cur), None)
    if head is not None:
        _cached_head = head
        _maybe_seal(cur, head, restore)
    if id(cur) in _quiet:
        _quiet.discard(id(cur))
    else:
        _data_version += 1
    shared = _bumped.pop(id(cur), None)
    if shared is not None:
        _seen_shared(shared, bump=False)  # our own commit: moved the counter above already


# Incremented by every committed write transaction of this process (but
# logins and logouts, SESSION_ACTIONS): cached
# reads (e.g. the dashboard's figures) use it in their cache key so a write
# invalidates them at once.
_data_version = 0


_generation = 0


def generation() -> int:
    """A counter that changes whenever another database is opened (or the
    same one reopened, e.g. after a restore): caches of data that changes
    only through known functions key on it instead of :func:`data_version`."""
    return _generation


def data_version() -> int:
    """A counter that changes whenever a write transaction commits: one of
    this process, or (PostgreSQL) of another process, as seen by the last
    :func:`refresh_data_version` (every page run; at most
    ``SHARED_MAX_AGE`` seconds ago for callers outside a page run)."""
    if _shared and time.monotonic() - _refreshed_at > SHARED_MAX_AGE:
        refresh_data_version()
    return _data_version


# -- the data version shared by the processes of one PostgreSQL database ----
# Every write transaction (but the quiet ones, SESSION_ACTIONS only) moves
# the one row of ``data_version`` just before it commits (:func:`flush`;
# writes are serialised by the write lock, so the row costs no contention),
# and each process reads it once per page run (:func:`refresh_data_version`,
# called by app.py): when it moved, the process's own counter moves too, so
# every cached figure of every process is recomputed on its next run after
# a write anywhere.  DuckDB (one process per file) never reads or writes it.
SHARED_MAX_AGE = 1.0
_shared = False  # the open database is a PostgreSQL one
_shared_table = False  # its data_version table exists (migration 098)
_shared_last: int | None = None  # the shared version this process saw last
_refreshed_at = 0.0
_bumped: dict[int, int] = {}  # open transactions: the version they moved it to
_version_lock = threading.Lock()


def _bump_shared(cur) -> None:
    global _shared_table
    if not _shared_table:  # only before migration 098 ran (a new database)
        if cur.execute("SELECT to_regclass('data_version')").fetchone()[0] is None:
            return
        _shared_table = True
    row = cur.execute("UPDATE data_version SET version = version + 1 WHERE singleton = 1 RETURNING version").fetchone()
    if row is not None:
        _bumped[id(cur)] = int(row[0])


def _seen_shared(version: int, bump: bool) -> None:
    global _shared_last, _data_version
    with _version_lock:
        if version != _shared_last:
            if bump and _shared_last is not None:
                _data_version += 1
            _shared_last = version


def refresh_data_version() -> int:
    """PostgreSQL: read the shared version (one indexed single-row read) and
    move this process's :func:`data_version` if another process wrote since
    the last read; DuckDB: nothing.  Returns the data version."""
    global _refreshed_at
    if not _shared:
        return _data_version
    from db import connection

    try:
        db = connection._instance  # never opens one: no database, nothing to refresh
        if db is None or db.dialect != "postgres" or db.in_transaction:
            return _data_version
        version = db.scalar("SELECT version FROM data_version WHERE singleton = 1")
    except Exception:  # noqa: BLE001 - the database is away: the page says so itself
        _log.debug("data version not read", exc_info=True)
        return _data_version
    _refreshed_at = time.monotonic()
    if version is not None:
        _seen_shared(int(version), bump=True)
    return _data_version


def shared_data_version() -> int:
    """The shared version last seen (0 on DuckDB): for caches of data that
    this process changes only through known functions (its own changes
    invalidate them at once) but another process may change too."""
    if _shared and time.monotonic() - _refreshed_at > SHARED_MAX_AGE:
        refresh_data_version()
    return _shared_last or 0


def on_rollback(cur) -> None:
    _quiet.discard(id(cur))
    _bumped.pop(id(cur), None)
    _restores.pop(id(cur), None)
    _pending.pop(id(cur), None)
    _rows.pop(id(cur), None)


def forget_head(db_path: str | None = None) -> None:
    """Drop the cached head (a new database was opened: ``db_path``)."""
    global _cached_head, _data_version, _db_path, _sealed, _generation
    global _shared, _shared_table, _shared_last, _refreshed_at
    if db_path is not None:  # a database was opened (None: closed, or its file replaced)
        from sgld import settings

        _shared = settings.is_db_url(str(db_path))
    _shared_table, _shared_last, _refreshed_at = False, None, 0.0
    _bumped.clear()
    _generation += 1
    _cached_head = None
    _db_path, _sealed = db_path, None
    _restores.clear()
    _pending.clear()
    _rows.clear()
    _data_version += 1  # another database: cached reads of the old one are stale


# -- seals --------------------------------------------------------------
SEAL_ROWS = 100
SEAL_SECONDS = 600.0
SEAL_FILE = "audit.seals"
_db_path: str | None = None  # the database this process opened last
_sealed: tuple[int, float] | None = None  # last sealed id, monotonic time
_restores: dict[int, dict] = {}
_log = logging.getLogger("sgld.audit.seal")
_syslog_ready = False


def seal_path() -> Path | None:
    """The seal file of the configured database, or None when the open
    database is another file (a backup being checked, a test copy)."""
    from sgld import settings

    cfg = settings.get()
    if _db_path is None or _db_path != cfg.db_target:
        return None
    return cfg.data_dir / SEAL_FILE


def read_seals(path: Path) -> list[dict]:
    out = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("id"), int):
            out.append(entry)
    return out


def _to_syslog(line: str) -> None:
    global _syslog_ready
    if not _syslog_ready:
        _syslog_ready = True
        _log.setLevel(logging.INFO)
        if os.path.exists("/dev/log"):
            try:
                from logging.handlers import SysLogHandler

                h = SysLogHandler(address="/dev/log")
                h.setFormatter(logging.Formatter("sgld: %(message)s"))
                _log.addHandler(h)
            except OSError:
                pass
    try:
        _log.info("audit seal %s", line)
    except Exception:  # noqa: BLE001 - the system log is a second copy
        pass


def _append_seal(path: Path, entry: dict) -> None:
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    _to_syslog(line)


def _maybe_seal(cur, head: tuple[int, str], restore: dict | None = None, force: bool = False) -> None:
    """Append a seal for the committed ``head`` when due (never fails the
    write, which has already committed)."""
    global _sealed
    try:
        path = seal_path()
        if path is None:
            return
        now = time.monotonic()
        if _sealed is None:
            seals = read_seals(path)
            _sealed = (seals[-1]["id"], now) if seals else None
            first = not seals
        else:
            first = False
        if not (force or restore or first):
            gap = head[0] - _sealed[0]
            if gap < SEAL_ROWS and (gap <= 0 or now - _sealed[1] < SEAL_SECONDS):
                return
        entry = {"id": head[0], "mac": head[1], "key_id": _current_id, "at": clock.now().isoformat(timespec="seconds")}
        if first:
            entry["legacy_until"] = cur.execute(
                "SELECT coalesce(max(id), 0) FROM audit_log WHERE key_id IS NULL"
            ).fetchone()[0]
        if restore:
            entry["restore"] = restore
        _append_seal(path, entry)
        _sealed = (head[0], now)
    except Exception:  # noqa: BLE001
        _log.exception("writing the audit seal failed")


class _Named:
    def __init__(self, username):
        self.username = username


def record_restore(cur, *, actor_name: str | None, source: Any, backup_rows: int, live_rows: int) -> int:
    """Audit a database restore on the restored database's cursor: one row,
    then (when it commits) a seal line marking that the sealed ids above
    ``backup_rows`` (up to ``live_rows``) belonged to the replaced history."""
    info = {
        "source": str(source),
        "backup_rows": int(backup_rows),
        "live_rows": int(live_rows),
        "rows_dropped": max(int(live_rows) - int(backup_rows), 0),
    }
    rid = record(cur, _Named(actor_name), "restore", "database", None, after=info)
    if id(cur) in _rows:
        _restores[id(cur)] = info
    else:
        _maybe_seal(cur, _stored_head(cur), info)
    return rid


def _expected_from_seals(seals: list[dict]) -> tuple[dict[int, str], int | None]:
    """id -> sealed MAC, after applying restores; the legacy limit."""
    expected: dict[int, str] = {}
    legacy_until = None
    for e in seals:
        if legacy_until is None and isinstance(e.get("legacy_until"), int):
            legacy_until = e["legacy_until"]
        r = e.get("restore")
        if isinstance(r, dict) and isinstance(r.get("backup_rows"), int):
            expected = {k: v for k, v in expected.items() if k <= r["backup_rows"]}
        expected[e["id"]] = e.get("mac")
    return expected, legacy_until


class Report:
    """Outcome of :func:`check`: ``ok``; rows checked; the first bad id; the
    range of sealed ids missing from the database; a message (Chinese)."""

    def __init__(
        self,
        ok: bool,
        checked: int,
        first_bad: int | None = None,
        missing: tuple[int, int] | None = None,
        message: str = "",
    ):
        self.ok, self.checked, self.first_bad, self.missing = ok, checked, first_bad, missing
        self.message = message


def check(db, batch: int = 50_000) -> Report:
    """Walk the chain with the configured keys and compare it with the
    audit head (and the seals written outside the database, see below)."""
    if _macs is None:
        configure()
    path = seal_path()
    seals = read_seals(path) if path is not None else []
    sealed, legacy_until = _expected_from_seals(seals)
    if legacy_until is None:
        legacy_until = 0 if seals else None  # None: no seal file to check against
    prev = "0" * 64
    expected_id = 1
    checked = 0
    keyed_seen = False
    with db.cursor() as cur:
        cur.execute(
            "SELECT id, logged_at, actor_id, actor, department, action, object_type, object_id,"
            " before_json, after_json, prev_hash, hash, key_id FROM audit_log ORDER BY id"
        )
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                break
            for r in rows:
                (id_, at, actor_id, actor, dept, action, otype, oid, bj, aj, prev_hash, h, kid) = r
                if kid is None:
                    if keyed_seen or (legacy_until is not None and id_ > legacy_until):
                        return Report(
                            False,
                            checked,
                            id_,
                            message=(f"第 {id_} 条缺少密钥签名（其前已有签名记录），操作日志被篡改"),
                        )
                    mac = None
                else:
                    keyed_seen = True
                    mac = _macs.get(kid)
                    if mac is None:
                        return Report(
                            False,
                            checked,
                            id_,
                            message=(
                                f"第 {id_} 条的签名密钥（编号 {kid}）未配置：请在 SGLD_AUDIT_KEYS_OLD"
                                " 中加入该旧密钥后再校验"
                            ),
                        )
                if (
                    id_ != expected_id
                    or prev_hash != prev
                    or h != row_hash(prev, id_, at, actor_id, actor, dept, action, otype, oid, bj, aj, kid, mac)
                ):
                    bad = min(id_, expected_id)
                    return Report(False, checked, bad, message=(f"第 {bad} 条起操作日志被篡改或缺失（签名不符）"))
                if id_ in sealed and sealed[id_] != h:
                    return Report(False, checked, id_, message=(f"第 {id_} 条与库外封存记录不符，操作日志被篡改"))
                prev = h
                expected_id += 1
                checked += 1
        head = cur.execute("SELECT last_id, last_hash FROM audit_head").fetchone()
    top = max(sealed, default=0)
    if top > checked:
        return Report(
            False,
            checked,
            missing=(checked + 1, top),
            message=(f"第 {checked + 1}–{top} 条已在库外封存，但数据库中缺失（操作日志被截断）"),
        )
    if head != (checked, prev):
        # rows deleted from the end, or the head tampered with
        bad = checked + 1 if head[0] > checked else head[0]
        return Report(False, checked, bad, message=(f"第 {bad} 条起操作日志被篡改或缺失（与链头记录不符）"))
    if path is not None and not seals and keyed_seen:
        # signatures checked; truncation cannot be without the seal file
        return Report(
            True, checked, message=(f"OK {checked}（警告：未找到封存文件 {path}，无法核对末尾记录是否被删除）")
        )
    return Report(True, checked, message=f"OK {checked}")


def verify(db, batch: int = 50_000) -> tuple[bool, int, int | None]:
    """Returns (ok, rows checked, first bad id or None); see :func:`check`."""
    rep = check(db, batch)
    first = rep.first_bad if rep.first_bad is not None else (rep.missing[0] if rep.missing else None)
    return rep.ok, rep.checked, first
