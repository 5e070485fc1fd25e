"""Backups restore everything (issue 15 item 2): one file with the database,
every attachment blob and a SHA-256 manifest, taken while the app writes;
restore verifies before it replaces anything and records itself."""

import hashlib
import json
import os
import subprocess
import sys
import threading
import zipfile

import duckdb
import pytest

from db import connection
from db.connection import Database
from sgld import attachments, audit, backup, settings
from tests.conftest import ROOT


def _tables(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
            ).fetchall()
        ]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


def _point(monkeypatch, folder):
    # a restore elsewhere runs with the same audit key as the backed-up install
    monkeypatch.setenv("SGLD_AUDIT_KEY", settings.get().audit_key)
    connection.reset()
    monkeypatch.setenv("SGLD_DB", str(folder / "sgld.duckdb"))
    monkeypatch.setenv("SGLD_DATA_DIR", str(folder / "data"))
    settings.reset()


def _check_restored(folder, live_files):
    """Every attachment readable from the restored folders and equal by hash
    to the live blob; the audit chain verifies.  Returns the tables."""
    db = Database(folder / "sgld.duckdb")
    try:
        rows = db.all("SELECT sha256, size_bytes FROM attachment")
        ok, n, broken = audit.verify(db)
        assert ok and broken is None and n > 0
    finally:
        db.close()
        audit.forget_head()
    for sha, size in rows:
        blob = folder / "data" / "files" / sha[:2] / sha[2:4] / sha
        data = blob.read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha
        assert (live_files / sha[:2] / sha[2:4] / sha).read_bytes() == data
    return _tables(folder / "sgld.duckdb"), len(rows)


def _writer(db, stop, written, errors):
    i = 0
    try:
        while not stop.is_set():
            i += 1
            f = attachments.check_upload(f"并发{i}.pdf", b"%%PDF-1.4 concurrent %d" % i)
            db.write(lambda cur, f=f, i=i: attachments.attach(cur, None, "test", i, f))
            written.append(i)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def _wait_for(cond, errors):
    for _ in range(3000):
        if errors:
            raise errors[0]
        if cond():
            return
        threading.Event().wait(0.01)
    raise AssertionError("the writer made no progress")


