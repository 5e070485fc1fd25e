"""Penalty extraction from configured sources: watermarks, failures midway,
never two runs at once (scheduler), quarantine release, sources, reminders."""

import json
import os
import sqlite3
import threading

import pytest

from sgld import penalty_sources as ps
from sgld import scheduler, uscc
from sgld.demo.supervision import XQ_MAPPING, XQ_TABLE
from sgld.errors import PermissionDenied, StateError, ValidationError
from sgld.services import penalty
from sgld.services.penalty import pipeline

CODE = uscc.make("91320602MA1N2B3C4")


def make_source(path, n, start=1, bad=()):
    con = sqlite3.connect(path)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {XQ_TABLE} (ID INTEGER PRIMARY KEY, "
        + ", ".join(f"{c} TEXT" for c in XQ_MAPPING.values())
        + ")"
    )
    for i in range(start, start + n):
        vals = {c: "" for c in XQ_MAPPING.values()}
        vals.update(
            CF_XDR_MC="南通同步测试有限公司",
            CF_XDR_SHXYM=CODE if i not in bad else "坏",
            CF_WSH=f"通市监处罚〔2025〕{i}号",
            CF_JDRQ="2025-06-01",
            CF_NR_FK="1.5",
            CF_CFJG="南通市市场监督管理局",
        )
        con.execute(
            f"INSERT INTO {XQ_TABLE} (ID, {', '.join(vals)}) VALUES (?, {', '.join('?' * len(vals))})",
            [i, *vals.values()],
        )
    con.commit()
    con.close()


@pytest.fixture
def source(db, tmp_path, as_user):
    path = tmp_path / "xq.sqlite"
    make_source(path, 10, bad={4})
    penalty.save_source(
        as_user("admin"),
        name="测试源",
        kind="sql",
        location=f"sqlite:///{path}",
        table_name=XQ_TABLE,
        watermark_column="ID",
        column_mapping=XQ_MAPPING,
    )
    # only this source is enabled in these tests
    db.write(lambda cur: cur.execute("UPDATE penalty_source SET enabled = (name = '测试源')"))
    return path


def wm(db, name="测试源"):
    raw = db.scalar("SELECT watermark FROM penalty_source WHERE name = ?", [name])
    return json.loads(raw) if raw else None


def test_incremental_runs_read_only_new_rows(db, source, as_user):
    r = penalty.sync_source(as_user("approver"), "测试源")
    assert (r["rows_read"], r["imported"], r["quarantined"]) == (10, 9, 1)
    assert wm(db) == {"value": 10, "type": "int"}
    again = penalty.sync_source(None, "测试源", trigger="定时")
    assert (again["rows_read"], again["imported"]) == (0, 0)
    make_source(source, 5, start=11)
    more = penalty.sync_all(as_user("admin"))
    assert [(m["rows_read"], m["imported"]) for m in more] == [(5, 5)]
    assert wm(db) == {"value": 15, "type": "int"}
    assert db.scalar("SELECT count(*) FROM penalty WHERE source = '测试源'") == 14
    # reset: read from the start, nothing stored twice
    penalty.reset_watermark(as_user("admin"), "测试源")
    full = penalty.sync_source(None, "测试源")
    assert (full["rows_read"], full["imported"], full["duplicates"]) == (15, 0, 15)


def test_failure_midway_leaves_no_partial_batch_and_watermark(db, source, monkeypatch):
    penalty.sync_source(None, "测试源")
    make_source(source, 6, start=11)
    before = db.scalar("SELECT count(*) FROM penalty")
    mark = wm(db)
    monkeypatch.setattr(ps, "BATCH_ROWS", 2)
    real = penalty._store_stage
    calls = {"n": 0}

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full (injected)")
        return real(*a, **k)

    monkeypatch.setattr(pipeline, "_store_stage", flaky)
    with pytest.raises(StateError) as e:
        penalty.sync_source(None, "测试源")
    assert "未导入任何数据" in str(e.value) and "injected" in str(e.value)
    assert calls["n"] == 2  # the first batch had been inserted inside the transaction
    assert db.scalar("SELECT count(*) FROM penalty") == before
    assert wm(db) == mark
    run = db.one("SELECT status, error, imported FROM penalty_run ORDER BY id DESC LIMIT 1")
    assert run[0] == "失败" and "injected" in run[1] and run[2] == 0
    assert db.scalar("SELECT run_id FROM penalty_sync_state") is None
    # the next run picks up where the watermark was
    monkeypatch.setattr(pipeline, "_store_stage", real)
    r = penalty.sync_source(None, "测试源")
    assert (r["rows_read"], r["imported"]) == (6, 6)


