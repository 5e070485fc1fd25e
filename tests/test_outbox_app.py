"""Admin tab 推送队列 (AppTest): webhooks per department, the secret shown
once, events by state, retry."""

from __future__ import annotations

from sgld.services import outbox
from tests.apptest_util import as_logged_in, button
from tests.conftest import actor
from tests.test_push_service import record

PAGE = "pages/9_系统管理.py"


def tab_run():
    at = as_logged_in(PAGE, "admin")
    at.session_state["admin_tab"] = "推送队列"
    return at.run()


def test_register_shows_secret_once_and_lists_events(db):
    at = tab_run()
    assert not at.exception
    assert "推送队列" in [t.label for t in at.tabs]
    assert "部门事件接收地址" in [h.value for h in at.subheader]
    sm = db.scalar("SELECT id FROM department WHERE name = '市场监管局'")
    sel = next(s for s in at.selectbox if s.key == "ob_dept")
    sel.set_value(sm).run()
    url = next(t for t in at.text_input if t.label == "接收地址")
    url.input("ftp://bad")
    button(at, "登记接收地址").click().run()
    assert any("http" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM webhook_subscription") == 0
    assert next(t for t in at.text_input if t.label == "接收地址").value == "ftp://bad"  # input kept
    next(t for t in at.text_input if t.label == "接收地址").input("http://127.0.0.1:9/hook")
    button(at, "登记接收地址").click().run()
    assert not at.exception and not at.error
    codes = [c.value for c in at.code]
    assert codes and codes[0].startswith("whsec_")
    row = db.dicts("SELECT * FROM webhook_subscription WHERE department_id = ?", [sm])[0]
    assert outbox.secret_of(row) == codes[0]
    at.run()
    assert not [c for c in at.code if c.value.startswith("whsec_")]  # shown only once
    # an event that failed is listed and can be queued again
    record(db, case_no="OBA-1", code="SC-001")
    eid = db.scalar("SELECT max(id) FROM outbox_event WHERE department_id = ?", [sm])
    db.write(
        lambda cur: cur.execute(
            "UPDATE outbox_event SET state = 'failed', attempts = 30, last_error = 'HTTP 500' WHERE id = ?", [eid]
        )
    )
    at = tab_run()
    assert not at.exception
    assert any(m.label == "投递失败" and str(m.value) == "1" for m in at.metric)
    outbox.retry(actor("admin"), [eid])
    assert db.scalar("SELECT state FROM outbox_event WHERE id = ?", [eid]) == "pending"
