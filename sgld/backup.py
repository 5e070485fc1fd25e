"""Backups and restore.

A backup is one self-contained file (``sgld-<time>.sgldbak``, a zip): the
database snapshot, every attachment blob the snapshot references, and
``manifest.json`` with the SHA-256 and size of each part.

A DuckDB file can be opened by one process only, so a backup of the running
app is taken *by the app*: :func:`snapshot` checkpoints and copies the file
and lists the referenced blobs while holding the database's write lock
(readers go on; writers wait), which makes the copy a consistent snapshot.
Blobs are content-addressed and written before the row that references them,
and never changed, so they can be packed after the lock is released.  The
command line reaches a running app through request files in
``<SGLD_DATA_DIR>/backup-requests/`` that the app's maintenance thread serves
(:func:`serve_requests`); the data folder belongs to the server account, so
only it can ask.  The same thread takes the daily backup
(``SGLD_BACKUP_HOUR``) and keeps ``SGLD_BACKUP_KEEP`` backups.

:func:`restore` verifies the whole backup (every part present, every hash
equal, every referenced blob included) before it replaces anything, keeps the
replaced database next to it, and records the restore in the audit log.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb

from sgld import clock, settings
from sgld.errors import ConfigError

PREFIX = "sgld-"
SUFFIX = ".sgldbak"
FORMAT = "sgld-backup"
DB_PART = "database.duckdb"
MANIFEST = "manifest.json"


class BackupInvalid(ValueError):
    """The backup file is damaged, partial or not a backup (Chinese message)."""


def backup_dir() -> Path:
    cfg = settings.get()
    return Path(cfg.get("BACKUP_DIR") or cfg.data_dir / "backups")


def requests_dir() -> Path:
    return settings.get().data_dir / "backup-requests"


def files_dir() -> Path:
    return settings.get().data_dir / "files"


def _blob_rel(sha: str) -> str:
    return f"files/{sha[:2]}/{sha[2:4]}/{sha}"


def _target(dest: Path) -> Path:
    if dest.is_dir() or not dest.suffix:  # a folder: name the file by time
        dest.mkdir(parents=True, exist_ok=True)
        return dest / f"{PREFIX}{clock.now():%Y%m%d-%H%M%S-%f}{SUFFIX}"
    return dest


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _audit_rows(con) -> int:
    return con.execute("SELECT count(*) FROM audit_log").fetchone()[0]


NOT_ON_POSTGRES = (
    "PostgreSQL 后端暂不支持本系统的备份与恢复命令：请用 pg_dump / pg_restore 备份数据库，并另行备份数据目录中的附件。"
)


def snapshot(db, dest: Path | str, *, force: bool = False) -> Path:
    """Consistent, self-contained backup of the open database and its
    attachments to ``dest`` (file or folder)."""
    if db.dialect != "duckdb":
        raise ConfigError(NOT_ON_POSTGRES)
    dest = _target(Path(dest))
    if dest.exists() and not force:
        raise FileExistsError(f"{dest} 已存在；如需覆盖请加 --force。")
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".sgld-backup-", dir=dest.parent))
    try:
        db_copy = stage / DB_PART
        with db._write_lock:
            db._con.execute("CHECKPOINT")
            # Copy in a child process: DuckDB's file lock is a POSIX record lock,
            # which this process would lose the moment it closed *any* descriptor
            # of the database file — another process could then open it.
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import shutil, sys; shutil.copyfile(*sys.argv[1:])",
                    str(db.path),
                    str(db_copy),
                ],
                check=True,
            )
        con = duckdb.connect(str(db_copy), read_only=True)
        try:
            shas = [r[0] for r in con.execute("SELECT DISTINCT sha256 FROM attachment ORDER BY 1").fetchall()]
            audit_rows = _audit_rows(con)
            migrations = con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
        finally:
            con.close()
        parts = [{"name": DB_PART, "sha256": _sha256_file(db_copy), "size": db_copy.stat().st_size}]
        missing = []
        for sha in shas:
            src = files_dir() / _blob_rel(sha).removeprefix("files/")
            if not src.is_file():
                missing.append(sha)
                continue
            parts.append({"name": _blob_rel(sha), "sha256": sha, "size": src.stat().st_size})
        if missing:  # back up what exists, and say what the live data lacks
            print(
                f"[sgld backup] 警告：有 {len(missing)} 个附件文件在数据目录中缺失"
                f"（例如 {missing[0]}），备份中也没有，请联系系统管理员。",
                file=sys.stderr,
                flush=True,
            )
        manifest = {
            "format": FORMAT,
            "version": 1,
            "created_at": clock.now().isoformat(),
            "migrations": migrations,
            "audit_rows": audit_rows,
            "attachments": len(shas),
            "missing": missing,
            "parts": parts,
        }
        tmp = stage / (dest.name + ".part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.write(db_copy, DB_PART)
            for p in parts[1:]:
                src = files_dir() / p["name"].removeprefix("files/")
                zf.write(src, p["name"])
                if _sha256_file(src) != p["sha256"]:
                    raise RuntimeError(
                        f"附件文件 {p['sha256']} 的内容与其哈希不符，数据目录可能已损坏，请联系系统管理员。"
                    )
            # the manifest last: a file cut short has none
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return dest


def check_backup(path: Path) -> int:
    """Verify a backup; return its number of applied migrations."""
    with tempfile.TemporaryDirectory(prefix=".sgld-check-") as tmp:
        return _unpack(Path(path), Path(tmp))["migrations"]


def _bad(src: Path, why: str) -> BackupInvalid:
    return BackupInvalid(f"{src} 不是有效的系统备份（{why}），未做任何改动。")


def _unpack(src: Path, stage: Path) -> dict:
    """Extract ``src`` into ``stage`` and verify every part; return the
    manifest.  Raises :class:`BackupInvalid` with a Chinese message."""
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError):
        with open(src, "rb") as fh:
            head = fh.read(16)
        if head.startswith(b"PK"):
            raise _bad(src, "文件不完整或已损坏") from None
        raise _bad(
            src, "不是备份文件，或是只含数据库、不含附件的旧格式备份；请使用 manage.py backup 生成的 .sgldbak 文件"
        ) from None
    with zf:
        try:
            manifest = json.loads(zf.read(MANIFEST))
        except KeyError:
            raise _bad(src, "缺少清单 manifest.json，备份不完整") from None
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise _bad(src, f"清单无法读取：{exc}") from None
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("parts"), list):
            raise _bad(src, "清单格式不符")
        names = set(zf.namelist())
        listed = {p.get("name") for p in manifest["parts"]}
        if DB_PART not in listed:
            raise _bad(src, "清单中没有数据库")
        for p in manifest["parts"]:
            name = p.get("name", "")
            if name != DB_PART and not (name.startswith("files/") and ".." not in name):
                raise _bad(src, f"清单中有不允许的路径 {name}")
            if name not in names:
                raise _bad(src, f"缺少 {name}，备份不完整")
            out = stage / name
            out.parent.mkdir(parents=True, exist_ok=True)
            h = hashlib.sha256()
            try:
                with zf.open(name) as fin, open(out, "wb") as fout:
                    for chunk in iter(lambda: fin.read(1 << 20), b""):
                        h.update(chunk)
                        fout.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise _bad(src, f"{name} 已损坏：{exc}") from None
            if h.hexdigest() != p.get("sha256") or out.stat().st_size != p.get("size"):
                raise _bad(src, f"{name} 的 SHA-256 与清单不符，文件已损坏")
    try:
        con = duckdb.connect(str(stage / DB_PART), read_only=True)
    except duckdb.Error as exc:
        raise _bad(src, f"数据库无法打开：{exc}") from None
    try:
        manifest["migrations"] = con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
        shas = {r[0] for r in con.execute("SELECT DISTINCT sha256 FROM attachment").fetchall()}
        manifest["audit_rows"] = _audit_rows(con)
    except duckdb.Error as exc:
        raise _bad(src, f"数据库内容不符：{exc}") from None
    finally:
        con.close()
    known = set(manifest.get("missing") or [])  # already absent when backed up
    absent = {s for s in shas if _blob_rel(s) not in listed and s not in known}
    if absent:
        raise _bad(src, f"数据库引用的 {len(absent)} 个附件不在备份中，备份不完整")
    return manifest


def restore(src: Path | str, *, force: bool = False, actor: str = "system") -> dict:
    """Verify a backup, then put it in place of the configured database and
    data files (the app must be stopped).  Returns a summary: ``db``,
    ``attachments``, ``backup_rows``, ``live_rows``, ``dropped`` (audit rows
    the live database had beyond the backup) and ``kept`` (where the replaced
    database was moved, or None)."""
    src, dest = Path(src), settings.get().db
    if dest is None:
        raise ConfigError(NOT_ON_POSTGRES)
    if not src.is_file():
        raise FileNotFoundError(f"备份文件 {src} 不存在。")
    if dest.exists() and not force:
        raise FileExistsError(f"数据库 {dest} 已存在；确认要用备份覆盖它请加 --force。")
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".sgld-restore-", dir=dest.parent))
    try:
        manifest = _unpack(src, stage)  # nothing is replaced before this passes
        live_rows = 0
        if dest.exists():
            try:  # refuses while the app holds the file
                con = duckdb.connect(str(dest))
            except (duckdb.IOException, duckdb.ConnectionException):
                raise RuntimeError("系统正在运行并占用数据库，请先停止系统再恢复。") from None
            try:
                live_rows = _audit_rows(con)
            except duckdb.Error:
                live_rows = 0
            finally:
                con.close()
        backup_rows = manifest["audit_rows"]
        # blobs first (content-addressed: existing ones are equal and stay)
        blobs = [p for p in manifest["parts"] if p["name"] != DB_PART]
        target_files = files_dir()
        for p in blobs:
            out = target_files / p["name"].removeprefix("files/")
            if out.is_file() and _sha256_file(out) == p["sha256"]:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(out.name + ".restoring")
            shutil.copyfile(stage / p["name"], tmp)
            os.replace(tmp, out)
        kept = None
        if dest.exists():
            kept = dest.with_name(f"{dest.name}.before-restore-{clock.now():%Y%m%d-%H%M%S}")
            os.replace(dest, kept)
        wal = dest.with_name(dest.name + ".wal")
        if wal.exists():
            if kept is not None:
                os.replace(wal, kept.with_name(kept.name + ".wal"))
            else:
                wal.unlink()
        os.replace(stage / DB_PART, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    dropped = max(live_rows - backup_rows, 0)
    _record(dest, actor, src, backup_rows, live_rows)
    return {
        "db": dest,
        "attachments": len(blobs),
        "backup_rows": backup_rows,
        "live_rows": live_rows,
        "dropped": dropped,
        "kept": kept,
    }


def _record(dest: Path, actor: str, src: Path, backup_rows: int, live_rows: int) -> None:
    from db.connection import Database
    from sgld import audit

    audit.forget_head()
    db = Database(dest)
    try:
        with db.transaction() as cur:
            audit.record_restore(
                cur, actor_name=actor, source=str(src.resolve()), backup_rows=backup_rows, live_rows=live_rows
            )
        db.checkpoint()
    finally:
        db.close()
        audit.forget_head()


def prune(folder: Path, keep: int) -> list[Path]:
    files = sorted(
        list(folder.glob(f"{PREFIX}*{SUFFIX}")) + list(folder.glob(f"{PREFIX}*.duckdb")),
        key=lambda p: p.name.removesuffix(SUFFIX).removesuffix(".duckdb"),
    )
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
            result = {"ok": True, "path": str(path), "seconds": time.perf_counter() - t, "bytes": path.stat().st_size}
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
        if cfg.db_url:  # the PostgreSQL server is backed up with its own tools
            return False
        hour = int(cfg.get("BACKUP_HOUR") or 2)
        keep = int(cfg.get("BACKUP_KEEP") or 14)

        _stop.clear()

        def loop():
            existing = (
                sorted(backup_dir().glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
                if backup_dir().is_dir()
                else []
            )
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
