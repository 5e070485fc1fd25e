"""AppTest: inspection entry, penalty sync (import from the 行权系统), per-role
views of 监管录入, the admin tab and the enterprise profile."""

from datetime import timedelta

import pytest

from sgld import clock
from tests.apptest_util import login, page_source

PAGE = "pages/2_监管录入.py"
TAB = "sup_tab"


def open_page(user, page=PAGE, tab=None):
    """``tab``: the 监管录入 tab to open (only the open tab's content runs)."""
    at = login(user)
    if tab is not None:
        at.session_state[TAB] = tab
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_supervisor_enters_an_inspection(db):
    eid, code, name = db.one("SELECT id, uscc, name FROM enterprise ORDER BY id LIMIT 1")
    before = db.scalar("SELECT count(*) FROM inspection")
    at = open_page("supervisor", tab="录入检查")
    assert any(t.label.startswith("后续监管任务") for t in at.tabs)
    at.text_input(key="new0_code").input(code.lower()).run()
    assert f"已登记企业：**{name}**" in page_source(at)
    k = "new0"
    at.text_input(key=f"{k}_place").input("南通市崇川区检查地点 8 号")
    at.selectbox(key=f"{k}_result").select("责令整改")
    at.text_area(key=f"{k}_findings").input("灭火器过期，责令限期更换")
    at.text_input(key=f"{k}_who").input("张监管、李协查")
    button(at, "保存检查记录").click().run()
    assert not at.exception
    assert "检查记录已保存" in page_source(at), [e.value for e in at.error]
    assert db.scalar("SELECT count(*) FROM inspection") == before + 1
    row = db.one("SELECT enterprise_id, result, inspectors, place FROM inspection ORDER BY id DESC LIMIT 1")
    assert row == (eid, "责令整改", "张监管、李协查", "南通市崇川区检查地点 8 号")
    # the form is fresh again, and the 录入检查 tab is still the open one
    assert at.text_input(key="new1_code").value == ""
    assert at.session_state[TAB] == "录入检查"


