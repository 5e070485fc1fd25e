"""专项审查 services: every transition allowed and refused, the deemed-agreement
rule in each of its cases, escalation and decision, permissions, minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sgld import clock
from sgld.documents import text_of
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.services import special_review as sr
from ui.review_list import LIST_HEADERS, list_table
from ui.review_stats import STAT_HEADERS


def dept(db, name: str) -> int:
    return db.scalar("SELECT id FROM department WHERE name = ?", [name])


def a_project(db) -> str:
    return db.scalar("SELECT project_no FROM project ORDER BY project_no LIMIT 1")


def motion(db, as_user, *, depts=("市场监管局", "生态环境局", "应急管理局"), user="approver", **kw) -> int:
    fields = dict(
        title="测试危化品仓储项目专项审查",
        scopes=["安全生产", "生态环境保护"],
        matters="1. 安全防护距离；\n2. 危废处置。",
        meeting_at=clock.now().replace(microsecond=0) + timedelta(days=5),
        place="第一会议室",
        department_ids=[dept(db, d) for d in depts],
        project_no=a_project(db),
    )
    fields.update(kw)
    return sr.propose(as_user(user), **fields)


def notified(db, as_user, **kw) -> int:
    rid = motion(db, as_user, **kw)
    sr.approve(as_user("leader"), rid, "同意")
    return rid


def attend(db, names_ops: dict) -> dict:
    """{dept name: (attendance, opinion or None, text or None)} -> record_meeting payload."""
    out = {}
    for name, (att, op, text) in names_ops.items():
        out[dept(db, name)] = {
            "attendance": att,
            "attendees": "某某 科长" if att == sr.PRESENT else None,
            "absence_reason": "出差" if att == sr.ABSENT_REASON else None,
            "opinion": op,
            "opinion_text": text,
        }
    return out


def held(db, as_user, names_ops: dict, **kw) -> int:
    rid = notified(db, as_user, depts=tuple(names_ops), **kw)
    sr.record_meeting(
        as_user("approver"),
        rid,
        held_on=clock.today(),
        chair="王分管",
        presentation="经办人介绍项目情况。",
        departments=attend(db, names_ops),
    )
    return rid


def status(db, rid) -> str:
    return db.scalar("SELECT status FROM special_review WHERE id = ?", [rid])


def dept_row(db, rid, name) -> dict:
    return db.dicts(
        "SELECT * FROM special_review_department WHERE review_id = ? AND department_id = ?", [rid, dept(db, name)]
    )[0]


def audit_actions(db, rid) -> list[str]:
    return [
        r[0]
        for r in db.all(
            "SELECT action FROM audit_log WHERE object_type = 'special_review' AND object_id = ? ORDER BY id",
            [str(rid)],
        )
    ]


# -- motion ---------------------------------------------------------------
def test_motion_creates_pending_review_with_departments_and_audit(db, as_user):
    rid = motion(db, as_user)
    r = sr.get_review(as_user("approver"), rid)
    assert r["status"] == sr.S_PENDING
    assert r["review_no"].startswith(f"专审〔{clock.today().year}〕")
    assert [d["name"] for d in r["departments"]] == ["市场监管局", "生态环境局", "应急管理局"]
    assert r["forms"] == ["专题会议"]  # the default form
    assert r["project_name"]  # taken from the project library
    assert audit_actions(db, rid) == ["propose"]
    assert {"withdraw"} == r["actions"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"scopes": []}, "审查范围"),
        ({"scopes": ["随便什么"]}, "审查范围"),
        ({"department_ids": []}, "参审部门"),
        ({"meeting_at": datetime(2020, 1, 1, 9, 0)}, "已过"),
        ({"city_chair": True}, "特别重大"),
        ({"project_no": None}, "办件编号或项目编号"),
        ({"project_no": "NO-SUCH-PROJECT"}, "项目库中不存在"),
        ({"case_no": "NO-SUCH-CASE"}, "审批办件中不存在"),
        ({"title": "  "}, "审查议题"),
        ({"forms": ["座谈会"]}, "审查形式"),
    ],
)
def test_bad_motion_is_refused_and_nothing_changes(db, as_user, change, message):
    before = db.scalar("SELECT count(*) FROM special_review")
    with pytest.raises(ValidationError) as e:
        motion(db, as_user, **change)
    assert message in str(e.value)
    assert db.scalar("SELECT count(*) FROM special_review") == before


def test_bureau_department_cannot_be_a_participant(db, as_user):
    with pytest.raises(ValidationError, match="参审部门只能是"):
        motion(db, as_user, depts=("投资建设审批处",))


def test_case_number_links_case_and_its_project(db, as_user):
    case_id, case_no, project_no = db.one("SELECT id, case_no, project_no FROM approval_case ORDER BY id LIMIT 1")
    rid = motion(db, as_user, project_no=None, case_no=case_no)
    r = sr.get_review(as_user("approver"), rid)
    assert (r["case_id"], r["project_no"]) == (case_id, project_no)
    other = db.scalar("SELECT project_no FROM project WHERE project_no <> ? LIMIT 1", [project_no])
    with pytest.raises(ValidationError, match="不一致"):
        motion(db, as_user, project_no=other, case_no=case_no)


@pytest.mark.parametrize("user", ["supervisor", "leader", "cityleader", "admin", "liaison"])
def test_only_approvers_propose(db, as_user, user):
    with pytest.raises(PermissionDenied):
        motion(db, as_user, user=user)


# -- approval -------------------------------------------------------------
def test_leader_approves_and_notice_goes_out(db, as_user):
    rid = motion(db, as_user)
    sr.approve(as_user("leader"), rid, "同意召开")
    r = sr.get_review(as_user("supervisor"), rid)  # the participating department now sees it
    assert r["status"] == sr.S_NOTIFIED and r["approval_comment"] == "同意召开"
    assert {"name_attendees", "submit_opinion", "notice"} <= r["actions"]
    name, data = sr.notice_docx(as_user("supervisor"), rid)
    text = text_of(data)
    assert name.endswith(".docx") and "安全防护距离" in text and "视为所在部门同意" in text
    assert "市场监管局、生态环境局、应急管理局" in text
    with pytest.raises(StateError):
        sr.approve(as_user("leader"), rid)


@pytest.mark.parametrize("user", ["cityleader", "admin", "approver", "supervisor"])
def test_only_the_bureau_leader_approves_or_sends_back(db, as_user, user):
    rid = motion(db, as_user)
    with pytest.raises(PermissionDenied):
        sr.approve(as_user(user), rid)
    with pytest.raises(PermissionDenied):
        sr.send_back(as_user(user), rid, "退回")
    assert status(db, rid) == sr.S_PENDING


def test_approval_after_the_proposed_meeting_time_is_refused(db, as_user):
    rid = motion(db, as_user)
    clock.freeze(clock.now() + timedelta(days=6))
    with pytest.raises(StateError, match="已过"):
        sr.approve(as_user("leader"), rid)
    assert status(db, rid) == sr.S_PENDING


def test_send_back_resubmit_and_withdraw(db, as_user):
    rid = motion(db, as_user)
    with pytest.raises(ValidationError, match="退回意见"):
        sr.send_back(as_user("leader"), rid, "")
    with pytest.raises(StateError):
        sr.resubmit(as_user("approver"), rid, place="新会议室")  # not sent back yet
    sr.send_back(as_user("leader"), rid, "请补充消防救援支队")
    assert status(db, rid) == sr.S_RETURNED
    with pytest.raises(NotFound):  # departments do not see motions
        sr.get_review(as_user("supervisor"), rid)
    with pytest.raises(PermissionDenied, match="投资建设审批处"):
        sr.resubmit(as_user("approver2"), rid, place="新会议室")
    with pytest.raises(ValidationError):
        sr.resubmit(as_user("approver"), rid, department_ids=[])
    sr.resubmit(as_user("approver"), rid, department_ids=[dept(db, "市场监管局"), dept(db, "消防救援支队")])
    r = sr.get_review(as_user("approver"), rid)
    assert r["status"] == sr.S_PENDING
    assert [d["name"] for d in r["departments"]] == ["市场监管局", "消防救援支队"]
    sr.withdraw(as_user("approver"), rid, "申请人撤回申请")
    assert status(db, rid) == sr.S_WITHDRAWN
    with pytest.raises(StateError):
        sr.approve(as_user("leader"), rid)
    assert audit_actions(db, rid) == ["propose", "send_back", "resubmit", "withdraw"]


def test_a_sent_back_motion_can_be_withdrawn(db, as_user):
    rid = motion(db, as_user)
    sr.send_back(as_user("leader"), rid, "会议时间冲突")
    assert sr.get_review(as_user("approver"), rid)["actions"] == {"resubmit", "withdraw"}
    sr.withdraw(as_user("approver"), rid, "项目暂缓")
    assert status(db, rid) == sr.S_WITHDRAWN
    assert sr.get_review(as_user("approver"), rid)["actions"] == set()
    with pytest.raises(StateError, match="当前状态为“已撤回”，不能重新提交"):
        sr.resubmit(as_user("approver"), rid, place="新会议室")


def test_withdraw_after_notice_is_refused(db, as_user):
    rid = notified(db, as_user)
    with pytest.raises(StateError):
        sr.withdraw(as_user("approver"), rid, "不办了")


# -- departments ------------------------------------------------------------
def test_supervisors_see_only_their_departments_notified_reviews(db, as_user):
    rid = motion(db, as_user, depts=("市场监管局",))
    assert rid not in {r["id"] for r in sr.list_reviews(as_user("supervisor"))}
    sr.approve(as_user("leader"), rid)
    assert rid in {r["id"] for r in sr.list_reviews(as_user("supervisor"))}
    assert rid in {r["id"] for r in sr.list_reviews(as_user("liaison"))}  # 市场监管局 liaison
    assert rid not in {r["id"] for r in sr.list_reviews(as_user("supervisor2"))}
    with pytest.raises(NotFound):
        sr.get_review(as_user("supervisor2"), rid)
    with pytest.raises(NotFound):
        sr.notice_docx(as_user("supervisor2"), rid)
    for r in sr.list_reviews(as_user("supervisor")):
        assert r["status"] in sr.NOTIFIED
        assert dept(db, "市场监管局") in r["department_ids"]


def test_attendees_and_opinions_only_from_invited_departments(db, as_user):
    rid = notified(db, as_user, depts=("市场监管局", "生态环境局"))
    sr.name_attendees(as_user("supervisor"), rid, "张监管 科长")
    assert dept_row(db, rid, "市场监管局")["attendees"] == "张监管 科长"
    with pytest.raises(PermissionDenied, match="未被邀请"):
        sr.name_attendees(as_user("supervisor3"), rid, "周安监")
    with pytest.raises(PermissionDenied, match="未被邀请"):
        sr.submit_opinion(as_user("supervisor3"), rid, sr.AGREE)
    with pytest.raises(ValidationError, match="理由"):
        sr.submit_opinion(as_user("supervisor"), rid, sr.DISAGREE, "")
    with pytest.raises(ValidationError, match="条件"):
        sr.submit_opinion(as_user("supervisor"), rid, sr.CONDITIONAL)
    with pytest.raises(PermissionDenied):
        sr.submit_opinion(as_user("approver"), rid, sr.AGREE)
    sr.submit_opinion(as_user("supervisor"), rid, sr.CONDITIONAL, "须完成验收")
    row = dept_row(db, rid, "市场监管局")
    assert (row["opinion"], row["basis"], row["opinion_text"]) == (sr.CONDITIONAL, sr.B_WRITTEN, "须完成验收")


def test_motion_cannot_be_answered_before_approval(db, as_user):
    rid = motion(db, as_user)
    with pytest.raises(StateError):
        sr.name_attendees(as_user("supervisor"), rid, "张监管")


# -- meeting --------------------------------------------------------------
def test_meeting_with_a_department_not_invited_is_refused(db, as_user):
    rid = notified(db, as_user, depts=("市场监管局", "生态环境局"))
    payload = attend(
        db,
        {
            "市场监管局": (sr.PRESENT, sr.AGREE, None),
            "生态环境局": (sr.PRESENT, None, None),
            "住建局": (sr.PRESENT, sr.DISAGREE, "不同意"),
        },
    )
    with pytest.raises(ValidationError, match="住建局未被邀请"):
        sr.record_meeting(
            as_user("approver"), rid, held_on=clock.today(), chair="王分管", presentation="说明", departments=payload
        )
    assert status(db, rid) == sr.S_NOTIFIED
    assert dept_row(db, rid, "市场监管局")["attendance"] is None


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"市场监管局": (sr.PRESENT, sr.AGREE, None)}, "生态环境局的出席情况"),
        (
            {"市场监管局": (sr.ABSENT_NO_REASON, sr.DISAGREE, "x"), "生态环境局": (sr.PRESENT, None, None)},
            "不能录入会上意见",
        ),
        ({"市场监管局": (sr.PRESENT, sr.DISAGREE, None), "生态环境局": (sr.PRESENT, None, None)}, "请写明理由"),
        ({"市场监管局": ("迟到", None, None), "生态环境局": (sr.PRESENT, None, None)}, "出席情况"),
    ],
)
def test_bad_meeting_records_are_refused(db, as_user, entries, message):
    rid = notified(db, as_user, depts=("市场监管局", "生态环境局"))
    with pytest.raises(ValidationError, match=message):
        sr.record_meeting(
            as_user("approver"),
            rid,
            held_on=clock.today(),
            chair="王分管",
            presentation="说明",
            departments=attend(db, entries),
        )
    assert status(db, rid) == sr.S_NOTIFIED


def test_meeting_needs_reason_date_experts_and_the_right_division(db, as_user):
    rid = notified(db, as_user, depts=("市场监管局",), forms=["专题会议", "专家评审"])
    ok = attend(db, {"市场监管局": (sr.PRESENT, None, None)})
    call = dict(
        held_on=clock.today(), chair="王分管", presentation="说明", departments=ok, expert_opinions="专家认为可行"
    )
    with pytest.raises(ValidationError, match="专家评审意见"):
        sr.record_meeting(as_user("approver"), rid, **(call | {"expert_opinions": None}))
    with pytest.raises(ValidationError, match="晚于今天"):
        sr.record_meeting(as_user("approver"), rid, **(call | {"held_on": clock.today() + timedelta(days=1)}))
    no_reason = {dept(db, "市场监管局"): {"attendance": sr.ABSENT_REASON}}
    with pytest.raises(ValidationError, match="缺席理由"):
        sr.record_meeting(as_user("approver"), rid, **(call | {"departments": no_reason}))
    with pytest.raises(PermissionDenied):
        sr.record_meeting(as_user("approver2"), rid, **call)
    with pytest.raises(PermissionDenied):
        sr.record_meeting(as_user("leader"), rid, **call)
    sr.record_meeting(as_user("approver"), rid, **call)
    assert status(db, rid) == sr.S_HELD


def test_meeting_is_recorded_only_once_it_has_begun(db, as_user):
    """Issue 16.9: date and time are compared with clock.now()."""
    rid = notified(db, as_user, depts=("市场监管局",))
    start = db.scalar("SELECT meeting_at FROM special_review WHERE id = ?", [rid]).replace(hour=15, minute=0, second=0)
    db.write(lambda cur: cur.execute("UPDATE special_review SET meeting_at = ? WHERE id = ?", [start, rid]))
    call = dict(
        held_on=start.date(),
        chair="王分管",
        presentation="说明",
        departments=attend(db, {"市场监管局": (sr.PRESENT, None, None)}),
    )
    n = db.scalar("SELECT count(*) FROM audit_log")
    clock.freeze(start.replace(hour=13, minute=28))
    with pytest.raises(ValidationError, match="15:00.*会议召开后才能录入"):
        sr.record_meeting(as_user("approver"), rid, **call)  # the scheduled time
    with pytest.raises(ValidationError, match="14:00"):
        sr.record_meeting(as_user("approver"), rid, **call, start_time=start.replace(hour=14).time())
    with pytest.raises(ValidationError, match="会议开始时间"):
        sr.record_meeting(as_user("approver"), rid, **call, start_time="下午")
    assert status(db, rid) == sr.S_NOTIFIED and db.scalar("SELECT count(*) FROM audit_log") == n
    # held earlier that day than scheduled: recorded with its real start
    sr.record_meeting(as_user("approver"), rid, **call, start_time=start.replace(hour=9).time())
    assert status(db, rid) == sr.S_HELD
    clock.freeze(start)
    sr.record_meeting(as_user("approver"), rid, **call)  # corrected at 15:00: allowed


def test_meeting_before_approval_is_refused(db, as_user):
    rid = motion(db, as_user, depts=("市场监管局",))
    with pytest.raises(StateError):
        sr.record_meeting(
            as_user("approver"),
            rid,
            held_on=clock.today(),
            chair="王分管",
            presentation="说明",
            departments=attend(db, {"市场监管局": (sr.PRESENT, None, None)}),
        )


# -- the deemed-agreement rule --------------------------------------------
def test_absent_without_reason_is_deemed_to_agree(db, as_user):
    rid = held(
        db, as_user, {"市场监管局": (sr.PRESENT, sr.AGREE, None), "生态环境局": (sr.ABSENT_NO_REASON, None, None)}
    )
    assert sr.conclude(as_user("approver"), rid, "同意按现方案审批。") == sr.OUTCOME_AGREED
    row = dept_row(db, rid, "生态环境局")
    assert (row["opinion"], row["basis"], row["deemed"], row["deemed_reason"]) == (
        sr.AGREE,
        sr.B_DEEMED,
        True,
        "无故缺席",
    )
    explicit = dept_row(db, rid, "市场监管局")
    assert (explicit["opinion"], explicit["basis"], explicit["deemed"]) == (sr.AGREE, sr.B_MEETING, False)
    assert status(db, rid) == sr.S_AGREED


def test_present_without_a_different_opinion_is_deemed_to_agree(db, as_user):
    rid = held(
        db, as_user, {"市场监管局": (sr.PRESENT, None, None), "生态环境局": (sr.PRESENT, sr.CONDITIONAL, "补充验收")}
    )
    assert sr.conclude(as_user("approver"), rid, "有条件同意。") == sr.OUTCOME_AGREED
    row = dept_row(db, rid, "市场监管局")
    assert (row["opinion"], row["deemed"], row["deemed_reason"]) == (sr.AGREE, True, "出席会议未发表不同意见")
    assert dept_row(db, rid, "生态环境局")["deemed"] is False
    r = sr.get_review(as_user("supervisor"), rid)
    assert r["departments"][0]["opinion_label"] == "视为同意（出席会议未发表不同意见）"


def test_absent_with_reason_must_give_a_written_opinion_before_conclusion(db, as_user):
    rid = held(db, as_user, {"市场监管局": (sr.PRESENT, sr.AGREE, None), "生态环境局": (sr.ABSENT_REASON, None, None)})
    ev = sr.get_review(as_user("approver"), rid)["evaluation"]
    assert ev["missing"] == ["生态环境局"] and ev["outcome"] is None
    with pytest.raises(ValidationError, match="生态环境局有理由缺席会议，尚未提交书面意见"):
        sr.conclude(as_user("approver"), rid, "同意。")
    assert status(db, rid) == sr.S_HELD
    assert dept_row(db, rid, "生态环境局")["opinion"] is None  # nothing deemed
    # the present department cannot add an opinion after the meeting
    with pytest.raises(StateError):
        sr.submit_opinion(as_user("supervisor"), rid, sr.DISAGREE, "改主意了")
    # the absent one can, in writing
    assert "submit_opinion" in sr.get_review(as_user("supervisor2"), rid)["actions"]
    sr.submit_opinion(as_user("supervisor2"), rid, sr.AGREE, "书面同意")
    assert sr.conclude(as_user("approver"), rid, "同意。") == sr.OUTCOME_AGREED
    row = dept_row(db, rid, "生态环境局")
    assert (row["opinion"], row["basis"], row["deemed"]) == (sr.AGREE, sr.B_WRITTEN, False)


def test_written_opinion_given_before_the_meeting_counts(db, as_user):
    rid = notified(db, as_user, depts=("市场监管局", "生态环境局"))
    sr.submit_opinion(as_user("supervisor2"), rid, sr.DISAGREE, "选址涉及生态红线")
    payload = attend(db, {"市场监管局": (sr.PRESENT, None, None), "生态环境局": (sr.ABSENT_NO_REASON, None, None)})
    with pytest.raises(ValidationError, match="已提交书面意见，不属于无故缺席"):
        sr.record_meeting(
            as_user("approver"), rid, held_on=clock.today(), chair="王分管", presentation="说明", departments=payload
        )
    payload = attend(
        db, {"市场监管局": (sr.PRESENT, None, None), "生态环境局": (sr.PRESENT, None, None)}
    )  # present, silent at meeting
    sr.record_meeting(
        as_user("approver"), rid, held_on=clock.today(), chair="王分管", presentation="说明", departments=payload
    )
    row = dept_row(db, rid, "生态环境局")
    assert (row["opinion"], row["basis"]) == (sr.DISAGREE, sr.B_WRITTEN)  # kept, not deemed
    assert sr.conclude(as_user("approver"), rid, "建议市政府统筹研究。") == sr.OUTCOME_ESCALATED


# -- escalation, decision, minutes ----------------------------------------
def test_no_consensus_goes_to_the_city_government_and_its_decision_is_recorded(db, as_user):
    rid = held(
        db,
        as_user,
        {"市场监管局": (sr.PRESENT, sr.AGREE, None), "生态环境局": (sr.PRESENT, sr.DISAGREE, "涉及生态红线")},
        major=True,
        city_chair=True,
    )
    with pytest.raises(StateError, match="尚未形成审查结论"):
        sr.issue_minutes(as_user("approver"), rid)
    with pytest.raises(ValidationError):
        sr.conclude(as_user("approver"), rid, "")
    assert sr.conclude(as_user("approver"), rid, "建议调整选址后审批。") == sr.OUTCOME_ESCALATED
    assert status(db, rid) == sr.S_ESCALATED
    city = as_user("cityleader")

    def escalated():
        return {x.kind: x.count for x in sr.reminders(city)}.get("review_escalated", 0)

    waiting = escalated()
    assert waiting >= 1
    assert "record_decision" in sr.get_review(city, rid)["actions"]
    with pytest.raises(StateError, match="尚未形成审查结论"):
        sr.issue_minutes(as_user("approver"), rid)
    with pytest.raises(PermissionDenied):
        sr.record_government_decision(as_user("supervisor"), rid, sr.AGREE, "同意", clock.today())
    with pytest.raises(PermissionDenied):
        sr.record_government_decision(as_user("leader"), rid, sr.AGREE, "同意", clock.today())
    with pytest.raises(ValidationError, match="晚于今天"):
        sr.record_government_decision(city, rid, sr.AGREE, "同意", clock.today() + timedelta(days=1))
    with pytest.raises(ValidationError):
        sr.record_government_decision(city, rid, "再议", "同意", clock.today())
    sr.record_government_decision(city, rid, sr.CONDITIONAL, "调整厂区布局后同意审批。", clock.today())
    assert status(db, rid) == sr.S_DECIDED
    assert escalated() == waiting - 1
    with pytest.raises(StateError):
        sr.record_government_decision(city, rid, sr.AGREE, "再次决定", clock.today())
    no = sr.issue_minutes(as_user("approver"), rid)
    text = text_of(sr.minutes_docx(as_user("supervisor2"), rid)[1])
    assert no in text and "报市政府决定" in text and "调整厂区布局后同意审批" in text
    assert "市人民政府" in text.split("分送：")[1]


def test_minutes_issued_to_the_bureau_and_every_department(db, as_user):
    rid = held(
        db,
        as_user,
        {
            "市场监管局": (sr.PRESENT, sr.AGREE, None),
            "生态环境局": (sr.PRESENT, None, None),
            "应急管理局": (sr.ABSENT_NO_REASON, None, None),
        },
    )
    with pytest.raises(StateError, match="尚未形成审查结论"):
        sr.issue_minutes(as_user("approver"), rid)
    sr.conclude(as_user("approver"), rid, "同意按现方案办理审批手续。")
    with pytest.raises(PermissionDenied):
        sr.issue_minutes(as_user("supervisor"), rid)
    with pytest.raises(PermissionDenied):
        sr.issue_minutes(as_user("approver2"), rid)
    with pytest.raises(StateError, match="纪要尚未印发"):
        sr.minutes_docx(as_user("supervisor"), rid)
    no = sr.issue_minutes(as_user("approver"), rid)
    assert no.startswith("专审纪要〔")
    with pytest.raises(StateError, match="已印发"):
        sr.issue_minutes(as_user("approver"), rid)
    r = sr.get_review(as_user("supervisor3"), rid)
    assert r["status"] == sr.S_ISSUED and "minutes" in r["actions"]
    name, data = sr.minutes_docx(as_user("supervisor3"), rid)
    text = text_of(data)
    assert name.endswith(".docx") and "会议纪要" in text
    assert "应急管理局：视为同意（无故缺席）" in text
    assert "生态环境局：视为同意（出席会议未发表不同意见）" in text
    assert "均视为所在部门同意该项目" in text
    assert "分送：南通市行政审批局、市场监管局、生态环境局、应急管理局" in text
    stored = db.one(
        "SELECT file_type, owner_type FROM attachment WHERE id ="
        " (SELECT minutes_attachment_id FROM special_review WHERE id = ?)",
        [rid],
    )
    assert stored == ("docx", sr.MINUTES_OWNER)
    with pytest.raises(NotFound):
        sr.minutes_docx(as_user("claimer"), rid)
    case_id = db.scalar("SELECT case_id FROM special_review WHERE id = ?", [rid])
    links = sr.minutes_for_project(sr.get_review(as_user("approver"), rid)["project_no"])
    assert rid in [x["review_id"] for x in links]
    assert [x["minutes_no"] for x in links if x["review_id"] == rid] == [no]
    assert case_id is None
    assert audit_actions(db, rid)[-3:] == ["record_meeting", "conclude", "issue_minutes"]


def test_minutes_for_case_links_the_case_archive(db, as_user):
    case_id, case_no = db.one("SELECT id, case_no FROM approval_case ORDER BY id DESC LIMIT 1")
    rid = notified(db, as_user, depts=("市场监管局",), project_no=None, case_no=case_no)
    sr.record_meeting(
        as_user("approver"),
        rid,
        held_on=clock.today(),
        chair="王分管",
        presentation="说明",
        departments=attend(db, {"市场监管局": (sr.PRESENT, sr.AGREE, None)}),
    )
    sr.conclude(as_user("approver"), rid, "同意。")
    assert sr.minutes_for_case(case_id) == [] or rid not in [x["review_id"] for x in sr.minutes_for_case(case_id)]
    sr.issue_minutes(as_user("approver"), rid)
    assert rid in [x["review_id"] for x in sr.minutes_for_case(case_id)]
    assert rid in [x["review_id"] for x in sr.minutes_for_case(case_id, as_user("supervisor"))]
    assert rid not in [x["review_id"] for x in sr.minutes_for_case(case_id, as_user("supervisor2"))]


def test_conclusion_is_refused_outside_the_held_state(db, as_user):
    rid = notified(db, as_user)
    with pytest.raises(StateError):
        sr.conclude(as_user("approver"), rid, "同意。")


# -- reading API, reminders, statistics -----------------------------------
def test_get_review_offers_the_liaison_contract(db, as_user):
    rid = notified(db, as_user)
    r = sr.get_review(as_user("approver"), rid)
    for key in (
        "title",
        "agenda",
        "scopes",
        "forms",
        "meeting_date",
        "meeting_at",
        "place",
        "status",
        "departments",
        "case_id",
        "project_no",
    ):
        assert key in r
    assert r["departments"][0]["name"] == "市场监管局"
    listed = sr.list_reviews(as_user("approver"), status=sr.S_NOTIFIED)
    assert rid in [x["id"] for x in listed]


def test_list_filters(db, as_user):
    rid = notified(db, as_user, depts=("消防救援支队",), scopes=["国家安全"], forms=["专题会议", "现场检查"])
    a = as_user("approver")
    assert rid in [r["id"] for r in sr.list_reviews(a, scope="国家安全")]
    assert rid not in [r["id"] for r in sr.list_reviews(a, scope="重大公共利益")]
    assert rid in [r["id"] for r in sr.list_reviews(a, form="现场检查")]
    assert rid in [r["id"] for r in sr.list_reviews(a, department_id=dept(db, "消防救援支队"))]
    assert rid not in [r["id"] for r in sr.list_reviews(a, department_id=dept(db, "卫健委"))]
    assert rid not in [r["id"] for r in sr.list_reviews(a, status=sr.S_ISSUED)]
    no = sr.get_review(a, rid)["review_no"]
    assert [r["id"] for r in sr.list_reviews(a, text=no)] == [rid]
    for r in sr.list_reviews(a, scope="安全生产"):
        assert "安全生产" in r["scopes"]


def test_reminders_match_the_lists(db, as_user):
    leader = as_user("leader")
    pending = {r["id"] for r in sr.list_reviews(leader, status=sr.S_PENDING)}
    count = {x.kind: x.count for x in sr.reminders(leader)}.get("review_pending", 0)
    assert count == len(pending)
    motion(db, as_user)
    assert {x.kind: x.count for x in sr.reminders(leader)}["review_pending"] == count + 1

    sup = as_user("supervisor")
    rid = notified(db, as_user, depts=("市场监管局",))
    before = {x.kind: x.count for x in sr.reminders(sup)}["review_notice_unanswered"]
    sr.name_attendees(sup, rid, "张监管")
    after = {x.kind: x.count for x in sr.reminders(sup)}.get("review_notice_unanswered", 0)
    assert after == before - 1

    appr = as_user("approver")
    spec = sr.reminder_lists(appr)["review_minutes"]
    ids = sr.reminder_ids(appr, spec)
    assert {x.kind: x.count for x in sr.reminders(appr)}.get("review_minutes", 0) == len(ids)
    for i in ids:
        assert status(db, i) in (sr.S_AGREED, sr.S_DECIDED)
    assert all(x.page == "review" for x in sr.reminders(appr))
    assert sr.reminders(as_user("admin")) == []


def test_statistics_agree_with_the_list(db, as_user):
    a = as_user("approver")
    stats = sr.statistics(a)
    for scope in sr.SCOPES:
        n = len(sr.list_reviews(a, scope=scope))
        row = stats["by_scope"][stats["by_scope"]["scope"] == scope]
        assert (int(row["total"].iloc[0]) if len(row) else 0) == n
    assert int(stats["by_status"]["count"].sum()) == len(sr.list_reviews(a))
    sup = as_user("supervisor")
    assert int(sr.statistics(sup)["by_status"]["count"].sum()) == len(sr.list_reviews(sup))
    assert all(set(f.columns) <= set(STAT_HEADERS) for f in stats.values())


def test_demo_data_covers_every_state(db, as_user):
    rows = sr.list_reviews(as_user("admin"))
    assert set(sr.STATUSES) <= {r["status"] for r in rows}
    assert db.scalar("SELECT count(*) FROM special_review WHERE gov_decision IS NOT NULL") >= 1
    assert db.scalar("SELECT count(*) FROM special_review_department WHERE deemed") >= 1
    assert (
        db.scalar("SELECT count(*) FROM special_review WHERE outcome = '报市政府决定' AND status = '纪要已印发'") >= 1
    )
    # demo minutes render from the record
    issued = [r for r in rows if r["status"] == sr.S_ISSUED][0]
    assert "会议纪要" in text_of(sr.minutes_docx(as_user("approver"), issued["id"])[1])
    kinds = {x.kind for x in sr.reminders(as_user("supervisor"))}
    assert "review_notice_unanswered" in kinds
    assert "review_written_opinion" in {x.kind for x in sr.reminders(as_user("supervisor2"))}


def test_list_frame_headers_with_and_without_rows(db, as_user):
    empty = list_table(sr.list_frame(as_user("approver"), text="没有这样的关键字zz"))
    assert empty.empty and {"编号", "审查议题", "状态", "通知回复"} <= set(empty.columns)
    sup = list_table(sr.list_frame(as_user("supervisor")))
    assert set(sup.columns) - {"id"} <= set(LIST_HEADERS.values())  # every column has its header
    assert len(sup) and {"本部门参会人员", "本部门意见"} <= set(sup.columns)
    assert set(sup["本部门意见"]) <= {*sr.OPINIONS, "视为同意", "未提交"}


def test_notice_names_the_leader_who_actually_approved(db, as_user):
    # 特别重大 + 报请市政府分管领导主持 ticked, approved by the bureau's leader
    rid = notified(db, as_user, major=True, city_chair=True)
    leader = as_user("leader")
    text = text_of(sr.notice_docx(as_user("supervisor"), rid)[1])
    assert f"经市行政审批局分管领导{leader.display_name}审察同意" in text
    assert "经市政府分管领导审察同意" not in text
    assert "报请市政府分管领导主持" in text


# -- document wording and layout (issue 16 item 14) ------------------------
def _docx(data: bytes):
    import io

    from docx import Document

    return Document(io.BytesIO(data))


def _has_page_field(doc) -> bool:
    from docx.oxml.ns import qn

    for footer in (doc.sections[0].footer, doc.sections[0].even_page_footer):
        xml = footer._element.xml
        runs = footer.paragraphs[0].runs
        if " PAGE " not in xml or not footer.paragraphs[0].text.startswith("— "):
            return False
        if not footer.paragraphs[0].text.endswith(" —"):
            return False
        for r in runs:
            if r.font.size is None or r.font.size.pt != 14:
                return False
            if r._element.rPr.rFonts.get(qn("w:eastAsia")) != "宋体":
                return False
    return True


def _has_red_rule(doc) -> bool:
    from docx.oxml.ns import qn

    for p in doc.paragraphs[:4]:
        ppr = p._p.pPr
        bdr = ppr.find(qn("w:pBdr")) if ppr is not None else None
        if bdr is not None and bdr.find(qn("w:bottom")) is not None:
            return bdr.find(qn("w:bottom")).get(qn("w:color")) == "FF0000" and "—" not in p.text
    return False


def test_notice_title_contact_page_numbers_and_red_rule(db, as_user):
    # the 议题 ends in 专项审查, like the form's placeholder
    rid = notified(db, as_user, title="测试危化品仓储项目专项审查")
    data = sr.notice_docx(as_user("supervisor"), rid)[1]
    text = text_of(data)
    assert "关于召开测试危化品仓储项目专项审查会议的通知" in text
    assert "专项审查专项审查" not in text
    proposer = as_user("approver")
    phone = db.scalar("SELECT phone FROM app_user WHERE id = ?", [proposer.user_id])
    assert phone and f"（联系人：{proposer.display_name}，联系电话：{phone}）" in text
    doc = _docx(data)
    assert _has_page_field(doc) and _has_red_rule(doc)
    assert doc.settings.odd_and_even_pages_header_footer


def test_notice_contact_phone_falls_back_to_the_setting(db, as_user, monkeypatch):
    from sgld import settings

    rid = notified(db, as_user)
    uid = as_user("approver").user_id
    db.write(lambda cur: cur.execute("UPDATE app_user SET phone = NULL WHERE id = ?", [uid]))
    monkeypatch.setitem(settings.get().raw, "CONTACT_PHONE", "0513-12345678")
    text = text_of(sr.notice_docx(as_user("supervisor"), rid)[1])
    assert "联系电话：0513-12345678）" in text


def test_minutes_omit_empty_parentheticals_and_double_punctuation(db, as_user):
    rid = notified(
        db, as_user, depts=("市场监管局", "生态环境局"), major=True, city_chair=True, title="某仓储项目专项审查"
    )
    db.write(
        lambda cur: cur.execute(
            "UPDATE special_review SET project_no = NULL, project_name = NULL, case_no = NULL WHERE id = ?", [rid]
        )
    )
    sr.submit_opinion(as_user("supervisor2"), rid, sr.DISAGREE, "选址涉及生态红线。")
    sr.record_meeting(
        as_user("approver"),
        rid,
        held_on=clock.today(),
        chair="王分管",
        presentation="说明",
        departments=attend(
            db, {"市场监管局": (sr.PRESENT, sr.AGREE, "无异议。"), "生态环境局": (sr.PRESENT, None, None)}
        ),
    )
    assert sr.conclude(as_user("approver"), rid, "建议市政府统筹研究。") == sr.OUTCOME_ESCALATED
    sr.record_government_decision(as_user("cityleader"), rid, sr.AGREE, "同意。", clock.today())
    sr.issue_minutes(as_user("approver"), rid)
    name, data = sr.minutes_docx(as_user("supervisor2"), rid)
    text = text_of(data)
    assert "专项审查专项审查" not in text + name
    assert "某仓储项目专项审查会议纪要" in text
    assert "（）" not in text and "（项目" not in text and "对某仓储项目进行专项审查" in text
    assert "。（书面意见）" not in text and "。。" not in text and "。）" not in text
    assert "生态环境局（书面意见）：不同意：选址涉及生态红线。" in text
    assert "市场监管局：同意（无异议）。" in text
    doc = _docx(data)
    assert _has_page_field(doc) and _has_red_rule(doc)


# -- following up the decision (附件2 五) -------------------------------------
def issued(db, as_user) -> int:
    rid = held(db, as_user, {"市场监管局": (sr.PRESENT, sr.AGREE, None), "生态环境局": (sr.PRESENT, None, None)})
    sr.conclude(as_user("approver"), rid, "同意按现方案审批。")
    sr.issue_minutes(as_user("approver"), rid)
    return rid


def follow_up_kinds(actor) -> dict:
    return {r.kind: r.count for r in sr.reminders(actor)}


def test_follow_up_is_a_to_do_until_recorded(db, as_user):
    """Issue 16.22: after the minutes each party's follow-up is a to-do until it
    records what it did; the bureau sees who has and has not."""
    sup, sup2, ap = as_user("supervisor"), as_user("supervisor2"), as_user("approver")
    before = {
        u: follow_up_kinds(as_user(u)).get("review_follow_up", 0) for u in ("supervisor", "supervisor2", "approver")
    }
    rid = issued(db, as_user)
    for u in ("supervisor", "supervisor2", "approver"):
        spec = sr.reminder_lists(as_user(u))["review_follow_up"]
        assert rid in sr.reminder_ids(as_user(u), spec)
        assert follow_up_kinds(as_user(u))["review_follow_up"] == before[u] + 1
        assert follow_up_kinds(as_user(u))["review_follow_up"] == len(sr.reminder_ids(as_user(u), spec))
    r = sr.get_review(ap, rid)
    assert [(f["name"], f["kind"], f["done"]) for f in r["follow_ups"]] == [
        ("投资建设审批处", sr.FOLLOW_APPROVAL, False),
        ("市场监管局", sr.FOLLOW_SUPERVISION, False),
        ("生态环境局", sr.FOLLOW_SUPERVISION, False),
    ]
    assert "follow_up" in r["actions"] and "follow_up" in sr.get_review(sup, rid)["actions"]
    assert "follow_up" not in sr.get_review(as_user("leader"), rid)["actions"]
    assert "follow_up" not in sr.get_review(as_user("liaison"), rid)["actions"]
    # 市场监管局 records its supervision work
    sr.record_follow_up(sup, rid, "已纳入重点监管，首次现场检查已完成。")
    assert rid not in sr.reminder_ids(sup, sr.reminder_lists(sup)["review_follow_up"])
    assert rid in sr.reminder_ids(sup2, sr.reminder_lists(sup2)["review_follow_up"])
    assert rid in sr.reminder_ids(ap, sr.reminder_lists(ap)["review_follow_up"])
    fu = {f["name"]: f for f in sr.get_review(ap, rid)["follow_ups"]}
    assert fu["市场监管局"]["done"] and fu["市场监管局"]["recorded_by_name"] == "张监管"
    assert fu["市场监管局"]["done_on"] == clock.today()
    assert not fu["生态环境局"]["done"] and not fu["投资建设审批处"]["done"]
    row = db.one(
        "SELECT action, before_json, after_json FROM audit_log WHERE object_type = 'special_review'"
        " AND object_id = ? ORDER BY id DESC LIMIT 1",
        [str(rid)],
    )
    assert row[0] == "follow_up" and row[1] is None and "重点监管" in row[2]
    # the bureau's approval procedure; a correction keeps one entry, audited with before
    sr.record_follow_up(ap, rid, "已核发批准文件。")
    sr.record_follow_up(ap, rid, "已核发批准文件并推送监管部门。")
    assert db.scalar("SELECT count(*) FROM special_review_follow_up WHERE review_id = ?", [rid]) == 2
    row = db.one(
        "SELECT before_json, after_json FROM audit_log WHERE object_type = 'special_review'"
        " AND object_id = ? ORDER BY id DESC LIMIT 1",
        [str(rid)],
    )
    assert "已核发批准文件。" in row[0] and "推送监管部门" in row[1]
    assert sr.list_frame(ap, text=sr.get_review(ap, rid)["review_no"])["follow_ups"].iloc[0] == "2/3"


def test_follow_up_refusals_change_nothing(db, as_user):
    rid = issued(db, as_user)
    sup = as_user("supervisor")
    n = db.scalar("SELECT count(*) FROM audit_log")
    issued_on = db.scalar("SELECT minutes_issued_at FROM special_review WHERE id = ?", [rid]).date()
    cases = [
        (lambda: sr.record_follow_up(sup, rid, "  "), ValidationError, "落实情况"),
        (
            lambda: sr.record_follow_up(sup, rid, "已检查", clock.today() + timedelta(days=1)),
            ValidationError,
            "晚于今天",
        ),
        (
            lambda: sr.record_follow_up(sup, rid, "已检查", issued_on - timedelta(days=1)),
            ValidationError,
            "不能早于纪要印发日期",
        ),
        (lambda: sr.record_follow_up(as_user("supervisor3"), rid, "已检查"), NotFound, "未参加"),
        (lambda: sr.record_follow_up(as_user("liaison"), rid, "已检查"), PermissionDenied, "没有权限"),
        (lambda: sr.record_follow_up(as_user("leader"), rid, "已检查"), PermissionDenied, "没有权限"),
        (lambda: sr.record_follow_up(as_user("approver2"), rid, "已检查"), PermissionDenied, "发起处室"),
    ]
    for call, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            call()
    not_issued = held(db, as_user, {"市场监管局": (sr.PRESENT, None, None)})
    n = db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(StateError, match="纪要印发后"):
        sr.record_follow_up(sup, not_issued, "已检查")
    assert db.scalar("SELECT count(*) FROM special_review_follow_up") == db.scalar(
        "SELECT count(*) FROM special_review_follow_up WHERE review_id <> ?", [rid]
    )
    assert db.scalar("SELECT count(*) FROM audit_log") == n
