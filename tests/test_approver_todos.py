"""Issue 16 item 21: an approver's to-dos are their own division's and own
cases, not every overdue push of the bureau (that stays a list under 签收情况);
the holiday-data notice goes to the admin, once, on the landing page, with
the action to take — not on every 审批推送 page for every role."""

from __future__ import annotations

from datetime import datetime

from sgld import clock
from sgld.services import push, push_query
from tests.apptest_util import as_logged_in, login
from tests.conftest import actor


def _overdue(who):
    return {r.kind: r for r in push.reminders(who)}["push_overdue"]


def test_each_approver_counts_only_their_division_and_own_cases(db):
    ap, ap2 = actor("approver"), actor("approver2")
    everything = push_query.push_list(ap, status="待签收", overdue_only=True)
    mine = push_query.push_list(ap, status="待签收", overdue_only=True, own_cases=True)
    theirs = push_query.push_list(ap2, status="待签收", overdue_only=True, own_cases=True)
    assert 0 < len(mine) < len(everything) and 0 < len(theirs) < len(everything)
    assert not set(mine["push_id"]) & set(theirs["push_id"])  # two divisions, two lists
    assert _overdue(ap).count == len(mine) and _overdue(ap2).count == len(theirs)
    # a case the approver recorded for another division is still theirs
    pid = int(theirs["push_id"].iloc[0])
    db.write(
        lambda c: c.execute(
            "UPDATE approval_case SET handler_id = ? WHERE id = (SELECT case_id FROM push WHERE id = ?)",
            [ap.user_id, pid],
        )
    )
    assert _overdue(ap).count == len(mine) + 1
    # supervisors and leaders get no such to-do
    assert "push_overdue" not in {r.kind for r in push.reminders(actor("leader"))}


def test_overdue_link_opens_the_own_list_and_the_bureau_list_stays(db):
    ap = actor("approver")
    n = _overdue(ap).count
    at = as_logged_in("pages/1_审批推送.py", "approver")
    at.query_params["todo"] = "push_overdue"
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["push_tab"] == "签收情况"
    assert at.session_state["ovw_scope"] == "本处室及本人经办"
    shown = {int(c.value.split()[1]) for c in at.caption if c.value.startswith("共 ")}
    assert n in shown
    at.session_state["ovw_scope"] = "全局"
    at.run()
    total = len(push_query.push_list(ap, status="待签收", overdue_only=True))
    assert total in {int(c.value.split()[1]) for c in at.caption if c.value.startswith("共 ")}


def _texts(at) -> str:
    return "\n".join(
        str(e.value) for kind in ("info", "warning", "markdown", "caption") for e in at.get(kind) if hasattr(e, "value")
    )


def test_holiday_notice_only_for_the_admin_on_the_landing_page(db, monkeypatch):
    clock.freeze(datetime(2026, 12, 3, 10, 0))  # 2027's holidays are not published
    try:
        note = push_query.calendar_note()
    finally:
        clock.freeze(None)
    assert note and "系统管理 → 节假日设置" in note
    # the pages run in this process: every page sees that note, whatever today is
    monkeypatch.setattr(push_query, "calendar_note", lambda years=None: note)
    for who in ("approver", "supervisor", "leader", "admin"):
        at = as_logged_in("pages/1_审批推送.py", who)
        at.run()
        assert not at.exception, (who, at.exception)
        assert "节假日安排" not in _texts(at), who
    for who in ("approver", "supervisor", "leader"):
        assert "节假日安排" not in _texts(login(who)), who
    at = login("admin")
    assert not at.exception, at.exception
    assert _texts(at).count("2027 年的法定节假日安排尚未维护") == 1
    links = [p.proto for p in at.get("page_link")]
    assert any(p.label == "维护节假日" and p.page == "系统管理" for p in links)