def test_bad_entry_shows_a_message_and_saves_nothing(db):
    before = db.scalar("SELECT count(*) FROM inspection")
    at = open_page("supervisor", tab="录入检查")
    at.text_input(key="new0_code").input("91320602ABC").run()
    assert "尚无此代码的企业" in page_source(at)
    at.text_input(key="new0_name").input("某企业")
    at.text_input(key="new0_place").input("某地")
    button(at, "保存检查记录").click().run()
    assert any("18 位" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM inspection") == before


def test_approver_syncs_penalties_on_demand(db):
    runs = db.scalar("SELECT count(*) FROM penalty_run")
    at = open_page("approver", tab="处罚抽取")
    labels = [t.label for t in at.tabs]
    assert "处罚抽取" in labels and "录入检查" not in labels
    button(at, "立即同步").click().run()
    assert not at.exception
    assert any("行权系统：读取 0" in s.value for s in at.success), [e.value for e in at.error]
    assert db.scalar("SELECT count(*) FROM penalty_run") == runs + 1
    assert db.one("SELECT trigger, started_by, status FROM penalty_run ORDER BY id DESC LIMIT 1") == (
        "立即同步",
        "approver",
        "完成",
    )


def test_leader_reads_only(db):
    at = open_page("leader")
    labels = [t.label for t in at.tabs]
    assert "后续监管统计" in labels
    for tab in labels:  # no tab offers a write
        at.session_state[TAB] = tab
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert "立即同步" not in [b.label for b in at.button]
        assert "保存检查记录" not in [b.label for b in at.button]


@pytest.mark.parametrize("user", ["supervisor", "approver", "admin"])
def test_every_tab_renders(db, user):
    """Only the open tab runs, so open each one (the leader's: above)."""
    at = open_page(user)
    labels = [t.label for t in at.tabs]
    for tab in labels:
        at.session_state[TAB] = tab
        at.run()
        assert not at.exception, (tab, [e.value for e in at.exception])
        assert not at.error, (tab, [e.value for e in at.error])
        assert at.session_state[TAB] == tab


def test_only_the_open_tab_runs(db, monkeypatch):
    """Each tab's lists are computed only while it is open (st.tabs with
    on_change="rerun"), so a click on 录入检查 does not query the others."""
    from sgld.services import inspection, penalty
    from sgld.services import revocation as rv

    calls: list[str] = []

    def spy(mod, name):
        real = getattr(mod, name)

        def wrapper(*a, **kw):
            calls.append(name)
            return real(*a, **kw)

        monkeypatch.setattr(mod, name, wrapper)

    for mod, name in (
        (inspection, "followup_task_page"),
        (inspection, "list_inspections"),
        (inspection, "open_task_counts"),
        (inspection, "statistics"),
        (penalty, "list_penalties"),
        (penalty, "list_runs"),
        (rv, "list_requests"),
    ):
        spy(mod, name)
    at = login("supervisor")
    calls.clear()
    at.switch_page(PAGE).run()  # the first tab, 后续监管任务
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(set(calls)) == ["followup_task_page"]
    assert "保存检查记录" not in [b.label for b in at.button]
    at.session_state[TAB] = "录入检查"
    calls.clear()
    at.run()
    assert calls == []
    assert "保存检查记录" in [b.label for b in at.button]
    assert "协同处理申请" in [t.label for t in at.tabs]
    assert not [m for m in at.metric if m.label == "待签收书面说明"]
    at.session_state[TAB] = "分类统计"
    calls.clear()
    at.run()
    assert sorted(set(calls)) == ["open_task_counts", "statistics"]
    assert "保存检查记录" not in [b.label for b in at.button]
    # a request link opens 协同处理申请 even though another tab was open
    rid = db.scalar(
        "SELECT id FROM revocation_request WHERE department_id ="
        " (SELECT department_id FROM app_user WHERE username = 'supervisor') LIMIT 1"
    )
    at.query_params["xt"] = str(rid)
    calls.clear()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "list_requests" in calls and "statistics" not in calls
    assert any(m.label == "待签收书面说明" for m in at.metric)
    assert at.session_state[TAB] == "协同处理申请"


def test_other_department_does_not_see_the_record(db, as_user):
    from sgld.services import inspection

    code = db.scalar("SELECT uscc FROM enterprise ORDER BY id LIMIT 1")
    iid = inspection.record(
        as_user("supervisor"),
        uscc_code=code,
        entity_name=None,
        inspected_at=clock.now() - timedelta(hours=1),
        place="甲地",
        result="合格",
        findings=None,
        inspectors="张三",
    )
    at = login("supervisor2")
    at.query_params["inspection"] = str(iid)
    at.switch_page(PAGE).run()
    assert any("没有权限查看其他部门的检查记录" in e.value for e in at.error)


def test_admin_tab_and_profile_page(db):
    at = login("admin")
    at.session_state["admin_tab"] = "监管数据"
    at.switch_page("pages/9_系统管理.py").run()
    assert not at.exception
    assert "监管数据" in [t.label for t in at.tabs]
    src = page_source(at)
    assert "行政处罚数据源（行权系统）" in src and "隔离数据" in src
    eid, name = db.one("SELECT enterprise_id, entity_name FROM penalty WHERE source = '行权系统' LIMIT 1")
    at = open_page("leader", "pages/5_企业画像.py")
    at.text_input(key="pf_q").input(db.scalar("SELECT uscc FROM enterprise WHERE id = ?", [eid])).run()
    assert not at.exception
    assert [m.label for m in at.metric][:5] == ["有效证照", "审批办件", "推送", "日常检查", "行政处罚"]
    assert int(at.metric[4].value) >= 1
    assert "行政处罚" in page_source(at)


def _by_label(widgets, label):
    return next(w for w in widgets if w.label.rstrip(" *") == label)


def test_typed_fields_survive_the_code_lookup(db):
    """Issue 16.3: 检查地点 and 检查情况 typed first are kept when a registered
    company's code is then entered (the form's keys do not change with it)."""
    eid, code, name = db.one("SELECT id, uscc, name FROM enterprise WHERE address IS NOT NULL ORDER BY id LIMIT 1")
    at = open_page("supervisor", tab="录入检查")
    _by_label(at.text_input, "检查地点").input("崇川区先填的地点 1 号")
    _by_label(at.text_area, "检查情况").input("先填的检查情况")
    _by_label(at.text_input, "检查人员").input("王先填")
    # AppTest keeps a form's values only once submitted (the browser test covers
    # values still pending in the form): 保存 without a code is refused first
    button(at, "保存检查记录").click().run()
    assert any("统一社会信用代码" in e.value for e in at.error), [e.value for e in at.error]
    _by_label(at.text_input, "统一社会信用代码").input(code).run()
    assert f"已登记企业：**{name}**" in page_source(at)
    assert _by_label(at.text_input, "检查地点").value == "崇川区先填的地点 1 号"
    assert _by_label(at.text_area, "检查情况").value == "先填的检查情况"
    assert _by_label(at.text_input, "检查人员").value == "王先填"
    assert _by_label(at.text_input, "被检查对象名称").value == name
    # another code: still kept; the saved record has what was typed
    other = db.scalar("SELECT uscc FROM enterprise WHERE id <> ? ORDER BY id LIMIT 1", [eid])
    _by_label(at.text_input, "统一社会信用代码").input(other).run()
    assert _by_label(at.text_input, "检查地点").value == "崇川区先填的地点 1 号"
    _by_label(at.text_input, "统一社会信用代码").input(code).run()
    button(at, "保存检查记录").click().run()
    assert "检查记录已保存" in page_source(at), [e.value for e in at.error]
    assert db.one("SELECT enterprise_id, place, findings, inspectors FROM inspection ORDER BY id DESC LIMIT 1") == (
        eid,
        "崇川区先填的地点 1 号",
        "先填的检查情况",
        "王先填",
    )


def test_empty_place_uses_the_registered_address(db):
    eid, code, address = db.one(
        "SELECT id, uscc, address FROM enterprise WHERE address IS NOT NULL ORDER BY id LIMIT 1"
    )
    at = open_page("supervisor", tab="录入检查")
    _by_label(at.text_input, "统一社会信用代码").input(code).run()
    button(at, "保存检查记录").click().run()
    assert "检查记录已保存" in page_source(at), [e.value for e in at.error]
    assert db.one("SELECT enterprise_id, place FROM inspection ORDER BY id DESC LIMIT 1") == (eid, address)


def test_future_inspection_date_is_refused_and_input_kept(db):
    """Issue 16.4: a future date is refused with a message; the input stays and
    nothing is saved (the date field no longer clamps it to today)."""
    code, name = db.one("SELECT uscc, name FROM enterprise ORDER BY id LIMIT 1")
    future = clock.today() + timedelta(days=17)
    before = db.scalar("SELECT count(*) FROM inspection")
    at = open_page("supervisor", tab="录入检查")
    _by_label(at.text_input, "统一社会信用代码").input(code).run()
    day = _by_label(at.date_input, "检查日期")
    assert day.max is None or day.max >= future  # the field takes any date; the service decides
    day.set_value(future)
    _by_label(at.text_input, "检查地点").input("未来日期检查地点")
    _by_label(at.text_area, "检查情况").input("未来日期检查情况")
    button(at, "保存检查记录").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("检查日期不能晚于今天" in e.value for e in at.error), [e.value for e in at.error]
    assert db.scalar("SELECT count(*) FROM inspection") == before
    assert _by_label(at.date_input, "检查日期").value == future
    assert _by_label(at.text_input, "检查地点").value == "未来日期检查地点"
    assert _by_label(at.text_area, "检查情况").value == "未来日期检查情况"
    assert "检查记录已保存" not in page_source(at)


def test_correction_refuses_a_future_date(db, as_user):
    from sgld.services import inspection

    code = db.scalar("SELECT uscc FROM enterprise ORDER BY id LIMIT 1")
    iid = inspection.record(
        as_user("supervisor"),
        uscc_code=code,
        entity_name=None,
        inspected_at=clock.now() - timedelta(hours=1),
        place="甲地",
        result="合格",
        findings=None,
        inspectors="张三",
    )
    future = clock.today() + timedelta(days=17)
    at = login("supervisor")
    at.query_params["inspection"] = str(iid)
    at.switch_page(PAGE).run()
    day = _by_label(at.date_input, "检查日期")
    assert day.max is None or day.max >= future
    day.set_value(future)
    _by_label(at.text_input, "更正原因").input("日期录错")
    button(at, "保存更正").click().run()
    assert any("检查日期不能晚于今天" in e.value for e in at.error), [e.value for e in at.error]
    assert db.scalar("SELECT CAST(inspected_at AS DATE) FROM inspection WHERE id = ?", [iid]) < future
    assert _by_label(at.text_input, "更正原因").value == "日期录错"


def test_task_search_finds_a_task_beyond_the_listed_rows(db, as_user, monkeypatch):
    """The tab lists the oldest tasks; the search looks through all of them."""
    from sgld.services import inspection

    every = inspection.followup_tasks(as_user("supervisor"))
    newest = every.iloc[-1]
    real = inspection.followup_task_page
    # a one-row list, so that the newest task is not among the rows shown
    monkeypatch.setattr(
        inspection,
        "followup_task_page",
        lambda actor, *a, limit=None, **kw: real(actor, *a, limit=1 if limit else None, **kw),
    )
    at = open_page("supervisor")
    assert f"待开展任务共 {len(every):,} 项，列出签收最早的 1 项" in page_source(at)
    assert list(at.dataframe[0].value["推送编号"]) == [every.iloc[0]["推送编号"]]
    at.text_input(key="tasks_find").input(newest["办件编号"]).run()
    assert not at.exception
    assert newest["推送编号"] in list(at.dataframe[0].value["推送编号"])
    at.text_input(key="tasks_find").input("不存在的企业名称").run()
    assert "没有企业名称、统一社会信用代码或办件编号包含“不存在的企业名称”的待开展任务。" in page_source(at)
