"""Crash safety of the real server: SIGKILL `streamlit run server.py` while an
administrator's 立即同步 imports a large penalty file and a supervisor keeps
saving inspection forms in the browser; start the server again and check
that every write acknowledged on screen is there exactly once, the import is
all or nothing, and the audit chain verifies.

(tests/test_crash.py does the same at a higher write rate with a plain
worker process calling the services.)"""

import csv
import re
import signal
import time

import duckdb

from db import connection
from sgld import audit
from tests.browser_util import Server, login, open_tab, shot, wait_ready
from tests.conftest import _point_at
from tests.test_crash import HEAD

ROWS = 400_000


def _prepare(demo_template, work):
    """A copy of the demo database with a large file source configured."""
    from tests.conftest import copy_install

    copy_install(demo_template, work)
    con = duckdb.connect(str(work / "sgld.duckdb"))
    ents = con.execute("SELECT uscc, name FROM enterprise ORDER BY id LIMIT 500").fetchall()
    folder = work / "source"
    folder.mkdir()
    with open(folder / "big.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for i in range(ROWS):
            code, name = ents[i % len(ents)]
            w.writerow(
                [
                    name,
                    code,
                    "张三",
                    f"通崩服〔2026〕{i}号",
                    "违规经营",
                    "事实",
                    "依据",
                    "罚款",
                    "罚款一千元",
                    "0.1",
                    "2026-03-05",
                    "市场监管局",
                ]
            )
    con.close()
    _point_at(work)
    from sgld.services import penalty
    from tests.conftest import actor

    db = connection.get_db()
    penalty.save_source(actor("admin"), name="崩溃测试源", kind="file", location=str(folder))
    before = {
        "penalty": db.scalar("SELECT count(*) FROM penalty"),
        "audit": db.scalar("SELECT count(*) FROM audit_log"),
    }
    connection.reset()
    return ents[0][0], before


def _save_inspection(page, code, marker, seen, wait=30.0):
    panel = page.get_by_role("tabpanel")
    box = panel.get_by_role("textbox", name="统一社会信用代码")
    try:
        box.wait_for(timeout=30_000)
    except Exception:
        shot(page, "crash-server-entry")
        raise
    if box.input_value() != code:
        box.fill(code)
        box.press("Enter")
        page.get_by_text("已登记企业").first.wait_for(timeout=20_000)
        wait_ready(page)
    panel.get_by_role("textbox", name="检查情况").fill(marker)
    panel.get_by_role("button", name="保存检查记录").click()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        # the previous run's confirmation stays on screen during the rerun:
        # only a new id acknowledges this write
        for text in page.get_by_text("检查记录已保存").all_inner_texts():
            m = re.search(r"编号 (\d+)", text)
            if m and int(m.group(1)) not in seen:
                seen.add(int(m.group(1)))
                return int(m.group(1))
        page.wait_for_timeout(50)
    return None


def test_sigkill_server_mid_import_and_forms(demo_template, tmp_path, browser):
    work = tmp_path / "srv"
    code, before = _prepare(demo_template, work)
    srv = Server(work, extra_env={"SGLD_PENALTY_SYNC_MINUTES": "0", "SGLD_MAINTENANCE": "off"})
    acked: dict[int, str] = {}
    import_acked = False
    killed_at = None
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        admin, sup = (c.new_page() for c in contexts)
        login(admin, srv.url, "admin")
        admin.goto(f"{srv.url}/监管录入")
        open_tab(admin, "处罚抽取")
        login(sup, srv.url, "supervisor")
        sup.goto(f"{srv.url}/监管录入")
        open_tab(sup, "录入检查")
        seen: set[int] = set()
        i = 0
        while len(acked) < 3 and i < 6:  # a few writes before the import starts
            iid = _save_inspection(sup, code, f"srvcrash-{i}", seen)
            if iid:
                acked[iid] = f"srvcrash-{i}"
            i += 1
        if len(acked) < 3:
            shot(sup, "crash-server-entry")
        assert len(acked) == 3, "the first inspections were not acknowledged"
        admin.get_by_role("button", name="立即同步", exact=True).click()
        started = time.monotonic()
        # a form write while the import runs: it waits for the import's
        # transaction, so it may or may not be acknowledged before the kill
        while time.monotonic() - started < 3:
            iid = _save_inspection(sup, code, f"srvcrash-{i}", seen, wait=1.0)
            if iid:
                acked[iid] = f"srvcrash-{i}"
            i += 1
        import_acked = admin.get_by_text("崩溃测试源：读取").count() > 0
        srv.proc.send_signal(signal.SIGKILL)
        killed_at = time.monotonic() - started
        srv.proc.wait(10)
    finally:
        for c in contexts:
            c.close()
        srv.stop()

    # start again: the server's start-up path opens the database (WAL replay)
    srv2 = Server(work, extra_env={"SGLD_PENALTY_SYNC_MINUTES": "0", "SGLD_MAINTENANCE": "off"})
    srv2.stop()  # released: inspect the file from this process
    con = duckdb.connect(str(work / "sgld.duckdb"))
    found = dict(con.execute("SELECT id, findings FROM inspection WHERE findings LIKE 'srvcrash-%'").fetchall())
    counts = dict(
        con.execute("SELECT findings, count(*) FROM inspection WHERE findings LIKE 'srvcrash-%' GROUP BY 1").fetchall()
    )
    imported = con.execute("SELECT count(*) FROM penalty").fetchone()[0] - before["penalty"]
    audited = {
        r[0]
        for r in con.execute(
            "SELECT object_id FROM audit_log WHERE object_type = 'inspection' AND action = 'create'"
        ).fetchall()
    }
    con.close()
    missing = {i: m for i, m in acked.items() if found.get(i) != m}
    assert not missing, f"acknowledged writes lost: {missing}"
    assert all(c == 1 for c in counts.values()), counts
    assert {str(i) for i in found} <= audited  # nothing written without its audit row
    assert imported in (0, ROWS), imported  # the import is all or nothing
    if import_acked:
        assert imported == ROWS
    print(
        f"server crash test: killed {killed_at:.1f} s after 立即同步; {len(acked)} inspections "
        f"acknowledged, all present once; import {'committed' if imported else 'rolled back'} "
        f"({imported} of {ROWS} rows, acknowledged: {import_acked})"
    )
    db = connection.get_db()  # SGLD_DB still points at the server's file
    ok, n, broken = audit.verify(db)
    assert ok, broken
    assert n >= before["audit"] + len(acked)