@pytest.mark.duckdb_only  # the PostgreSQL backup (pg_dump + files) is still to come
def test_backup_under_writes_restores_everything(db, tmp_path, monkeypatch):
    live_path = db.path
    live_files = settings.get().data_dir / "files"
    demo_attachments = db.scalar("SELECT count(*) FROM attachment")
    assert demo_attachments > 0
    stop, written, errors = threading.Event(), [], []
    t = threading.Thread(target=_writer, args=(db, stop, written, errors))
    t.start()
    try:
        _wait_for(lambda: len(written) >= 5, errors)
        during = backup.snapshot(db, tmp_path / "bk")
        before_end = len(written)
        _wait_for(lambda: len(written) >= before_end + 5, errors)  # the app kept writing
    finally:
        stop.set()
        t.join()
    quiet = backup.snapshot(db, tmp_path / "bk")
    assert during.suffix == ".sgldbak" and len(list((tmp_path / "bk").iterdir())) == 2
    manifest = json.loads(zipfile.ZipFile(quiet).read("manifest.json"))
    assert {p["name"] for p in manifest["parts"]} >= {"database.duckdb"}
    assert all(len(p["sha256"]) == 64 for p in manifest["parts"])
    live_audit = db.scalar("SELECT count(*) FROM audit_log")
    connection.reset()
    live = _tables(live_path)

    # the quiet backup into empty folders: every table equal
    _point(monkeypatch, tmp_path / "fresh1")
    r = backup.restore(quiet, actor="恢复员")
    assert r["dropped"] == 0 and r["kept"] is None
    tables, n = _check_restored(tmp_path / "fresh1", live_files)
    assert n == demo_attachments + len(written)
    assert tables["audit_log"][:-1] == live["audit_log"]
    assert {k: v for k, v in tables.items() if not k.startswith("audit_")} == {
        k: v for k, v in live.items() if not k.startswith("audit_")
    }

    # the backup taken under writes: a state that existed, with all its files
    _point(monkeypatch, tmp_path / "fresh2")
    backup.restore(during)
    tables, n = _check_restored(tmp_path / "fresh2", live_files)
    assert demo_attachments < n < demo_attachments + len(written)
    k = len(tables["audit_log"]) - 1
    assert tables["audit_log"][:-1] == live["audit_log"][:k]

    # the older backup over the newer database: says how many rows it drops
    env = {key: v for key, v in os.environ.items() if not key.startswith("SGLD_")}
    env.update(
        {
            "SGLD_DB": str(tmp_path / "fresh1" / "sgld.duckdb"),
            "SGLD_DATA_DIR": str(tmp_path / "fresh1" / "data"),
            "SGLD_MAINTENANCE": "off",
            "SGLD_AUDIT_KEY": settings.get().audit_key,
        }
    )
    newer_rows = live_audit + 1  # with the first restore's row
    out = subprocess.run(
        [sys.executable, "manage.py", "restore", "--force", "--actor", "李四", str(during)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    dropped = newer_rows - k
    assert f"多 {dropped} 条操作日志" in out.stdout
    con = duckdb.connect(str(tmp_path / "fresh1" / "sgld.duckdb"), read_only=True)
    actor, action, after = con.execute(
        "SELECT actor, action, after_json FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    con.close()
    after = json.loads(after)
    assert (actor, action) == ("李四", "restore")
    assert after["rows_dropped"] == dropped and after["source"] == str(during.resolve())
    assert list((tmp_path / "fresh1").glob("sgld.duckdb.before-restore-*"))  # kept, not lost


def _rewrite(src, dest, *, skip=None, damage=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            if info.filename == skip:
                continue
            data = zin.read(info.filename)
            if info.filename == damage:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            zout.writestr(info.filename, data)


@pytest.mark.duckdb_only  # the PostgreSQL backup (pg_dump + files) is still to come
def test_restore_refuses_damaged_or_partial_backups(db, tmp_path, monkeypatch):
    good = backup.snapshot(db, tmp_path / "good.sgldbak")
    blob = next(n for n in zipfile.ZipFile(good).namelist() if n.startswith("files/"))
    cut = tmp_path / "cut.sgldbak"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    flipped = tmp_path / "flipped.sgldbak"
    raw = bytearray(good.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    flipped.write_bytes(bytes(raw))
    _rewrite(good, tmp_path / "noblob.sgldbak", skip=blob)
    _rewrite(good, tmp_path / "badblob.sgldbak", damage=blob)
    _rewrite(good, tmp_path / "nomanifest.sgldbak", skip="manifest.json")
    legacy = tmp_path / "old.duckdb"
    legacy.write_bytes(b"\0" * 4096)
    cases = {
        cut: "不完整或已损坏",
        flipped: "已损坏",
        tmp_path / "noblob.sgldbak": "备份不完整",
        tmp_path / "badblob.sgldbak": "SHA-256 与清单不符",
        tmp_path / "nomanifest.sgldbak": "缺少清单",
        legacy: "不含附件",
    }
    connection.reset()
    target = tmp_path / "live"
    _point(monkeypatch, target)
    backup.restore(good)
    before = (target / "sgld.duckdb").read_bytes()
    for path, message in cases.items():
        with pytest.raises(backup.BackupInvalid, match=message) as exc:
            backup.restore(path, force=True)
        assert "未做任何改动" in str(exc.value)
        assert (target / "sgld.duckdb").read_bytes() == before
    assert not list(target.glob("sgld.duckdb.before-restore-*"))


@pytest.mark.duckdb_only  # the PostgreSQL backup (pg_dump + files) is still to come
def test_retention_counts_backups(db, tmp_path):
    for _ in range(4):
        backup.snapshot(db, tmp_path / "bk")
    gone = backup.prune(tmp_path / "bk", 2)
    assert len(gone) == 2 and len(list((tmp_path / "bk").glob("sgld-*.sgldbak"))) == 2
