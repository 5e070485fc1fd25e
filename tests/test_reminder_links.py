"""Issue 16 item 11: each 处理提醒 link opens the list it counts, filtered as
counted — not the page's default tab (AppTest, demo database)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from sgld.services import dashboard
from tests.apptest_util import as_logged_in, login
from tests.conftest import actor

PAGE_SCRIPTS = {
    "push": "pages/1_审批推送.py",
    "supervise": "pages/2_监管录入.py",
    "review": "pages/3_专项审查.py",
    "liaison": "pages/4_联络员.py",
}
# the tab a user expects for each reminder (named in the walk-through)
EXPECTED_TAB = {
    "push_to_sign": ("push_tab", "待签收"),
    "claim_to_take": ("push_tab", "待领取"),
    "push_overdue": ("push_tab", "签收情况"),
    "revocation_todo": ("push_tab", "协同处理待办"),
    "explanation_to_sign": ("sup_tab", "协同处理申请"),
    "followup_supervision": ("sup_tab", "后续监管任务"),
    "liaison_to_dispatch": ("lz_tab", "商请函与派员"),
    "liaison_unanswered": ("lz_tab", "商请函总览"),
    "liaison_dept_rect_due": ("lz_tab", "整改跟踪"),
    "liaison_rect_due": ("lz_tab", "整改跟踪"),
    "liaison_my_reviews": ("lz_tab", "我的审查任务"),
    "liaison_to_sign": ("lz_tab", "我的审查任务"),
    "liaison_discipline": ("lz_tab", "我的审查任务"),
}


def _links(username: str) -> dict[str, str]:
    """todo kind -> page path of the landing page's 处理提醒 links."""
    at = login(username)
    if "处理提醒" in [t.label for t in at.tabs]:  # a leader lands on 统计分析
        at.session_state["home_tab"] = "处理提醒"
        at.run()
    assert not at.exception, at.exception
    out = {}
    for p in at.get("page_link"):
        todo = parse_qs(p.proto.query_string).get("todo")
        if todo:
            out[todo[0]] = p.proto.page
    return out


def _counts_shown(at) -> set[int]:
    """The row counts of the lists on the page (data_table's "共 N 条" caption)."""
    return {int(c.value.split()[1]) for c in at.caption if c.value.startswith("共 ")}


@pytest.mark.parametrize(
    "username", ["supervisor", "supervisor2", "approver", "claimer", "liaison", "leader", "cityleader"]
)
def test_each_reminder_opens_its_list(db, username):
    who = actor(username)
    reminders = {r.kind: r for r in dashboard.work_view(who).reminders if r.count}
    links = _links(username)
    assert set(links) == set(reminders)  # every shown reminder links, with its kind
    for kind, r in reminders.items():
        at = as_logged_in(PAGE_SCRIPTS[r.page], username)
        at.query_params["todo"] = kind
        at.run()
        assert not at.exception, (kind, at.exception)
        if kind.startswith("review_"):
            assert at.session_state["review_tab"] == "审查一览"
            pills = at.get("button_group")
            assert any(p.value == kind or p.value == [kind] for p in pills), kind
            assert r.count in _counts_shown(at), kind
            continue
        key, label = EXPECTED_TAB[kind]
        assert at.session_state[key] == label, kind
        assert r.count in _counts_shown(at), (kind, r.count, _counts_shown(at))
        # the parameter is used once: the user's next click is not overridden
        assert "todo" not in at.query_params
