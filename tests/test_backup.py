"""Backup and restore: offline, and from the running app via the CLI."""

import os
import subprocess
import sys

import duckdb
import pytest

from db import connection
from sgld import backup
from tests.conftest import ROOT


def _env(tmp_path, db_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGLD_")}
    env.update({"SGLD_DB": str(db_path), "SGLD_DATA_DIR": str(tmp_path / "data"), "SGLD_MAINTENANCE": "off"})
    return env


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


@pytest.mark.duckdb_only  # the PostgreSQL backup (pg_dump + files) is still to come
def test_snapshot_and_restore_into_a_fresh_directory(db, tmp_path):
    dest = backup.snapshot(db, tmp_path / "bk")
    assert dest.parent == tmp_path / "bk" and dest.name.startswith("sgld-") and dest.suffix == ".sgldbak"
    original = db.path
    connection.reset()
    fresh = tmp_path / "fresh"
    env = _env(fresh, fresh / "restored.duckdb")
    # the audit key travels with the deployment's configuration, not the backup
    from sgld import settings

    env["SGLD_AUDIT_KEY"] = settings.get().audit_key
    out = subprocess.run(
        [sys.executable, "manage.py", "restore", str(dest)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    restored, live = _tables(fresh / "restored.duckdb"), _tables(original)
    # the restore itself is the one audit row more
    assert restored["audit_log"][:-1] == live["audit_log"] and restored["audit_log"][-1][5] == "restore"
    assert {k: v for k, v in restored.items() if not k.startswith("audit_")} == {
        k: v for k, v in live.items() if not k.startswith("audit_")
    }
    # refuses to overwrite without --force
    out = subprocess.run(
        [sys.executable, "manage.py", "restore", str(dest)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 1 and "--force" in out.stderr
    out = subprocess.run(
        [sys.executable, "manage.py", "restore", "--force", str(dest)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0
    out = subprocess.run(
        [sys.executable, "manage.py", "verify-audit"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.startswith("OK ")


@pytest.mark.duckdb_only  # the PostgreSQL backup (pg_dump + files) is still to come
def test_the_app_keeps_its_file_lock_after_a_backup(db, tmp_path):
    """A backup must not release the running app's lock on the database."""
    backup.snapshot(db, tmp_path / "bk")
    out = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(db.path)!r})"], capture_output=True, text=True
    )
    assert out.returncode != 0 and "lock" in out.stderr.lower()


@pytest.mark.duckdb_only  # the PostgreSQL backup (pg_dump + files) is still to come
def test_restore_refuses_a_file_that_is_not_a_backup(empty_db, tmp_path):
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_bytes(b"not a database")
    with pytest.raises(ValueError, match="不是有效的系统备份"):
        backup.restore(bogus, force=True)


@pytest.mark.duckdb_only  # the PostgreSQL backup (pg_dump + files) is still to come
def test_backup_of_the_running_app_via_request(db, tmp_path, monkeypatch):
    """The CLI asks the app (which holds the file) and the app's thread serves it."""
    monkeypatch.setenv("SGLD_MAINTENANCE", "on")
    from sgld import settings

    settings.reset()
    assert backup.start_maintenance(poll_seconds=0.1)
    try:
        out = subprocess.run(
            [sys.executable, "manage.py", "backup", str(tmp_path / "live.sgldbak")],
            cwd=ROOT,
            env={**_env(tmp_path, db.path), "SGLD_DATA_DIR": str(settings.get().data_dir)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        backup.stop_maintenance()
    assert out.returncode == 0, out.stderr
    assert "请求运行中的系统" in out.stdout
    assert backup.check_backup(tmp_path / "live.sgldbak") >= 1


def test_prune_keeps_the_newest(tmp_path):
    for i in range(5):
        (tmp_path / f"sgld-2026010{i}-000000-000000.sgldbak").write_text("x")
    gone = backup.prune(tmp_path, 2)
    assert len(gone) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "sgld-20260103-000000-000000.sgldbak",
        "sgld-20260104-000000-000000.sgldbak",
    ]


def test_daily_due():
    from datetime import datetime

    assert backup.daily_due(None, datetime(2026, 11, 26, 3), 2)
    assert not backup.daily_due(datetime(2026, 11, 26, 2, 5), datetime(2026, 11, 26, 3), 2)
    assert not backup.daily_due(None, datetime(2026, 11, 26, 1), 2)
    assert not backup.daily_due(None, datetime(2026, 11, 26, 3), -1)
