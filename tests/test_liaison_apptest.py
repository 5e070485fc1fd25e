"""AppTest: the 联络员 page per role — roster upkeep, dispatch, the liaison's
workspace (discipline, record, signature, rectification check), letters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sgld import clock
from sgld.services import liaison as svc
from tests.apptest_util import as_logged_in, button, page_source
from tests.conftest import actor

PAGE = "pages/4_联络员.py"
TOP_TABS = {"我的审查任务", "商请函与派员", "商请函总览", "审查一览", "联络员名册", "联络员反馈", "整改跟踪", "统计"}
TAB = "lz_tab"
INNER_TAB = "lz_my_tab"


def run(username, tab=None, inner=None):
    """``tab``: the page's tab to open, ``inner``: the tab of 我的审查任务
    (only the open tabs run)."""
    at = as_logged_in(PAGE, username)
    if tab is not None:
        at.session_state[TAB] = tab
    if inner is not None:
        at.session_state[INNER_TAB] = inner
    at.run()
    assert not at.exception, at.exception
    return at


def each_tab(at):
    """Open every tab of the page in turn; yields the label after each run."""
    for label in [t.label for t in at.tabs if t.label in TOP_TABS]:
        at.session_state[TAB] = label
        at.run()
        assert not at.exception, at.exception
        yield label


def errors(at):
    return [e.value for e in at.error]


@pytest.mark.parametrize(
    "username,tabs",
    [
        ("supervisor", ["商请函与派员", "联络员名册", "联络员反馈", "整改跟踪", "统计"]),
        ("approver", ["商请函总览", "审查一览", "联络员名册", "整改跟踪", "统计"]),
        ("liaison", ["我的审查任务", "整改跟踪"]),
        ("leader", ["商请函总览", "审查一览", "联络员名册", "联络员反馈", "整改跟踪", "统计"]),
    ],
)
def test_tabs_per_role(db, username, tabs):
    at = run(username)
    labels = [t.label for t in at.tabs]
    assert [t for t in labels if t in TOP_TABS] == tabs
    for _ in each_tab(at):
        assert not errors(at)


def test_leader_reads_without_forms(db):
    at = run("leader")
    labels = set()
    for _ in each_tab(at):
        labels |= {b.label for b in at.button}
    assert not labels & {"确认派员并告知审批局", "保存", "保存并发出商请函", "撤回商请函"}
    assert "统计" in [t.label for t in at.tabs]


def test_roster_shows_qualification_and_adds_an_entry(db):
    at = run("supervisor", "联络员名册")
    roster = next(d.value for d in at.dataframe if {"部门", "不符合原因"} <= set(d.value.columns))
    assert set(roster["部门"]) == {"市场监管局"}
    assert "不符合" in set(roster["资格"]) and "符合" in set(roster["资格"])
    assert roster["不符合原因"].str.contains("未满 2 年").any()
    at.text_input(key="lz_rf_new_0_name").input("周新人")
    at.selectbox(key="lz_rf_new_0_et").set_value("参照公务员法管理人员")
    at.date_input(key="lz_rf_new_0_joined").set_value(clock.today() - timedelta(days=400))
    at.checkbox(key="lz_rf_new_0_fam").check()
    button(at, "保存").click().run()
    assert not errors(at), errors(at)
    row = next(r for r in svc.list_roster(actor("supervisor")) if r["name"] == "周新人")
    assert row["employment_type"] == "参照公务员法管理人员" and row["familiar_confirmed"]
    assert not row["qualified"] and "未满 2 年" in row["problems"][0]
    assert "已保存" in page_source(at)


def fill_new_liaison(at, name, joined, familiar=True):
    gen = at.session_state["lz_rf_new_gen"] if "lz_rf_new_gen" in at.session_state else 0
    k = f"lz_rf_new_{gen}"
    at.text_input(key=f"{k}_name").input(name)
    at.date_input(key=f"{k}_joined").set_value(joined)
    if familiar:
        at.checkbox(key=f"{k}_fam").check()
    return k


def test_new_liaison_form_is_empty_after_a_save(db):
    """Issue 16.7: after 保存 the 新增联络员 form is empty (no checkbox left
    ticked), and 保存 again does not add the person twice."""
    at = run("supervisor", "联络员名册")
    n = len(svc.list_roster(actor("supervisor")))
    joined = clock.today() - timedelta(days=2000)
    fill_new_liaison(at, "吴一", joined)
    at.text_input(key="lz_rf_new_0_pos").input("科长")
    at.text_input(key="lz_rf_new_0_contact").input("0513-1234")
    button(at, "保存").click().run()
    assert not errors(at), errors(at)
    assert len(svc.list_roster(actor("supervisor"))) == n + 1
    form = [
        w
        for kind in ("text_input", "checkbox", "date_input", "selectbox")
        for w in getattr(at, kind)
        if str(w.key or "").startswith("lz_rf_new_")
    ]
    assert form
    values = {w.key.rsplit("_", 1)[-1]: w.value for w in form}
    assert values["name"] == "" and values["pos"] == "" and values["contact"] == ""
    assert values["joined"] is None and values["fam"] is False and values["active"] is True
    assert values["user"] == 0 and values["et"] == svc.EMPLOYMENT_TYPES[0]
    # the next person without ticking the confirmation is not 已确认
    fill_new_liaison(at, "吴二", joined, familiar=False)
    button(at, "保存").click().run()
    assert not errors(at), errors(at)
    second = next(r for r in svc.list_roster(actor("supervisor")) if r["name"] == "吴二")
    assert not second["familiar_confirmed"] and not second["qualified"]
    # the same person again is refused, and what was typed stays
    k = fill_new_liaison(at, "吴一", joined)
    button(at, "保存").click().run()
    assert errors(at) and "已有“吴一”" in errors(at)[0]
    assert at.text_input(key=f"{k}_name").value == "吴一"
    assert len(svc.list_roster(actor("supervisor"))) == n + 2


def test_future_joining_date_is_refused_with_a_message(db):
    at = run("supervisor", "联络员名册")
    fill_new_liaison(at, "未来人", clock.today() + timedelta(days=5))
    button(at, "保存").click().run()
    assert errors(at) and "不能晚于今天" in errors(at)[0]
    assert at.text_input(key="lz_rf_new_0_name").value == "未来人"


def test_roster_bad_input_shows_the_reason(db):
    at = run("supervisor", "联络员名册")
    n = len(svc.list_roster(actor("supervisor")))
    button(at, "保存").click().run()  # no name, no date
    assert errors(at) and "姓名" in errors(at)[0]
    assert len(svc.list_roster(actor("supervisor"))) == n


def test_dispatch_from_the_page(db):
    at = run("supervisor", "商请函与派员")
    waiting = sorted(svc.list_letters(actor("supervisor"), state="待派员"), key=lambda r: r["review_date"])
    first = waiting[0]
    assert (first["review_date"] - clock.today()).days == 1  # the urgent one is offered first
    assert any("明天" in w.value for w in at.warning)
    who = at.selectbox(key=f"lz_dispatch_who_{first['id']}")
    liu = next(r["id"] for r in svc.list_roster(actor("supervisor")) if r["name"] == "刘联络")
    who.set_value(liu)
    button(at, "确认派员并告知审批局").click().run()
    assert not errors(at), errors(at)
    d = svc.get_letter(actor("approver"), first["id"])
    assert d["status"] == "已派员" and d["liaison_name"] == "刘联络"
    assert "已派员并告知审批局" in page_source(at)


def test_dispatch_requires_a_choice_and_shows_the_replaced_one(db):
    sup = actor("supervisor")
    at = run("supervisor", "商请函与派员")
    first = sorted(svc.list_letters(sup, state="待派员"), key=lambda r: r["review_date"])[0]
    who = at.selectbox(key=f"lz_dispatch_who_{first['id']}")
    assert who.value is None and who.proto.placeholder == "请选择"  # nobody preselected
    button(at, "确认派员并告知审批局").click().run()
    assert any("请选择派出的联络员" in e for e in errors(at)), errors(at)
    assert svc.get_letter(sup, first["id"])["status"] == "待派员"
    ok = [c for c in svc.dispatch_candidates(sup, first["id"]) if c["dispatchable"]]
    at.selectbox(key=f"lz_dispatch_who_{first['id']}").set_value(ok[0]["id"])
    button(at, "确认派员并告知审批局").click().run()
    assert not errors(at), errors(at)
    # 更换: again an explicit choice, and the detail keeps the replaced dispatch
    at.session_state["lz_dept_filter"] = "已派员"
    at.run()
    at.selectbox(key="lz_dept_pick").set_value(first["id"]).run()
    assert at.selectbox(key=f"lz_dispatch_who_{first['id']}_1").value is None
    at.selectbox(key=f"lz_dispatch_who_{first['id']}_1").set_value(ok[1]["id"])
    button(at, "更换联络员并告知审批局").click().run()
    assert not errors(at), errors(at)
    text = page_source(at)
    assert f"**派出联络员**：{ok[1]['name']}" in text
    assert f"**已更换的派员**：{ok[0]['name']}" in text


def test_dispatch_candidates_exclude_the_unqualified(db):
    at = run("supervisor", "商请函与派员")
    first = sorted(svc.list_letters(actor("supervisor"), state="待派员"), key=lambda r: r["review_date"])[0]
    cands = svc.dispatch_candidates(actor("supervisor"), first["id"])
    ok = {c["id"] for c in cands if c["dispatchable"]}
    shown = at.selectbox(key=f"lz_dispatch_who_{first['id']}")
    assert set(shown.proto.options) and len(shown.proto.options) == len(ok) < len(cands)


def test_liaison_records_signs_and_checks(db):
    lz = actor("liaison")
    today_job = next(r for r in svc.my_assignments(lz) if r["todo"] == "今日审查")
    at = run("liaison", "我的审查任务", "审查记录")
    k = f"lz_rec_{today_job['id']}"
    assert at.selectbox(key="lz_my_pick").value == today_job["id"]
    at.text_area(key=f"{k}_text").input("现场核查了经营场所和冷库。")
    at.text_area(key=f"{k}_sug").input("冷库温度记录需完善。")
    at.radio(key=f"{k}_rec").set_value("建议整改后通过")
    at.text_area(key=f"{k}_info").input("从业人员 12 人。")
    button(at, "保存审查记录").click().run()
    assert not errors(at), errors(at)
    d = svc.get_letter(lz, today_job["id"])
    assert d["attended"] and d["recommendation"] == "建议整改后通过"
    assert at.session_state[INNER_TAB] == "审查记录"  # still open after the save
    # sign the report (drafted by the bureau in the demo data)
    at.session_state[INNER_TAB] = "审查报告与签字"
    at.run()
    at.checkbox(key=f"lz_sign_ok_{today_job['id']}").check()
    button(at, "在审查报告上签字").click().run()
    assert not errors(at), errors(at)
    assert svc.get_letter(lz, today_job["id"])["signed_at"] is not None
    # record a rectification check on an item due soon (hardware: site visit)
    x = next(r for r in svc.list_rectifications(lz) if r["state"] == "即将到期" and r["hardware"])
    at.session_state[TAB] = "整改跟踪"
    at.run()
    at.selectbox(key="lz_rect_pick").set_value(x["id"]).run()
    at.checkbox(key=f"lz_chk_site_{x['id']}").uncheck()
    at.text_area(key=f"lz_chk_note_{x['id']}").input("看了照片")
    button(at, "保存复查记录").click().run()
    assert any("须赴现场检查" in e for e in errors(at))
    assert svc.rectification_checks(lz, x["id"]) == []
    at.checkbox(key=f"lz_chk_site_{x['id']}").check()
    at.text_area(key=f"lz_chk_note_{x['id']}").input("现场检查：监控已补装。")
    button(at, "保存复查记录").click().run()
    assert not errors(at), errors(at)
    assert [r for r in svc.list_rectifications(lz) if r["id"] == x["id"]][0]["state"] == "已整改"


def test_liaison_cannot_record_before_the_review_day(db):
    lz = actor("liaison")
    upcoming = next(r for r in svc.my_assignments(lz) if r["todo"] == "待参加")
    at = run("liaison", "我的审查任务", "审查记录")
    at.selectbox(key="lz_my_pick").set_value(upcoming["id"]).run()
    assert "审查当天起可填写" in page_source(at)
    assert "保存审查记录" not in {b.label for b in at.button}


def test_first_assignment_shows_the_discipline(db):
    at = run("liaison2")
    assert "联络员工作纪律" in page_source(at)
    assert "依法行政" in page_source(at)
    button(at, "我已阅读，承诺遵守工作纪律").click().run()
    assert not errors(at)
    assert not svc.discipline_status(actor("liaison2"))["needed"]
    assert "联络员工作纪律" not in [s.value for s in at.subheader]


def test_approver_sends_a_letter_and_the_one_day_rule(db):
    at = run("approver", "商请函总览")
    k = "lz_new_manual_0"
    n = len(svc.list_letters(actor("approver")))
    at.text_input(key=f"{k}_title").input("南通页面测试公司食品经营许可现场审查")
    at.text_input(key=f"{k}_place").input("南通市崇川区页面路 8 号")
    for f, v in (
        ("purpose", "核实经营条件"),
        ("basis", "《食品经营许可管理办法》"),
        ("scope", "经营场所"),
        ("content", "核查场所与制度"),
        ("schedule", "09:00 现场"),
    ):
        at.text_area(key=f"{k}_{f}").input(v)
    mk = next(d["id"] for d in svc.supervision_departments(actor("approver")) if d["name"] == "市场监管局")
    at.multiselect(key=f"{k}_depts").set_value([mk])
    at.date_input(key=f"{k}_date").set_value(clock.today())
    button(at, "保存并发出商请函").click().run()
    assert any("至少提前一天" in e for e in errors(at)), errors(at)
    assert len(svc.list_letters(actor("approver"))) == n
    at.date_input(key=f"{k}_date").set_value(clock.today() + timedelta(days=1))
    button(at, "保存并发出商请函").click().run()
    assert not errors(at), errors(at)
    letters = svc.list_letters(actor("supervisor"), state="待派员")
    assert any(r["title"] == "南通页面测试公司食品经营许可现场审查" for r in letters)
    assert "商请函已发往：市场监管局" in page_source(at)
    # the form is empty again: 保存 twice does not send the same review twice
    assert at.text_input(key="lz_new_manual_1_title").value == ""
    assert at.multiselect(key="lz_new_manual_1_depts").value == []


def test_after_dispatch_the_same_letter_stays_open(db):
    """Issue 16.21: the letter acted on stays open although it left the
    待派员 list — not the next letter."""
    sup = actor("supervisor")
    at = run("supervisor", "商请函与派员")
    first = sorted(svc.list_letters(sup, state="待派员"), key=lambda r: r["review_date"])[0]
    assert at.selectbox(key="lz_dept_pick").value == first["id"]
    ok = [c for c in svc.dispatch_candidates(sup, first["id"]) if c["dispatchable"]]
    at.selectbox(key=f"lz_dispatch_who_{first['id']}").set_value(ok[0]["id"])
    button(at, "确认派员并告知审批局").click().run()
    assert not errors(at), errors(at)
    assert at.selectbox(key="lz_dept_pick").value == first["id"]
    assert f"**派出联络员**：{ok[0]['name']}" in page_source(at)
    # the next run (any click) still shows it
    at.run()
    assert at.selectbox(key="lz_dept_pick").value == first["id"]


def test_after_sending_another_letter_the_same_letter_stays_open(db):
    ap = actor("approver")
    at = run("approver", "商请函总览")
    today = clock.today()
    letter = next(r for r in svc.list_letters(ap) if r["review_date"] > today and r["status"] == "待派员")
    at.selectbox(key="lz_bur_pick").set_value(letter["id"]).run()
    sent = {r["department_id"] for r in svc.list_letters(ap, review_id=letter["review_id"])}
    other = next(d for d in svc.supervision_departments(ap) if d["id"] not in sent)
    at.selectbox(key=f"lz_more_dep_{letter['review_id']}").set_value(other["id"])
    button(at, "发出商请函").click().run()
    assert not errors(at), errors(at)
    assert len(svc.list_letters(ap, review_id=letter["review_id"])) == len(sent) + 1
    assert at.selectbox(key="lz_bur_pick").value == letter["id"]
    at.run()
    assert at.selectbox(key="lz_bur_pick").value == letter["id"]


def test_closed_rectification_stays_open_with_its_new_state(db):
    """Issue 16.21: after a check closes an item, the selector does not read
    整改中 (no state in its label) and the item stays open, also under a
    filter it no longer matches."""
    lz = actor("liaison")
    x = next(r for r in svc.list_rectifications(lz) if r["state"] == "即将到期")
    at = run("liaison", "整改跟踪")
    at.session_state["lz_rect_state"] = "到期/逾期"
    at.run()
    at.selectbox(key="lz_rect_pick").set_value(x["id"]).run()
    at.checkbox(key=f"lz_chk_site_{x['id']}").check()
    at.radio(key=f"lz_chk_res_{x['id']}").set_value("已整改")
    at.text_area(key=f"lz_chk_note_{x['id']}").input("现场检查：已整改到位。")
    button(at, "保存复查记录").click().run()
    assert not errors(at), errors(at)
    box = at.selectbox(key="lz_rect_pick")
    assert box.value == x["id"]
    assert not any(s in o for o in box.options for s in ("整改中", "即将到期", "已逾期", "已整改"))
    assert ":green-badge[已整改]" in "\n".join(m.value for m in at.markdown)


def test_only_the_open_tab_runs(db, monkeypatch):
    """Each tab (and each tab of 我的审查任务) is computed only while it is
    open (st.tabs with on_change="rerun"), so a click does not build the others."""
    from ui import liaison_bureau, liaison_common, liaison_dept, liaison_work

    calls: list[str] = []
    for mod, names in (
        (liaison_dept, ("letters_tab", "roster_tab")),
        (liaison_bureau, ("letters_tab", "reviews_tab")),
        (liaison_common, ("feedback_tab", "rectifications_tab", "statistics_tab")),
        (liaison_work, ("assignments_tab", "record_form", "report_section", "rect_section", "feedback_form")),
    ):
        for name in names:
            real = getattr(mod, name)
            monkeypatch.setattr(
                mod, name, lambda *a, _real=real, _name=name, **kw: calls.append(_name) or _real(*a, **kw)
            )
    at = run("supervisor")  # the first tab, 商请函与派员
    assert calls == ["letters_tab"]
    assert not [d for d in at.dataframe if {"部门", "不符合原因"} <= set(d.value.columns)]
    calls.clear()
    at.session_state[TAB] = "统计"
    at.run()
    assert calls == ["statistics_tab"]
    calls.clear()
    at.session_state[TAB] = "联络员名册"
    at.run()
    assert calls == ["roster_tab"]
    assert [d for d in at.dataframe if {"部门", "不符合原因"} <= set(d.value.columns)]
    # the liaison's task: only the open inner tab (审查安排 first) is built
    calls.clear()
    at = run("liaison")
    assert calls == ["assignments_tab"]
    assert not {b.label for b in at.button} & {"保存审查记录", "在审查报告上签字", "报送本部门"}
    calls.clear()
    at.session_state[INNER_TAB] = "审查记录"
    at.run()
    assert calls == ["assignments_tab", "record_form"]
    assert "保存审查记录" in {b.label for b in at.button}


def test_letter_download_takes_only_what_it_uses():
    """The letter's download link needs the letter and a key, no actor (the
    file route checks the viewer itself)."""
    import inspect

    from ui.liaison_common import letter_download

    assert list(inspect.signature(letter_download).parameters) == ["d", "key"]
