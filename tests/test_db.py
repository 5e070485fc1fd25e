"""Storage: migrations, the write pattern under concurrency, the audit chain."""

import subprocess
import sys
import threading

import pytest

from db.connection import Database, get_db
from db.migrate import available, migrate
from sgld import audit
from sgld.errors import AuthError, DatabaseBusy, ValidationError
from sgld.services import org
from tests.conftest import ROOT, actor


def test_migrations_on_empty_then_up_to_date(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    applied = migrate(db)
    assert applied == [p.name for _, p in available()]
    assert migrate(db) == []  # re-running is a no-op
    versions = [r[0] for r in db.all("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [v for v, _ in available()]
    assert db.scalar("SELECT count(*) FROM audit_head") == 1
    db.close()


def test_failed_write_rolls_back_everything(db):
    before = db.scalar("SELECT count(*) FROM audit_log")

    def tx(cur):
        cur.execute("INSERT INTO department (name, kind, created_at) VALUES ('x', 'bureau', now())")
        audit.record(cur, None, "create", "department", 0)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.write(tx)
    assert db.scalar("SELECT count(*) FROM department WHERE name = 'x'") == 0
    assert db.scalar("SELECT count(*) FROM audit_log") == before
    assert audit.verify(db)[0]


def test_concurrent_audited_writes(db):
    """8 threads × 100 audited writes through a service: nothing lost, chain valid."""
    admin = actor("admin")
    audit_before = db.scalar("SELECT count(*) FROM audit_log")
    errors = []

    def worker(t):
        try:
            for i in range(100):
                org.create_department(admin, f"并发测试部门{t}-{i}", "supervision")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert db.scalar("SELECT count(*) FROM department WHERE name LIKE '并发测试部门%'") == 800
    assert db.scalar("SELECT count(*) FROM audit_log") - audit_before == 800
    ok, n, broken = audit.verify(db)
    assert ok and broken is None and n == audit_before + 800


def test_group_commit_keeps_each_unit_all_or_nothing(db):
    """Units queued while another transaction runs commit together; one that
    fails is rolled back alone and its caller gets its own error, the others
    their own results, in order."""
    from sgld.errors import ValidationError

    audit_before = db.scalar("SELECT count(*) FROM audit_log")
    results, errors = {}, {}

    def unit(i):
        def tx(cur):
            cur.execute("INSERT INTO department (name, kind, created_at) VALUES (?, 'bureau', now())", [f"分组提交{i}"])
            audit.record(cur, None, "create", "department", i)
            if i == 3:
                raise ValidationError("第 3 个操作不合法。")
            return i * 10

        return tx

    def caller(i):
        try:
            results[i] = db.write(unit(i))
        except ValidationError as exc:
            errors[i] = str(exc)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(6)]
    with db.transaction():  # hold the writer so that all six queue up
        for th in threads:
            th.start()
        import time

        deadline = time.monotonic() + 10
        while len(db._queue) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(db._queue) == 6
        commits_before = audit.data_version()
    for th in threads:
        th.join()
    assert results == {0: 0, 1: 10, 2: 20, 4: 40, 5: 50}
    assert errors == {3: "第 3 个操作不合法。"}
    names = {r[0] for r in db.all("SELECT name FROM department WHERE name LIKE '分组提交%'")}
    assert names == {f"分组提交{i}" for i in (0, 1, 2, 4, 5)}
    assert db.scalar("SELECT count(*) FROM audit_log") - audit_before == 5
    # the holding transaction, then [0, 1, 2] and [4, 5] as two groups (not five)
    assert audit.data_version() - commits_before == 3
    assert audit.verify(db)[0]


def _record_groups(db, monkeypatch) -> list[int]:
    sizes: list[int] = []
    run = db._run_group
    monkeypatch.setattr(db, "_run_group", lambda units: (sizes.append(len(units)), run(units))[1])
    return sizes


def _dept(i):
    def tx(cur):
        cur.execute("INSERT INTO department (name, kind, created_at) VALUES (?, 'bureau', now())", [f"聚合提交{i}"])
        audit.record(cur, None, "create", "department", i)

    return tx


def test_new_leader_waits_for_the_previous_groups_writers(db, monkeypatch):
    """After a group of 3, the next leader waits until 3 units are queued
    (the callers of a finished group come back a moment later) and commits
    them together instead of alone."""
    import time

    from db import backend

    monkeypatch.setattr(backend, "GATHER_S", 30.0)
    sizes = _record_groups(db, monkeypatch)
    with db._queue_cond:
        db._last_group = 3
    first = threading.Thread(target=db.write, args=(_dept(0),))
    first.start()
    deadline = time.monotonic() + 10
    while not db._leading and time.monotonic() < deadline:
        time.sleep(0.005)
    assert db._leading and sizes == []  # leading, but still gathering
    others = [threading.Thread(target=db.write, args=(_dept(i),)) for i in (1, 2)]
    for th in others:
        th.start()
    for th in [first, *others]:
        th.join(timeout=20)
    assert sizes == [3]
    assert db.scalar("SELECT count(*) FROM department WHERE name LIKE '聚合提交%'") == 3


def test_lone_writer_does_not_wait(db, monkeypatch):
    from db import backend

    monkeypatch.setattr(backend, "GATHER_S", 60.0)
    sizes = _record_groups(db, monkeypatch)
    for i in range(3):  # the previous group had 1 unit: nothing to wait for
        th = threading.Thread(target=db.write, args=(_dept(i),))
        th.start()
        th.join(timeout=20)
        assert not th.is_alive()
    assert sizes == [1, 1, 1]


def test_write_retries_a_conflict_as_a_whole(db):
    """A write conflict (DuckDB: TransactionException; PostgreSQL: a
    serialization failure) is retried by re-running the whole unit."""
    calls = []

    def tx(cur):
        calls.append(1)
        if len(calls) == 1:
            raise db.retryable[0]("Conflict on update")
        cur.execute("INSERT INTO setting VALUES ('retry_probe', '1', now(), 'test')")

    db.write(tx)
    assert len(calls) == 2
    assert db.scalar("SELECT value FROM setting WHERE key = 'retry_probe'") == "1"


def test_audit_tampering_is_detected(db):
    org.set_setting(actor("admin"), "default_sign_limit_days", "4")
    org.set_setting(actor("admin"), "default_sign_limit_days", "5")
    assert audit.verify(db)[0]
    victim = db.scalar("SELECT max(id) - 1 FROM audit_log")
    db.write(lambda cur: cur.execute('UPDATE audit_log SET after_json = \'{"value": "9"}\' WHERE id = ?', [victim]))
    ok, _, broken = audit.verify(db)
    assert not ok and broken == victim


def test_verify_audit_command(db, tmp_path):
    env_db = str(db.path)
    from db import connection

    connection.reset()  # release the file for the subprocess
    out = subprocess.run(
        [sys.executable, "manage.py", "verify-audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(env_db, tmp_path),
    )
    assert out.returncode == 0 and out.stdout.startswith("OK ")
    d = connection.open_database()
    d.write(lambda cur: cur.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1"))
    d.close()
    out = subprocess.run(
        [sys.executable, "manage.py", "verify-audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(env_db, tmp_path),
    )
    assert out.returncode == 1 and "id 1" in out.stdout


def _env(db_path, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SGLD_")}
    env.update({"SGLD_DB": db_path, "SGLD_DATA_DIR": str(tmp_path / "data")})
    return env


@pytest.mark.duckdb_only  # a DuckDB file has one writer process; a server has many
def test_second_process_gets_a_clear_message(db, tmp_path):
    get_db()  # this process holds the file
    out = subprocess.run(
        [sys.executable, "manage.py", "verify-audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(str(db.path), tmp_path),
    )
    assert out.returncode == 2
    assert "正被另一个进程" in out.stderr


def test_database_busy_is_raised_in_process_terms(tmp_path):
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy):
            Database(path)
    finally:
        holder.kill()


def test_many_audit_rows_in_one_transaction(db):
    """The audit rows of a transaction are written in chunks before it commits."""
    before = db.scalar("SELECT count(*) FROM audit_log")
    db.write(lambda cur: [audit.record(cur, None, "probe", "setting", i) for i in range(450)])
    assert db.scalar("SELECT count(*) FROM audit_log") - before == 450
    assert db.scalar("SELECT last_id FROM audit_head") == before + 450
    assert audit.verify(db)[0]


def test_every_committed_write_moves_the_data_version_for_everyone(db):
    """Issue 17.4: cached figures are keyed on the process-wide data version,
    so another user's write shows on everyone's next run; a refused write
    moves nothing (the caches stay valid)."""
    admin = actor("admin")
    v0 = audit.data_version()
    org.create_department(admin, "版本测试部门", "supervision")
    v1 = audit.data_version()
    assert v1 != v0
    with pytest.raises(ValidationError):
        org.create_department(admin, "版本测试部门", "supervision")  # refused: nothing committed
    assert audit.data_version() == v1


def test_logins_and_logouts_do_not_move_the_data_version(db):
    """A login or logout changes no list or figure: cached ones stay valid
    (SESSION_ACTIONS); a refused login neither.  A password change does move it."""
    from sgld.services import accounts

    v0 = audit.data_version()
    n = db.scalar("SELECT count(*) FROM audit_log")
    me = accounts.authenticate("approver", "Sgld@2026")
    with pytest.raises(AuthError):
        accounts.authenticate("approver", "wrong password")
    accounts.logout(me)
    assert db.scalar("SELECT count(*) FROM audit_log") == n + 3  # all three audited
    assert audit.data_version() == v0
    accounts.change_own_password(
        accounts.authenticate("approver", "Sgld@2026"), "Sgld@2026", "Nt#Approver-2027", "Nt#Approver-2027"
    )
    assert audit.data_version() != v0


def test_db_threads_setting(tmp_path, monkeypatch):
    from db import connection
    from sgld import settings

    monkeypatch.setenv("SGLD_DB", str(tmp_path / "t.duckdb"))
    monkeypatch.setenv("SGLD_DB_THREADS", "1")
    settings.reset()
    connection.reset()
    try:
        assert connection.get_db().scalar("SELECT current_setting('threads')") == 1
    finally:
        connection.reset()
        settings.reset()
