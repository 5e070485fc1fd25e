"""AppTest: the 专项审查 page — motion, approval, notice reply and meeting entry per role."""

from __future__ import annotations

from datetime import timedelta

from sgld import clock
from sgld.services import special_review as sr
from tests.apptest_util import PAGE_FILES, as_logged_in, button, page_source

PAGE = PAGE_FILES["review"]


def by_label(widgets, label):
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget {label!r}; have {[w.label for w in widgets]}"
    return found[0]


def open_page(username: str, review_id: int | None = None, tab: str | None = None):
    at = as_logged_in(PAGE, username)
    if tab:
        at.session_state["review_tab"] = tab
    if review_id is not None:
        at.session_state["review_pick"] = review_id
    return at.run()


def dept(db, name):
    return db.scalar("SELECT id FROM department WHERE name = ?", [name])


def make_review(db, as_user, depts=("市场监管局", "生态环境局"), approve=True) -> int:
    rid = sr.propose(
        as_user("approver"),
        title="页面测试项目专项审查",
        scopes=["安全生产"],
        matters="协调事项",
        place="第一会议室",
        meeting_at=clock.now().replace(microsecond=0) + timedelta(days=3),
        department_ids=[dept(db, d) for d in depts],
        project_no=db.scalar("SELECT min(project_no) FROM project"),
    )
    if approve:
        sr.approve(as_user("leader"), rid)
    return rid


