"""Runs: one source read in one transaction (:func:`_run`), never two at
once; the entry points (file import, API records, a configured source, all
of them), the run log and the listeners told after a run."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from datetime import timedelta

import pandas as pd

from db.connection import get_db
from sgld import audit, clock
from sgld import penalty_sources as ps
from sgld import validate as v
from sgld.errors import SgldError, StateError, ValidationError
from sgld.security import Actor, require
from sgld.services import listeners
from sgld.services.penalty import pipeline
from sgld.services.penalty.base import SOURCE_FILE, STALE_HOURS, SyncBusy
from sgld.services.penalty.sources import _source_row

log = logging.getLogger(__name__)

_process_lock = threading.Lock()


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str | None) -> bool:
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # another server: trust its claim until it goes stale
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def _begin(actor, source: str, trigger: str) -> int:
    def tx(cur):
        run_id, owner, started = cur.execute(
            "SELECT run_id, owner, started_at FROM penalty_sync_state WHERE singleton = 1"
        ).fetchone()
        now = clock.now()
        if run_id is not None:
            fresh = started is not None and now - started < timedelta(hours=STALE_HOURS)
            if owner != _owner() and _alive(owner) and fresh:
                raise SyncBusy(
                    f"已有行政处罚抽取正在运行（第 {run_id} 次，开始于 {started:%Y-%m-%d %H:%M:%S}），"
                    "同一时间只运行一个抽取任务，请稍后再试。"
                )
            cur.execute(
                "UPDATE penalty_run SET status = '失败', ended_at = ?,"
                " error = '运行被中断（进程已退出或超时），本次未导入任何数据。'"
                " WHERE id = ? AND status = '运行中'",
                [now, run_id],
            )
        new_id = cur.execute(
            "INSERT INTO penalty_run (source, trigger, started_at, status, started_by)"
            " VALUES (?, ?, ?, '运行中', ?) RETURNING id",
            [source, trigger, now, getattr(actor, "username", None) or "system"],
        ).fetchone()[0]
        cur.execute(
            "UPDATE penalty_sync_state SET run_id = ?, owner = ?, started_at = ? WHERE singleton = 1",
            [new_id, _owner(), now],
        )
        return new_id

    return get_db().write(tx)


def _fail(actor, run_id: int, source: str, exc: BaseException) -> None:
    message = str(exc) if isinstance(exc, SgldError) else f"内部错误：{type(exc).__name__}: {exc}"

    def tx(cur):
        now = clock.now()
        cur.execute(
            "UPDATE penalty_run SET status = '失败', ended_at = ?, error = ?,"
            " rows_read = 0, imported = 0, duplicates = 0, quarantined = 0 WHERE id = ?",
            [now, message[:2000], run_id],
        )
        cur.execute(
            "UPDATE penalty_sync_state SET run_id = NULL, owner = NULL, started_at = NULL,"
            " last_end = ? WHERE singleton = 1 AND run_id = ?",
            [now, run_id],
        )
        audit.record(
            cur, actor, "penalty_sync_failed", "penalty_run", run_id, after={"source": source, "error": message[:500]}
        )

    try:
        get_db().write(tx)
    except Exception:  # noqa: BLE001 - never hide the original failure
        log.exception("could not record the failure of penalty run %s", run_id)


def _run(
    actor, source: str, trigger: str, make_adapter, *, watermark_of=None, wait: float = 0, notify=None, also=None
) -> dict:
    """Execute one run (see the module docstring).  ``make_adapter()`` is
    called after the run is registered; ``watermark_of(adapter)`` gives the
    new watermark JSON to store on the source (None: leave it).  ``wait``:
    seconds to wait for a run in progress in this process (0: refuse at
    once); ``notify``: how the listeners are told (default: before return);
    ``also(cur)``: more work committed with the import (or not at all)."""
    got = _process_lock.acquire(timeout=wait) if wait else _process_lock.acquire(blocking=False)
    if not got:
        raise SyncBusy("已有行政处罚抽取正在运行，同一时间只运行一个抽取任务，请稍后再试。")
    try:
        run_id = _begin(actor, source, trigger)
        counts = {"rows_read": 0, "imported": 0, "duplicates": 0, "quarantined": 0, "enterprises_created": 0}
        db = get_db()
        try:
            with db.transaction() as cur:
                adapter = make_adapter()
                pipeline._import_batches(cur, run_id, source, adapter, counts)
                detail = dict(getattr(adapter, "detail", {}) or {})
                new_wm = watermark_of(adapter) if watermark_of else None
                if watermark_of is not None:
                    old = cur.execute("SELECT watermark FROM penalty_source WHERE name = ?", [source]).fetchone()
                    detail["watermark_before"] = ps.load_json(old[0]) if old else None
                    detail["watermark_after"] = new_wm
                    cur.execute(
                        "UPDATE penalty_source SET watermark = ?, updated_at = ? WHERE name = ?",
                        [json.dumps(new_wm, ensure_ascii=False) if new_wm else None, clock.now(), source],
                    )
                now = clock.now()
                cur.execute(
                    "UPDATE penalty_run SET status = '完成', ended_at = ?, rows_read = ?, imported = ?,"
                    " duplicates = ?, quarantined = ?, detail = ? WHERE id = ?",
                    [
                        now,
                        counts["rows_read"],
                        counts["imported"],
                        counts["duplicates"],
                        counts["quarantined"],
                        json.dumps(detail, ensure_ascii=False, default=str),
                        run_id,
                    ],
                )
                cur.execute(
                    "UPDATE penalty_sync_state SET run_id = NULL, owner = NULL,"
                    " started_at = NULL, last_end = ? WHERE singleton = 1",
                    [now],
                )
                audit.record(
                    cur,
                    actor,
                    "penalty_sync",
                    "penalty_run",
                    run_id,
                    after={"source": source, "trigger": trigger, **counts, "watermark": detail.get("watermark_after")},
                )
                if also is not None:
                    also(cur)
        except BaseException as exc:
            _fail(actor, run_id, source, exc)
            if isinstance(exc, (SgldError, KeyboardInterrupt, SystemExit)):
                raise
            log.exception("penalty run %s failed", run_id)
            raise StateError(
                f"抽取失败（批次 {run_id}），本批次未导入任何数据，增量位置未变：{type(exc).__name__}: {exc}"
            ) from exc
        result = {"run_id": run_id, "source": source, "status": "完成", **counts}
        if counts["imported"]:
            (notify or _notify)(run_id)
        return result
    finally:
        _process_lock.release()


def _notify(run_id: int) -> None:
    """Let other features react (e.g. the warning list): every listener of
    ``listeners.ON_PENALTY_SYNC`` is called after the commit."""
    for fn in listeners.ON_PENALTY_SYNC:
        try:
            fn(run_id)
        except Exception:  # noqa: BLE001 - a listener never undoes the import
            log.exception("on_penalty_sync listener %s failed", fn.__module__)


_soon = threading.Condition()
_soon_state: dict = {"run": None, "thread": None, "last": 0.0, "first": 0.0}
SOON_QUIET_S = 1.0  # listeners run once no API run came for this long …
SOON_MAX_S = 10.0  # … or at the latest this long after the first waiting run


def _notify_soon(run_id: int) -> None:
    """The listeners of API runs (the 行权系统 posting batch after batch) run
    in one background thread once the calls pause (``SOON_QUIET_S``, at most
    ``SOON_MAX_S`` late), covering every run committed before: the warning
    list is recomputed once for a burst of calls instead of once per call.
    Nothing is missed meanwhile: the recomputation is incremental and
    idempotent, and the warning list's readers bring it up to date first
    (``warning.ensure_current``)."""
    import time as _time

    with _soon:
        now = _time.monotonic()
        if _soon_state["run"] is None:
            _soon_state["first"] = now
        _soon_state["run"], _soon_state["last"] = run_id, now
        _soon.notify()
        t = _soon_state["thread"]
        if t is None or not t.is_alive():
            t = threading.Thread(target=_soon_worker, name="penalty-notify", daemon=True)
            _soon_state["thread"] = t
            t.start()


def _soon_worker() -> None:
    import time as _time

    while True:
        with _soon:
            if _soon_state["run"] is None:
                _soon.wait(timeout=30)
                if _soon_state["run"] is None:
                    _soon_state["thread"] = None
                    return
            now = _time.monotonic()
            due = min(_soon_state["last"] + SOON_QUIET_S, _soon_state["first"] + SOON_MAX_S)
            if now < due:
                _soon.wait(timeout=due - now)
                continue
            run_id, _soon_state["run"] = _soon_state["run"], None
        try:
            _notify(run_id)
        except Exception:  # noqa: BLE001 - never stops the worker
            log.exception("penalty listeners after run %s failed", run_id)


def _require_sync(actor: Actor | None, action: str) -> None:
    """``None`` is the system itself (command line, scheduler)."""
    if actor is not None:
        require(actor, "admin", "approver", action=action)


def import_files(
    actor: Actor | None, files: list[tuple[str, object]], *, source: str = SOURCE_FILE, trigger: str = "命令行"
) -> dict:
    """Import whole .csv/.xlsx files (paths or bytes) as one run."""
    if actor is not None:
        require(actor, "admin", action="导入行政处罚数据")
    if not files:
        raise ValidationError("请选择要导入的行政处罚文件。")
    source = v.text(source, "数据源名称", max_len=40)
    for name, _ in files:
        if not isinstance(name, str) or not name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(f"文件“{name}”的类型不支持：行政处罚数据只接受 .csv 或 .xlsx 文件。")
    return _run(actor, source, trigger, lambda: ps.FileAdapter(files))


MAX_RECORDS = 5000  # rows of one API call


def import_records(actor: Actor, records: list[dict], *, source: str, also=None) -> dict:
    """Penalties posted by the 行权系统 through the HTTP API: the rows of one
    call are one run, with the same validation, quarantine, de-duplication
    (source, 决定书文号), audit row and warning-list recomputation as a file
    import.  Same roles as 立即同步.  ``also(cur)`` runs inside the import's
    transaction (the API stores the call's nonce with it: one commit fewer)."""
    _require_sync(actor, "推送行政处罚数据")
    if not records:
        raise ValidationError("请提供至少一条行政处罚记录。")
    if len(records) > MAX_RECORDS:
        raise ValidationError(f"一次最多推送 {MAX_RECORDS} 条行政处罚记录（当前 {len(records)} 条），请分批推送。")
    source = v.text(source, "数据源名称", max_len=40)
    adapter = ps.RecordsAdapter(records)
    adapter.fields()  # missing required fields: refused before any run is logged
    # concurrent calls queue for the one run at a time (up to 30 s) instead of
    # being refused; the warning list is brought up to date once the calls pause
    return _run(actor, source, "接口推送", lambda: adapter, wait=30, notify=_notify_soon, also=also)


def sync_source(actor: Actor | None, name: str, trigger: str = "立即同步") -> dict:
    """One incremental run of a configured source."""
    _require_sync(actor, "同步行政处罚数据")
    src = _source_row(name)
    if not src["enabled"]:
        raise StateError(f"数据源“{name}”已停用。")
    wm = ps.load_json(src["watermark"])
    if src["kind"] == "sql":
        mapping = json.loads(src["column_mapping"] or "{}")
        if ps.is_sqlite_path_missing(src["location"]):

            def missing():
                raise ValidationError(f"数据源“{name}”的数据库文件不存在：{src['location']}")

            return _run(actor, name, trigger, missing)
        return _run(
            actor,
            name,
            trigger,
            lambda: ps.SqlAdapter(src["location"], src["table_name"], mapping, src["watermark_column"], wm),
            watermark_of=lambda a: a.new_watermark,
        )
    holder: dict = {}

    def make():
        files, new = ps.folder_files(src["location"], wm)
        holder["wm"] = new
        return ps.FileAdapter(files)

    return _run(actor, name, trigger, make, watermark_of=lambda a: holder.get("wm"))


def sync_all(actor: Actor | None, trigger: str = "立即同步") -> list[dict]:
    """Every enabled source, one run each; a failing source does not stop
    the others (its run is logged as 失败 and reported in the result)."""
    _require_sync(actor, "同步行政处罚数据")
    if _process_lock.locked():
        raise SyncBusy("已有行政处罚抽取正在运行，同一时间只运行一个抽取任务，请稍后再试。")
    out = []
    for name in [r[0] for r in get_db().all("SELECT name FROM penalty_source WHERE enabled ORDER BY name")]:
        try:
            out.append(sync_source(actor, name, trigger))
        except SyncBusy:
            raise
        except SgldError as exc:
            out.append(
                {
                    "source": name,
                    "status": "失败",
                    "error": str(exc),
                    "rows_read": 0,
                    "imported": 0,
                    "duplicates": 0,
                    "quarantined": 0,
                }
            )
    return out


def summary_line(results: list[dict]) -> str:
    total = {k: sum(r.get(k, 0) for r in results) for k in ("rows_read", "imported", "duplicates", "quarantined")}
    return (
        f"read={total['rows_read']} imported={total['imported']} "
        f"duplicates={total['duplicates']} quarantined={total['quarantined']}"
    )


def sync_status() -> dict:
    """Whether a run is going on now, and the last run."""
    db = get_db()
    run_id, owner, started, last_end = db.one("SELECT run_id, owner, started_at, last_end FROM penalty_sync_state")
    last = db.dicts("SELECT * FROM penalty_run ORDER BY id DESC LIMIT 1")
    return {
        "running": run_id is not None,
        "run_id": run_id,
        "started_at": started,
        "last_end": last_end,
        "last_run": last[0] if last else None,
    }


RUN_LABELS = {
    "id": "批次",
    "source": "数据源",
    "trigger": "方式",
    "started_at": "开始时间",
    "ended_at": "结束时间",
    "status": "状态",
    "rows_read": "读取",
    "imported": "导入",
    "duplicates": "重复",
    "quarantined": "隔离",
    "error": "错误",
    "started_by": "发起人",
}


def list_runs(actor: Actor, limit: int = 500) -> pd.DataFrame:
    require(actor, "admin", "approver", "leader", action="查看抽取记录")
    return (
        get_db()
        .df(f"SELECT {', '.join(RUN_LABELS)} FROM penalty_run ORDER BY id DESC LIMIT ?", [int(limit)])
        .rename(columns=RUN_LABELS)
    )