def test_scheduler_does_not_start_a_second_run(db, source, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real = ps.SqlAdapter.batches

    def slow(self):
        started.set()
        assert release.wait(20)
        yield from real(self)

    monkeypatch.setattr(ps.SqlAdapter, "batches", slow)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", penalty.sync_source(None, "测试源")))
    t.start()
    try:
        assert started.wait(20)
        assert scheduler.tick() is None  # skipped, not queued
        assert scheduler.last_result["skipped"] is True
        with pytest.raises(StateError):
            penalty.sync_all(None)
        with pytest.raises(StateError):
            penalty.import_files(None, [("a.csv", b"x")])
        assert penalty.sync_status()["running"]
        assert db.scalar("SELECT count(*) FROM penalty_run WHERE status = '运行中'") == 1
    finally:
        release.set()
        t.join(20)
    assert out["r"]["imported"] == 9
    assert db.scalar("SELECT count(*) FROM penalty_run WHERE status = '运行中'") == 0


def test_db_run_state_of_another_live_process_blocks(db, source):
    # another process (alive: our parent) holds the run state
    import socket

    owner = f"{socket.gethostname()}:{os.getppid()}"
    from sgld import clock

    db.write(
        lambda cur: cur.execute(
            "UPDATE penalty_sync_state SET run_id = 999, owner = ?, started_at = ?", [owner, clock.now()]
        )
    )
    with pytest.raises(StateError) as e:
        penalty.sync_source(None, "测试源")
    assert "正在运行" in str(e.value)
    # a dead owner's state is taken over
    db.write(lambda cur: cur.execute("UPDATE penalty_sync_state SET owner = ?", [f"{socket.gethostname()}:999999"]))
    r = penalty.sync_source(None, "测试源")
    assert r["imported"] == 9


def test_scheduler_thread_runs_sync(db, source, monkeypatch):
    calls = []
    monkeypatch.setattr(scheduler, "tick", lambda: calls.append(1))
    assert scheduler.start(minutes=0.001)
    assert not scheduler.start(minutes=0.001)  # once per process
    try:
        import time

        deadline = time.time() + 10
        while not calls and time.time() < deadline:
            time.sleep(0.05)
        assert calls
    finally:
        scheduler.stop()
    assert not scheduler.running()
    assert scheduler.start(minutes=0) is False


def test_scheduler_setting(monkeypatch):
    from sgld import settings
    from sgld.errors import ConfigError

    monkeypatch.setenv("SGLD_PENALTY_SYNC_MINUTES", "15")
    settings.reset()
    assert scheduler.interval_minutes() == 15
    monkeypatch.setenv("SGLD_PENALTY_SYNC_MINUTES", "abc")
    settings.reset()
    with pytest.raises(ConfigError):
        scheduler.interval_minutes()
    monkeypatch.delenv("SGLD_PENALTY_SYNC_MINUTES")
    settings.reset()


def test_missing_database_file_fails_cleanly(db, source, tmp_path, as_user):
    penalty.save_source(
        as_user("admin"),
        name="测试源",
        kind="sql",
        location=f"sqlite:///{tmp_path}/nope.sqlite",
        table_name=XQ_TABLE,
        watermark_column="ID",
        column_mapping=XQ_MAPPING,
    )
    with pytest.raises(ValidationError):
        penalty.sync_source(None, "测试源")
    results = penalty.sync_all(None)
    assert results[0]["status"] == "失败" and "不存在" in results[0]["error"]
    assert not os.path.exists(tmp_path / "nope.sqlite")


def test_sync_permissions(db, source, as_user):
    for who in ("leader", "supervisor", "liaison"):
        with pytest.raises(PermissionDenied):
            penalty.sync_all(as_user(who))
    with pytest.raises(PermissionDenied):
        penalty.save_source(as_user("approver"), name="x", kind="file", location="/tmp")


def test_source_validation(db, as_user):
    admin = as_user("admin")
    with pytest.raises(ValidationError):
        penalty.save_source(
            admin,
            name="x",
            kind="sql",
            location="sqlite:////tmp/x.sqlite",
            table_name="t",
            watermark_column="ID",
            column_mapping={"uscc": "A"},
        )  # required fields unmapped
    with pytest.raises(ValidationError):
        penalty.save_source(
            admin,
            name="x",
            kind="sql",
            location="sqlite:////tmp/x.sqlite",
            table_name="t",
            watermark_column="",
            column_mapping=XQ_MAPPING,
        )
    with pytest.raises(ValidationError):
        penalty.save_source(
            admin,
            name="x",
            kind="sql",
            location="sqlite:////tmp/x.sqlite",
            table_name="t",
            watermark_column="ID",
            column_mapping="{not json",
        )
    # JSON that is not an object is refused with the same message (it raised
    # AttributeError before the type check was reached)
    for not_an_object in ('["CF_WSH"]', '"CF_WSH"', "3"):
        with pytest.raises(ValidationError, match="列映射应为 JSON 对象"):
            penalty.save_source(
                admin,
                name="x",
                kind="sql",
                location="sqlite:////tmp/x.sqlite",
                table_name="t",
                watermark_column="ID",
                column_mapping=not_an_object,
            )


def test_folder_source_reads_new_files_only(db, tmp_path, as_user):
    from tests.test_penalty_import import GOOD, csv_bytes, row

    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.csv").write_bytes(csv_bytes(GOOD))
    penalty.save_source(as_user("admin"), name="目录", kind="file", location=str(folder))
    r = penalty.sync_source(None, "目录")
    assert (r["rows_read"], r["imported"]) == (8, 8)
    assert penalty.sync_source(None, "目录")["rows_read"] == 0
    b = folder / "b.csv"
    b.write_bytes(csv_bytes([row(no="新1"), row(no="新2")]))
    os.utime(b, (os.path.getmtime(folder / "a.csv") + 5,) * 2)
    r = penalty.sync_source(None, "目录")
    assert (r["rows_read"], r["imported"]) == (2, 2)


def test_quarantine_release_and_dismiss(db, source, as_user):
    admin = as_user("admin")
    r = penalty.sync_source(None, "测试源")
    qid = db.scalar("SELECT id FROM penalty_quarantine WHERE run_id = ?", [r["run_id"]])
    item = penalty.quarantine_item(admin, qid)
    assert item["values"]["decision_no"] == "通市监处罚〔2025〕4号" and item["values"]["uscc"] == "坏"
    with pytest.raises(PermissionDenied):
        penalty.release(as_user("supervisor"), qid, item["values"])
    with pytest.raises(ValidationError) as e:
        penalty.release(admin, qid, item["values"])  # still bad
    assert "统一社会信用代码" in str(e.value)
    fixed = {**item["values"], "uscc": CODE.lower()}
    pid = penalty.release(admin, qid, fixed, "人工核对后修正代码")
    p = db.one("SELECT uscc, decision_no, fine_wan, source FROM penalty WHERE id = ?", [pid])
    assert p[0] == CODE and p[1] == "通市监处罚〔2025〕4号" and float(p[2]) == 1.5 and p[3] == "测试源"
    assert db.scalar("SELECT status FROM penalty_quarantine WHERE id = ?", [qid]) == "已放行"
    with pytest.raises(StateError):
        penalty.release(admin, qid, fixed)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'release' AND object_id = ?", [str(qid)]) == 1
    # dismiss needs a reason
    make_source(source, 1, start=50, bad={50})
    r2 = penalty.sync_source(None, "测试源")
    q2 = db.scalar("SELECT id FROM penalty_quarantine WHERE run_id = ?", [r2["run_id"]])
    with pytest.raises(ValidationError):
        penalty.dismiss(admin, q2, "")
    penalty.dismiss(admin, q2, "行权系统已作废该记录")
    assert db.scalar("SELECT status FROM penalty_quarantine WHERE id = ?", [q2]) == "已忽略"


def test_admin_reminder_counts_pending_quarantine(db, as_user):
    n = db.scalar("SELECT count(*) FROM penalty_quarantine WHERE status = '待处理'")
    rem = {r.kind: r for r in penalty.reminders(as_user("admin"))}
    assert n > 0 and rem["penalty_quarantine"].count == n and rem["penalty_quarantine"].page == "admin"
    assert penalty.reminders(as_user("supervisor")) == []


def test_demo_source_is_configured_and_synced(db):
    src = db.one("SELECT kind, table_name, enabled, watermark FROM penalty_source WHERE name = '行权系统'")
    assert src[0] == "sql" and src[1] == XQ_TABLE and src[2] and src[3]
    assert db.scalar("SELECT count(*) FROM penalty WHERE source = '行权系统'") > 100
    reasons = " ".join(r[0] for r in db.all("SELECT reason FROM penalty_quarantine"))
    for why in ("不能为空", "校验位错误", "不是有效日期", "不能晚于今天", "缺少行政处罚决定书文号", "不是有效金额"):
        assert why in reasons


@pytest.mark.parametrize("with_watermark", [True, False])
def test_database_rows_are_fetched_in_chunks_into_whole_batches(tmp_path, monkeypatch, with_watermark):
    """Rows become Arrow a chunk at a time (bounded memory) yet batches have
    their full size, every row keeps its location and the watermark is the
    last row's."""
    path = tmp_path / "xq.sqlite"
    make_source(path, 23, bad={7})
    monkeypatch.setattr(ps, "FETCH_ROWS", 4)
    adapter = ps.SqlAdapter(
        f"sqlite:///{path}", XQ_TABLE, XQ_MAPPING, "ID" if with_watermark else None, None, batch_rows=10
    )
    batches = list(adapter.batches())
    assert [len(b) for b in batches] == [10, 10, 3]
    rows = [r for b in batches for r in b.frame.column("_row").to_pylist()]
    assert rows == ([str(i) for i in range(1, 24)] if with_watermark else list(range(1, 24)))
    numbers = [x for b in batches for x in b.frame.column("decision_no").to_pylist()]
    assert numbers == [f"通市监处罚〔2025〕{i}号" for i in range(1, 24)]
    assert batches[0].frame.column("uscc").to_pylist()[6] == "坏"
    assert batches[0].location(rows[6]) == (f"{XQ_TABLE} ID=7" if with_watermark else f"{XQ_TABLE} 第7条")
    assert adapter.new_watermark == ({"value": 23, "type": "int"} if with_watermark else None)