def test_approver_proposes_a_motion(db):
    at = open_page("approver", tab="发起动议")
    assert not at.exception
    assert [t.label for t in at.tabs] == ["审查一览", "发起动议", "统计分析"]
    project = db.scalar("SELECT min(project_no) FROM project")
    before = db.scalar("SELECT count(*) FROM special_review")
    by_label(at.text_input, "审查议题").input("页面发起的专项审查")
    by_label(at.text_input, "项目编号").input(project)
    by_label(at.multiselect, "参审部门").set_value([dept(db, "市场监管局"), dept(db, "应急管理局")])
    by_label(at.text_area, "需要协调解决的事项").input("安全防护距离")
    at = button(at, "提交分管领导审察").click().run()
    # no scope chosen: refused with a clear message, nothing created
    assert any("请至少选择一项专项审查范围" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM special_review") == before
    by_label(at.multiselect, "审查范围").set_value(["安全生产", "重大公共利益"])
    at = button(at, "提交分管领导审察").click().run()
    assert not at.exception
    assert "动议已提交分管领导审察" in page_source(at)
    row = db.one("SELECT id, status, scopes, forms FROM special_review ORDER BY id DESC LIMIT 1")
    assert row[1:] == (sr.S_PENDING, ["安全生产", "重大公共利益"], ["专题会议"])
    assert db.scalar("SELECT count(*) FROM special_review") == before + 1
    # the new review is opened in the list tab
    assert at.session_state["review_pick"] == row[0]
    assert at.session_state["review_tab"] == "审查一览"


def test_project_picker_fills_the_project_number(db):
    at = open_page("approver", tab="发起动议")
    project = db.scalar("SELECT min(project_no) FROM project")
    by_label(at.text_input, "查找项目").input(project).run()
    by_label(at.selectbox, "项目库中的项目").set_value(project).run()
    assert by_label(at.text_input, "项目编号").value == project
    assert by_label(at.selectbox, "关联办件（可选）") is not None


def test_leader_approves_a_motion(db, as_user):
    rid = make_review(db, as_user, approve=False)
    at = open_page("leader", rid)
    assert not at.exception
    assert "发起动议" not in [t.label for t in at.tabs]
    assert any("待审察动议" in str(o) for o in at.pills[0].options)
    at = button(at, "同意，发出通知").click().run()
    assert not at.exception
    assert "专项审查通知已发送" in page_source(at)
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_NOTIFIED


def test_leader_send_back_needs_a_comment(db, as_user):
    rid = make_review(db, as_user, approve=False)
    at = open_page("leader", rid)
    at = button(at, "退回修改").click().run()
    assert any("退回意见" in e.value for e in at.error)
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_PENDING


def test_supervisor_sees_the_notice_and_answers(db, as_user):
    rid = make_review(db, as_user)
    at = open_page("supervisor", rid)
    assert not at.exception
    assert "发起动议" not in [t.label for t in at.tabs]
    labels = [o for o in at.selectbox if o.label == "查看详情"][0].options
    assert any("页面测试项目专项审查" in str(o) for o in labels)
    assert any(b.label == "下载审查通知" for b in at.get("download_button"))
    by_label(at.text_input, "参会人员（姓名、职务）").input("张监管 科长")
    at = button(at, "确认参会人员").click().run()
    assert "已确认本部门参会人员" in page_source(at)
    at.radio[0].set_value(sr.DISAGREE)
    at = button(at, "提交本部门意见").click().run()
    assert any("请写明理由" in e.value for e in at.error)
    at.radio[0].set_value(sr.DISAGREE)
    by_label(at.text_area, "理由、条件或说明").input("安全距离不足")
    at = button(at, "提交本部门意见").click().run()
    assert not at.exception
    row = db.one(
        "SELECT attendees, opinion, opinion_text, basis FROM special_review_department"
        " WHERE review_id = ? AND department_id = ?",
        [rid, dept(db, "市场监管局")],
    )
    assert row == ("张监管 科长", sr.DISAGREE, "安全距离不足", sr.B_WRITTEN)


def test_supervisor_of_another_department_does_not_see_it(db, as_user):
    rid = make_review(db, as_user, depts=("生态环境局",))
    at = open_page("supervisor")
    options = [o for o in at.selectbox if o.label == "查看详情"][0].options
    title = sr.get_review(as_user("approver"), rid)["review_no"]
    assert not any(title in str(o) for o in options)
    at = open_page("supervisor", rid)  # even when forced
    assert not at.exception
    assert any("未参加该专项审查" in w.value for w in at.warning)


def after_the_meeting(db, rid, hours=1):
    """Move the clock to ``hours`` after the meeting's scheduled start."""
    start = db.scalar("SELECT meeting_at FROM special_review WHERE id = ?", [rid])
    clock.freeze(start + timedelta(hours=hours))


def test_approver_records_the_meeting_and_concludes(db, as_user):
    rid = make_review(db, as_user)
    after_the_meeting(db, rid)
    at = open_page("approver", rid)
    assert not at.exception
    by_label(at.text_area, "经办人情况说明").input("经办人说明项目情况")
    # no default from the 报请市政府分管领导主持 tick: who actually chaired (issue 16 item 5)
    assert by_label(at.text_input, "主持人").value == ""
    by_label(at.text_input, "主持人").input("市行政审批局分管领导王分管")
    att = [s for s in at.selectbox if s.label == "出席情况"]
    ops = [s for s in at.selectbox if s.label == "会上意见"]
    people = [t for t in at.text_input if t.label == "出席人员"]
    assert len(att) == 2
    att[0].set_value(sr.PRESENT)
    people[0].input("张监管")
    ops[0].set_value(sr.AGREE)
    att[1].set_value(sr.ABSENT_NO_REASON)
    at = button(at, "保存会议记录").click().run()
    assert not at.exception, at.exception
    assert "会议情况已记录" in page_source(at)
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_HELD
    assert "生态环境局（无故缺席）" in page_source(at)  # deemed-agreement preview
    by_label(at.text_area, "审查意见（各部门一致意见）").input("同意按现方案审批。")
    at = button(at, "形成审查结论").click().run()
    assert not at.exception
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_AGREED
    at = button(at, "生成并印发纪要").click().run()
    assert not at.exception
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_ISSUED
    assert any(b.label.startswith("下载纪要") for b in at.get("download_button"))


def test_meeting_cannot_be_recorded_before_it_begins(db, as_user):
    """Issue 16.9: at 13:28 a meeting at 15:00 the same day is refused with a
    message; what was typed stays; from 15:00 on it is recorded."""
    rid = make_review(db, as_user)
    start = db.scalar("SELECT meeting_at FROM special_review WHERE id = ?", [rid])
    start = start.replace(hour=15, minute=0, second=0)
    db.write(lambda cur: cur.execute("UPDATE special_review SET meeting_at = ? WHERE id = ?", [start, rid]))
    clock.freeze(start.replace(hour=13, minute=28))
    at = open_page("approver", rid)
    assert by_label(at.date_input, "会议召开日期").value == start.date()
    assert by_label(at.time_input, "会议开始时间").value == start.time()
    by_label(at.text_area, "经办人情况说明").input("经办人说明项目情况")
    by_label(at.text_input, "主持人").input("市行政审批局分管领导张三")
    att = [s for s in at.selectbox if s.label == "出席情况"]
    people = [t for t in at.text_input if t.label == "出席人员"]
    att[0].set_value(sr.PRESENT)
    people[0].input("张监管")
    att[1].set_value(sr.ABSENT_NO_REASON)
    at = button(at, "保存会议记录").click().run()
    assert any("会议召开后才能录入" in e.value for e in at.error), [e.value for e in at.error]
    assert "15:00，现在是" in page_source(at) and "13:28" in page_source(at)
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_NOTIFIED
    assert by_label(at.text_area, "经办人情况说明").value == "经办人说明项目情况"
    # a start time typed earlier than the scheduled one, but still later than now
    by_label(at.time_input, "会议开始时间").set_value(start.replace(hour=14).time())
    at = button(at, "保存会议记录").click().run()
    assert any("会议召开后才能录入" in e.value for e in at.error)
    clock.freeze(start.replace(hour=15, minute=5))
    at.session_state["sgld_last_seen"] = clock.now()  # (not logged out for idling)
    by_label(at.time_input, "会议开始时间").set_value(start.time())
    at = button(at, "保存会议记录").click().run()
    assert not at.error, [e.value for e in at.error]
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_HELD


def test_meeting_with_missing_reason_shows_the_error(db, as_user):
    rid = make_review(db, as_user)
    after_the_meeting(db, rid)
    at = open_page("approver", rid)
    by_label(at.text_area, "经办人情况说明").input("说明")
    by_label(at.text_input, "主持人").input("市行政审批局分管领导王分管")
    att = [s for s in at.selectbox if s.label == "出席情况"]
    att[0].set_value(sr.ABSENT_REASON)
    att[1].set_value(sr.ABSENT_NO_REASON)
    at = button(at, "保存会议记录").click().run()
    assert any("请填写缺席理由" in e.value for e in at.error)
    assert db.scalar("SELECT status FROM special_review WHERE id = ?", [rid]) == sr.S_NOTIFIED


def test_statistics_and_agenda_render_for_every_reader(db):
    for user in ("leader", "cityleader", "admin", "supervisor2", "approver2"):
        at = open_page(user, tab="统计分析")
        assert not at.exception, user
        assert any(m.label == "专项审查总数" for m in at.metric)
        assert not at.pills  # the list tab's content does not run
        at = open_page(user)
        at.segmented_control[0].set_value("日程").run()
        assert not at.exception, user
        assert "即将召开" in page_source(at)


def issued_review(db, as_user) -> int:
    rid = make_review(db, as_user)
    sr.record_meeting(
        as_user("approver"),
        rid,
        held_on=clock.today(),
        chair="王分管",
        presentation="说明",
        start_time=clock.now().time(),
        departments={
            dept(db, "市场监管局"): {"attendance": sr.PRESENT, "attendees": "张监管"},
            dept(db, "生态环境局"): {"attendance": sr.ABSENT_NO_REASON},
        },
    )
    sr.conclude(as_user("approver"), rid, "同意。")
    sr.issue_minutes(as_user("approver"), rid)
    return rid


def test_department_records_its_follow_up_and_the_bureau_sees_it(db, as_user):
    """Issue 16.22: the follow-up is a 处理提醒 on the department's page until
    it records what it did; the review detail shows who has and has not."""
    rid = issued_review(db, as_user)
    at = open_page("supervisor")
    pills = at.get("button_group")
    assert any("待落实会议决定" in str(p.proto) for p in pills)
    at.session_state["review_todo"] = "review_follow_up"
    at.session_state["review_pick"] = rid
    at.run()
    assert "落实会议决定" in page_source(at) and "尚未登记落实情况" in page_source(at)
    at = button(at, "登记落实情况").click().run()  # empty: refused, nothing saved
    assert any("落实情况" in e.value for e in at.error)
    assert not db.scalar("SELECT count(*) FROM special_review_follow_up WHERE review_id = ?", [rid])
    by_label(at.text_area, "落实情况").input("已纳入重点监管名单，首次现场检查已完成。")
    at = button(at, "登记落实情况").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "落实情况已登记" in page_source(at)
    assert at.session_state["review_pick"] == rid  # the review acted on stays open
    assert rid not in sr.reminder_ids(
        as_user("supervisor"), sr.reminder_lists(as_user("supervisor"))["review_follow_up"]
    )
    at = open_page("approver", rid)
    table = next(d.value for d in at.dataframe if "落实事项" in d.value.columns)
    states = dict(zip(table["部门"], table["状态"]))
    assert states == {"投资建设审批处": "未落实", "市场监管局": "已落实", "生态环境局": "未落实"}
    assert "尚未登记落实情况：投资建设审批处、生态环境局" in page_source(at)
    assert "登记落实情况" in {b.label for b in at.button}


def test_department_filter_reads_all_in_chinese(db):
    """Issue 16.16: 参审部门 set to none (as a reminder link does) shows 全部,
    not Streamlit's English placeholder."""
    at = as_logged_in(PAGE, "approver")
    at.session_state["review_dept"] = None
    at.run()
    box = at.selectbox(key="review_dept")
    assert box.value is None and box.proto.placeholder == "全部"
