"""Backups and restore.

A DuckDB file can be opened by one process only, so a backup of the running
app is taken *by the app*: :func:`snapshot` checkpoints and copies the file
while holding the database's write lock (readers go on; writers wait), which
makes the copy a consistent snapshot.  The command line reaches a running app
through request files in ``<SGLD_DATA_DIR>/backup-requests/`` that the app's
maintenance thread serves (:func:`serve_requests`); the data folder belongs
to the server account, so only it can ask.  The same thread takes the daily
backup (``SGLD_BACKUP_HOUR``) and keeps ``SGLD_BACKUP_KEEP`` copies.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from sgld import clock, settings

PREFIX = "sgld-"


def backup_dir() -> Path:
    cfg = settings.get()
    return Path(cfg.get("BACKUP_DIR") or cfg.data_dir / "backups")


def requests_dir() -> Path:
    return settings.get().data_dir / "backup-requests"


def _target(dest: Path) -> Path:
    if dest.is_dir() or not dest.suffix:  # a folder: name the file by time
        dest.mkdir(parents=True, exist_ok=True)
        return dest / f"{PREFIX}{clock.now():%Y%m%d-%H%M%S-%f}.duckdb"
    return dest


def snapshot(db, dest: Path | str, *, force: bool = False) -> Path:
    """Consistent copy of the open database to ``dest`` (file or folder)."""
    dest = _target(Path(dest))
    if dest.exists() and not force:
        raise FileExistsError(f"{dest} 已存在；如需覆盖请加 --force。")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    with db._write_lock:
        db._con.execute("CHECKPOINT")
        # Copy in a child process: DuckDB's file lock is a POSIX record lock,
        # which this process would lose the moment it closed *any* descriptor
        # of the database file — another process could then open it.
        subprocess.run([sys.executable, "-c", "import shutil, sys; shutil.copyfile(*sys.argv[1:])",
                        db.path, str(tmp)], check=True)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    return dest


def check_backup(path: Path) -> int:
    """Open a backup read-only; return its number of applied migrations."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    finally:
        con.close()


def restore(src: Path | str, *, force: bool = False) -> Path:
    """Copy a backup over the configured database (the app must be stopped)."""
    src, dest = Path(src), settings.get().db
    if not src.is_file():
        raise FileNotFoundError(f"备份文件 {src} 不存在。")
    try:
        check_backup(src)
    except duckdb.Error as exc:
        raise ValueError(f"{src} 不是有效的系统备份：{exc}") from None
    if dest.exists() and not force:
        raise FileExistsError(f"数据库 {dest} 已存在；确认要用备份覆盖它请加 --force。")
    if dest.exists():
        try:  # refuses while the app holds the file
            duckdb.connect(str(dest)).close()
        except duckdb.IOException:
            raise RuntimeError("系统正在运行并占用数据库，请先停止系统再恢复。") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".restoring")
    shutil.copyfile(src, tmp)
    wal = dest.with_name(dest.name + ".wal")
    if wal.exists():
        wal.unlink()
    os.replace(tmp, dest)
    return dest


def prune(folder: Path, keep: int) -> list[Path]:
    files = sorted(folder.glob(f"{PREFIX}*.duckdb"))
    gone = files[:-keep] if keep > 0 else []
    for f in gone:
        f.unlink()
    return gone


# -- requests from the command line to the running app ----------------------
def request(dest: str, force: bool, timeout: float = 600) -> dict:
    """Ask the running app for a backup and wait for its answer."""
    folder = requests_dir()
    folder.mkdir(parents=True, exist_ok=True)
    rid = uuid.uuid4().hex
    tmp = folder / f"{rid}.tmp"
    tmp.write_text(json.dumps({"dest": str(Path(dest).resolve()), "force": force}))
    os.replace(tmp, folder / f"{rid}.json")
    done = folder / f"{rid}.done"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done.exists():
            result = json.loads(done.read_text())
            done.unlink()
            return result
        time.sleep(0.2)
    (folder / f"{rid}.json").unlink(missing_ok=True)
    return {"ok": False, "error": "运行中的系统没有响应备份请求（维护线程未运行？）。"}


def serve_requests(db) -> int:
    folder = requests_dir()
    if not folder.is_dir():
        return 0
    served = 0
    for req in sorted(folder.glob("*.json")):
        try:
            spec = json.loads(req.read_text())
            t = time.perf_counter()
            path = snapshot(db, spec["dest"], force=bool(spec.get("force")))
            result = {"ok": True, "path": str(path), "seconds": time.perf_counter() - t,
                      "bytes": path.stat().st_size}
        except Exception as exc:  # noqa: BLE001 - reported back to the caller
            result = {"ok": False, "error": str(exc)}
        done = req.with_suffix(".done")
        done.write_text(json.dumps(result, ensure_ascii=False))
        req.unlink(missing_ok=True)
        served += 1
    return served


def daily_due(last: datetime | None, now: datetime, hour: int) -> bool:
    if hour < 0:
        return False
    return now.hour >= hour and (last is None or last.date() < now.date())


_thread: threading.Thread | None = None
_stop = threading.Event()
_lock = threading.Lock()


def start_maintenance(poll_seconds: float = 1.0) -> bool:
    """Start the app's maintenance thread once per process (backup requests
    and the daily backup); off when SGLD_MAINTENANCE=off."""
    from db.connection import get_db
    global _thread
    with _lock:
        cfg = settings.get()
        if (_thread is not None and _thread.is_alive()) or cfg.get("MAINTENANCE") == "off":
            return False
        hour = int(cfg.get("BACKUP_HOUR") or 2)
        keep = int(cfg.get("BACKUP_KEEP") or 14)

        _stop.clear()

        def loop():
            existing = sorted(backup_dir().glob(f"{PREFIX}*.duckdb")) if backup_dir().is_dir() else []
            last = datetime.fromtimestamp(existing[-1].stat().st_mtime) if existing else None
            while not _stop.is_set():
                try:
                    db = get_db()
                    serve_requests(db)
                    now = clock.now()
                    if daily_due(last, now, hour):
                        snapshot(db, backup_dir())
                        prune(backup_dir(), keep)
                        last = now
                except Exception as exc:  # noqa: BLE001 - keep the thread alive, log
                    print(f"[sgld maintenance] {exc}", flush=True)
                _stop.wait(poll_seconds)

        _thread = threading.Thread(target=loop, name="sgld-maintenance", daemon=True)
        _thread.start()
        return True


def stop_maintenance(timeout: float = 5) -> None:
    global _thread
    with _lock:
        _stop.set()
        if _thread is not None:
            _thread.join(timeout)
        _thread = None
