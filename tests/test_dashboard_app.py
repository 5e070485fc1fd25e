"""The landing page per role (AppTest) and the work view: every reminder's
count equals the list it links to (the feature services' own list functions),
on the demo database."""

from __future__ import annotations

from sgld import clock
from sgld.services import dashboard, inspection, liaison, push_query, revocation
from sgld.services import special_review as sr
from tests.apptest_util import login, page_source
from tests.conftest import actor


def by_kind(who) -> dict:
    return {r.kind: r for r in dashboard.work_view(who).reminders}


def test_supervisor_reminders_equal_their_lists(db):
    sup = actor("supervisor")
    r = by_kind(sup)
    assert r["push_to_sign"].count == len(push_query.push_list(sup, status="待签收")) > 0
    assert r["push_to_sign"].overdue == len(push_query.push_list(sup, status="待签收", overdue_only=True))
    assert r["followup_supervision"].count == len(inspection.followup_tasks(sup))
    n = r["liaison_to_dispatch"].count if "liaison_to_dispatch" in r else 0
    assert n == len(liaison.list_letters(sup, state="待派员"))
    due = [x for x in liaison.list_rectifications(sup) if x["state"] in ("已逾期", "即将到期")]
    assert (r["liaison_dept_rect_due"].count if "liaison_dept_rect_due" in r else 0) == len(due)
    assert (r["explanation_to_sign"].count if "explanation_to_sign" in r else 0) == len(
        revocation.list_requests(sup, to_sign_only=True)
    )
    spec = sr.reminder_lists(sup)["review_this_week"]
    week = sr.list_reviews(sup, status=spec["status"], date_from=spec["date_from"], date_to=spec["date_to"])
    assert (r["review_this_week"].count if "review_this_week" in r else 0) == len(week)


def test_approver_reminders_equal_their_lists(db):
    ap = actor("approver")
    r = by_kind(ap)
    # issue 16 item 21: their division's and own cases, not the bureau's whole list
    overdue = push_query.push_list(ap, status="待签收", overdue_only=True, own_cases=True)
    assert r["push_overdue"].count == len(overdue) > 0
    assert len(overdue) < len(push_query.push_list(ap, status="待签收", overdue_only=True))
    # the chart of unsigned pushes is by department
    assert r["push_overdue"].ages == overdue["推送部门"].value_counts().to_dict()
    assert r["revocation_todo"].count == len(revocation.list_requests(ap, todo=True))
    assert r["revocation_todo"].overdue == len(revocation.list_requests(ap, todo=True, overdue_only=True))
    assert (r["liaison_unanswered"].count if "liaison_unanswered" in r else 0) == len(
        liaison.list_letters(ap, state="待派员")
    )


def test_claimer_and_liaison_reminders(db):
    claimer = actor("claimer")
    assert by_kind(claimer)["claim_to_take"].count == len(push_query.claim_list(claimer))
    li = actor("liaison")
    r = by_kind(li)
    todo = [a for a in liaison.my_assignments(li) if a["recorded_at"] is None]
    assert (r["liaison_my_reviews"].count if "liaison_my_reviews" in r else 0) == len(todo)


def test_work_view_chart_adds_up(db):
    for name in ("supervisor", "approver", "liaison", "leader"):
        wv = dashboard.work_view(actor(name))
        assert wv.total == sum(r.count for r in wv.reminders)
        sums = wv.chart.groupby("提醒类型")["数量"].sum().to_dict() if len(wv.chart) else {}
        for r in wv.reminders:
            if r.count:
                assert sums[r.label] >= r.count if r.kind == "push_overdue" else sums[r.label] == r.count, r.kind


def test_work_view_reflects_a_sign_at_once(db):
    from sgld.services import push

    sup = actor("supervisor")
    before = by_kind(sup)["push_to_sign"].count
    pid = int(push_query.push_list(sup, status="待签收")["push_id"].iloc[0])
    push.sign_push(sup, pid)
    assert by_kind(sup)["push_to_sign"].count == before - 1


# -- AppTest: the landing page of each role ----------------------------------------
def tab_labels(at) -> list[str]:
    return [t.label for t in at.tabs]


def test_leader_landing_shows_statistics(db):
    at = login("leader")
    assert not at.exception, at.exception
    labels = tab_labels(at)
    assert labels.index("统计分析") < labels.index("处理提醒")
    labels = [m.label for m in at.metric]
    assert any(x.startswith("推送") for x in labels) and "按时签收率" in labels
    text = page_source(at)
    # the figures by subject, one tab at a time: only the open tab's charts are drawn
    from ui.home import FIGURE_GROUPS

    assert "推送签收情况（按部门排名）" in text and "日常检查（按部门和检查结果）" not in text
    for group in FIGURE_GROUPS:
        at.session_state["dash_group"] = group
        at.run()
        assert not at.exception, at.exception
        text += page_source(at)
    for title in (
        "推送签收情况（按部门排名）",
        "日常检查（按部门和检查结果）",
        "行政处罚（按处罚类别）",
        "专项审查（按审查范围和结论）",
        "联络员商请函答复与参加审查（按部门）",
        "警示名单（规模与变动，按月）",
        "办件录入与办结（按月）",
    ):
        assert title in text, title
    assert "统计范围：**全市**" in text
    assert any(b.label == "导出全部统计" for b in at.get("download_button"))


def test_leader_filters_change_the_scope(db):
    at = login("leader")
    at.selectbox(key="dash_dept").select(db.scalar("SELECT id FROM department WHERE name = '生态环境局'")).run()
    assert not at.exception, at.exception
    assert "统计范围：**生态环境局**" in page_source(at)
    at.selectbox(key="dash_period").select("自定义").run()
    at.date_input(key="dash_from").set_value(clock.today()).run()
    at.date_input(key="dash_to").set_value(clock.today().replace(year=clock.today().year - 1)).run()
    assert "起始日期不能晚于结束日期" in page_source(at)


def test_supervisor_landing_shows_reminders_and_own_statistics(db):
    at = login("supervisor")
    assert not at.exception, at.exception
    assert tab_labels(at) == ["处理提醒", "本部门统计"]
    text = page_source(at)
    assert "待签收推送" in text and "我的待办" in text
    links = {p.proto.label for p in at.get("page_link")}
    assert "前往审批推送" in links
    at.session_state["home_tab"] = "本部门统计"
    at.run()
    assert not at.exception, at.exception
    text = page_source(at)
    assert "统计范围：**市场监管局**" in text and "全市" not in text.split("统计范围")[1][:20]


def test_approver_and_liaison_landing(db):
    at = login("approver")
    assert not at.exception, at.exception
    assert tab_labels(at) == ["处理提醒", "统计分析"]
    assert "逾期未签收推送" in page_source(at)
    at = login("liaison")
    assert not at.exception, at.exception
    assert tab_labels(at) == ["处理提醒"]
    assert not at.metric or all(m.label != "按时签收率" for m in at.metric)


def test_quick_query_on_the_landing_page(db):
    at = login("supervisor")
    name = db.scalar(
        "SELECT e.name FROM inspection n JOIN enterprise e ON e.id = n.enterprise_id"
        " WHERE n.department_id = (SELECT department_id FROM app_user"
        " WHERE username = 'supervisor') ORDER BY n.id LIMIT 1"
    )
    at.text_input(key="qq_text").input(name).run()
    assert not at.exception, at.exception
    assert name in page_source(at)
    assert "企业画像" in {p.proto.label for p in at.get("page_link")}
    at.text_input(key="qq_text").input("无此企业无此编号").run()
    assert "没有找到" in page_source(at)
    at.text_input(key="qq_text").input("x").run()
    assert "至少输入 2 个字符" in page_source(at)


def test_figures_are_computed_once_per_scope_not_per_user(db, monkeypatch):
    """Everyone who sees the whole city shares one computation of the
    figures per data version; a department's figures are its own."""
    import ui.home as home

    home._figures.clear()
    scopes = []
    real = dashboard.leader_figures

    def counted(who, filters):
        scopes.append(dashboard.scope_department(who, filters.department_id))
        return real(who, filters)

    monkeypatch.setattr(dashboard, "leader_figures", counted)
    for username in ("leader", "approver", "admin"):
        at = login(username)
        at.session_state["home_tab"] = "统计分析"
        at.run()
        assert not at.exception, at.exception
        assert "统计范围：**全市**" in page_source(at)
    assert scopes == [None]
    for username in ("supervisor", "supervisor2"):
        at = login(username)
        at.session_state["home_tab"] = "本部门统计"
        at.run()
        assert not at.exception, at.exception
    assert len(scopes) == 3 and None not in scopes[1:] and scopes[1] != scopes[2]


def test_a_figure_s_table_is_sent_only_when_asked_for(db):
    at = login("leader")
    assert not at.exception, at.exception
    assert not at.dataframe  # no figure's table on the landing page by itself
    at.toggle(key="tbl_push_ranking").set_value(True).run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1 and "部门" in at.dataframe[0].value.columns
