"""联络员 services: qualification at the 2-year boundary, the one-day rule,
the whole flow from letter to feedback, bad input and permissions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest

from sgld import audit, clock, workdays
from sgld.documents import text_of
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.services import liaison as svc
from sgld.services import org
from tests.conftest import actor
from ui.liaison_tables import letters_table, statistics_table

REVIEW = dict(
    kind="现场审查",
    title="南通测试食品有限公司食品生产许可现场审查",
    place="南通市崇川区测试路1号",
    purpose="核实生产条件",
    basis="《食品生产许可管理办法》",
    scope="生产场所及设施",
    content="核查生产场所、设备和制度",
    schedule="09:00 现场核查",
)


def dept_id(db, name):
    return db.scalar("SELECT id FROM department WHERE name = ?", [name])


def roster_id(name, who="supervisor"):
    return next(r["id"] for r in svc.list_roster(actor(who)) if r["name"] == name)


def freeze(d: date, hour=10, minute=0):
    clock.freeze(datetime.combine(d, time(hour, minute)))


def new_review(db, review_date, depts=("市场监管局",), **kw):
    fields = dict(REVIEW, **kw)
    return svc.create_review(
        actor("approver"), review_date=review_date, department_ids=[dept_id(db, d) for d in depts], **fields
    )


def letter_of(db, review_id, dept="市场监管局"):
    return db.scalar(
        "SELECT id FROM liaison_request WHERE review_id = ? AND department_id = ?", [review_id, dept_id(db, dept)]
    )


def audit_count(db):
    return db.scalar("SELECT count(*) FROM audit_log")


# -- qualification ---------------------------------------------------------
def test_two_years_complete_on_the_anniversary():
    joined = date(2024, 11, 27)
    assert svc.years_complete_on(joined) == date(2026, 11, 27)
    kw = dict(employment_type="在职公务员", joined_on=joined, familiar_confirmed=True)
    assert svc.qualification_problems(on=date(2026, 11, 27), **kw) == []
    why = svc.qualification_problems(on=date(2026, 11, 26), **kw)
    assert len(why) == 1 and "未满 2 年" in why[0] and "2026-11-27 起满 2 年" in why[0]
    # 29 February: no corresponding day, so the last day of that month
    assert svc.years_complete_on(date(2024, 2, 29)) == date(2026, 2, 28)


@pytest.mark.parametrize(
    "etype,ok", [("在职公务员", True), ("参照公务员法管理人员", True), ("事业单位人员", True), ("其他", False)]
)
def test_employment_types(etype, ok):
    why = svc.qualification_problems(
        employment_type=etype, joined_on=date(2010, 1, 1), familiar_confirmed=True, on=date(2026, 1, 1)
    )
    assert (why == []) is ok
    if not ok:
        assert "不属于本部门在职公务员" in why[0]


def test_familiarity_and_inactive_are_reasons():
    why = svc.qualification_problems(
        employment_type="在职公务员",
        joined_on=date(2010, 1, 1),
        familiar_confirmed=False,
        active=False,
        on=date(2026, 1, 1),
    )
    assert any("尚未确认其熟悉监管工作" in w for w in why)
    assert any("停用" in w for w in why)


def test_dispatch_respects_the_boundary_on_the_review_date(db):
    today = clock.today()
    freeze(today)
    review_day = today + timedelta(days=10)
    joined = (
        review_day.replace(year=review_day.year - 2)
        if not (review_day.month == 2 and review_day.day == 29)
        else date(review_day.year - 2, 2, 28)
    )
    mk = dept_id(db, "市场监管局")
    uid, _ = org.create_user(actor("admin"), "newliaison", "钱新", mk, ["liaison"])
    lid = svc.save_liaison(
        actor("supervisor"),
        name="钱新",
        employment_type="事业单位人员",
        joined_on=joined,
        familiar_confirmed=True,
        user_id=uid,
    )
    early = letter_of(db, new_review(db, review_day - timedelta(days=1)))
    on_day = letter_of(db, new_review(db, review_day))
    before = audit_count(db)
    with pytest.raises(ValidationError) as err:
        svc.dispatch(actor("supervisor"), early, lid)
    assert "未满 2 年" in str(err.value) and "钱新" in str(err.value)
    assert audit_count(db) == before
    assert svc.get_letter(actor("supervisor"), early)["status"] == "待派员"
    svc.dispatch(actor("supervisor"), on_day, lid)
    assert svc.get_letter(actor("supervisor"), on_day)["liaison_name"] == "钱新"
    # and the roster tells who is qualified and why not
    row = next(r for r in svc.list_roster(actor("supervisor"), on=review_day - timedelta(days=1)) if r["id"] == lid)
    assert not row["qualified"] and "未满 2 年" in row["problems"][0]


# -- the one-day rule --------------------------------------------------------
def test_one_day_rule_is_calendar_days(db):
    review_day = clock.today() + timedelta(days=5)
    freeze(review_day - timedelta(days=1), 23, 59)  # the evening before: in time
    rid = new_review(db, review_day)
    assert letter_of(db, rid)
    freeze(review_day, 0, 1)  # the review day itself: refused
    n_reviews, n_audit = db.scalar("SELECT count(*) FROM liaison_review"), audit_count(db)
    with pytest.raises(ValidationError) as err:
        new_review(db, review_day)
    assert "至少提前一天" in str(err.value) and review_day.isoformat() in str(err.value)
    with pytest.raises(ValidationError):
        svc.send_letter(actor("approver"), rid, dept_id(db, "生态环境局"))
    assert db.scalar("SELECT count(*) FROM liaison_review") == n_reviews
    assert audit_count(db) == n_audit


def test_friday_letter_for_saturday_review_is_in_time(db):
    d = clock.today() + timedelta(days=7)
    while d.weekday() != 5:
        d += timedelta(days=1)
    freeze(d - timedelta(days=1), 17)
    assert letter_of(db, new_review(db, d))


# -- letters ---------------------------------------------------------------
def test_letter_docx_in_official_layout(db):
    rid = new_review(db, clock.today() + timedelta(days=3), ("市场监管局", "生态环境局"), contact_phone="0513-85099001")
    qid = letter_of(db, rid)
    name, data = svc.letter_docx(actor("supervisor"), qid)
    text = text_of(data)
    assert name.endswith("商请监管部门派出联络员参与审核工作的函.docx")
    for piece in (
        "商请监管部门派出联络员参与审核工作的函",
        "市场监管局：",
        REVIEW["title"],
        "从事本部门工作2年以上",
        "核实生产条件",
        "09:00 现场核查",
        "0513-85099001",
        "南通市行政审批局",
    ):
        assert piece in text, piece
    letter_no = svc.get_letter(actor("approver"), qid)["letter_no"]
    assert letter_no in text and letter_no.startswith("通审批联函〔")
    # each department gets its own letter; the other department's is not visible to supervisor
    other = letter_of(db, rid, "生态环境局")
    with pytest.raises(PermissionDenied):
        svc.get_letter(actor("supervisor"), other)
    # demo letters (no stored file) are rebuilt from their facts
    demo_q = db.scalar("SELECT min(id) FROM liaison_request WHERE attachment_id IS NULL")
    assert "商请监管部门派出联络员参与审核工作的函" in text_of(svc.letter_docx(actor("approver"), demo_q)[1])


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(department_ids=[]), "至少选择一个"),
        (dict(title=""), "审查事项"),
        (dict(kind="座谈"), "审查类型"),
        (dict(applicant_uscc="91320600MA1XXXXXX0"), "统一社会信用代码"),
    ],
)
def test_bad_review_input_changes_nothing(db, change, message):
    fields = dict(REVIEW, review_date=clock.today() + timedelta(days=2), department_ids=[dept_id(db, "市场监管局")])
    fields.update(change)
    n = db.scalar("SELECT count(*) FROM liaison_request")
    with pytest.raises(ValidationError) as err:
        svc.create_review(actor("approver"), **fields)
    assert message in str(err.value)
    assert db.scalar("SELECT count(*) FROM liaison_request") == n


def test_letters_only_to_supervision_departments_and_once(db):
    rid = new_review(db, clock.today() + timedelta(days=2))
    with pytest.raises(ValidationError, match="不是监管部门"):
        svc.send_letter(actor("approver"), rid, dept_id(db, "水利局"))
    with pytest.raises(ValidationError, match="不能重复发函"):
        svc.send_letter(actor("approver"), rid, dept_id(db, "市场监管局"))


def test_withdraw_only_before_dispatch(db):
    rid = new_review(db, clock.today() + timedelta(days=2))
    qid = letter_of(db, rid)
    svc.dispatch(actor("supervisor"), qid, roster_id("刘联络"))
    with pytest.raises(StateError, match="尚未派员"):
        svc.withdraw_letter(actor("approver"), qid, "审查取消")
    qid2 = letter_of(db, new_review(db, clock.today() + timedelta(days=3)))
    svc.withdraw_letter(actor("approver"), qid2, "申请人撤回申请")
    assert svc.get_letter(actor("supervisor"), qid2)["state"] == "已撤回"
    with pytest.raises(StateError, match="撤回"):
        svc.dispatch(actor("supervisor"), qid2, roster_id("刘联络"))


# -- dispatch: bad input and scope -------------------------------------------
def test_dispatch_refusals(db):
    qid = letter_of(db, new_review(db, clock.today() + timedelta(days=2)))
    sup = actor("supervisor")
    unqualified = [r for r in svc.list_roster(sup) if not r["qualified"]]
    assert unqualified, "the demo roster has unqualified people"
    before = audit_count(db)
    for r in unqualified:
        with pytest.raises(ValidationError) as err:
            svc.dispatch(sup, qid, r["id"])
        assert r["name"] in str(err.value) and "不能派出" in str(err.value)
    # another department's liaison
    with pytest.raises(ValidationError, match="只能派出本部门"):
        svc.dispatch(sup, qid, roster_id("孙联络", "supervisor2"))
    # another department's supervisor
    with pytest.raises(PermissionDenied, match="本部门"):
        svc.dispatch(actor("supervisor2"), qid, roster_id("孙联络", "supervisor2"))
    for who in ("approver", "leader", "liaison", "admin"):
        with pytest.raises(PermissionDenied):
            svc.dispatch(actor(who), qid, roster_id("刘联络"))
    assert audit_count(db) == before
    assert svc.get_letter(sup, qid)["status"] == "待派员"


def test_dispatch_needs_an_explicit_choice(db):
    qid = letter_of(db, new_review(db, clock.today() + timedelta(days=2)))
    sup = actor("supervisor")
    before = audit_count(db)
    for nothing in (None, ""):
        with pytest.raises(ValidationError, match="请选择派出的联络员"):
            svc.dispatch(sup, qid, nothing)
    assert audit_count(db) == before and svc.get_letter(sup, qid)["status"] == "待派员"


def test_replaced_dispatch_stays_on_the_letter(db):
    qid = letter_of(db, new_review(db, clock.today() + timedelta(days=2)))
    sup = actor("supervisor")
    ok = [c for c in svc.dispatch_candidates(sup, qid) if c["dispatchable"]]
    assert len(ok) >= 2, "the demo roster has two dispatchable liaisons"
    first, second = ok[0], ok[1]
    svc.dispatch(sup, qid, first["id"], "首次派员")
    assert svc.get_letter(sup, qid)["replaced_dispatches"] == []
    svc.dispatch(sup, qid, second["id"], "原联络员出差")
    d = svc.get_letter(actor("approver"), qid)
    assert d["liaison_name"] == second["name"] and d["dispatch_note"] == "原联络员出差"
    [old] = d["replaced_dispatches"]
    assert old["liaison_name"] == first["name"] and old["dispatch_note"] == "首次派员"
    assert old["dispatched_by_name"] == "张监管" and old["replaced_by_name"] == "张监管"
    assert old["replaced_at"] is not None and old["dispatched_at"] is not None


def test_report_document_needs_a_drafted_report(db):
    rid = new_review(db, clock.today() + timedelta(days=3))
    with pytest.raises(StateError, match="尚未起草"):
        svc.report_docx(actor("approver"), letter_of(db, rid))


def test_dispatch_after_the_review_day_is_refused(db):
    review_day = clock.today() + timedelta(days=2)
    qid = letter_of(db, new_review(db, review_day))
    freeze(review_day + timedelta(days=1))
    with pytest.raises(StateError, match="不能再派员"):
        svc.dispatch(actor("supervisor"), qid, roster_id("刘联络"))
    assert svc.get_letter(actor("approver"), qid)["state"] == "逾期未派员"


# -- the whole flow ----------------------------------------------------------
def test_whole_flow(db):
    today = clock.today()
    freeze(today, 9)
    review_day = today + timedelta(days=1)
    sup, appr, lz = actor("supervisor"), actor("approver"), actor("liaison")
    before_sup = {r.kind: r for r in svc.reminders(sup)}["liaison_to_dispatch"]
    rid = new_review(db, review_day)
    qid = letter_of(db, rid)
    # the department sees it with a count; the review is tomorrow, so it is urgent
    rem = {r.kind: r for r in svc.reminders(sup)}["liaison_to_dispatch"]
    assert rem.count == before_sup.count + 1 and rem.overdue == before_sup.overdue + 1
    assert rem.count == len(svc.list_letters(sup, state="待派员"))
    assert qid in [r["id"] for r in svc.list_letters(appr, state="待派员")]

    svc.dispatch(sup, qid, roster_id("刘联络"), "请准时参加")
    d = svc.get_letter(appr, qid)
    assert d["state"] == "已派员" and d["on_time"] and d["dispatched_by_name"] == "张监管"
    assert qid in [r["id"] for r in svc.my_assignments(lz)]
    with pytest.raises(PermissionDenied):
        svc.get_letter(actor("liaison2"), qid)
    # nothing can be recorded before the review day
    with pytest.raises(StateError, match="审查当天起"):
        svc.save_record(lz, qid, attended=True, record_text="x", suggestions="y", recommendation="建议通过")

    freeze(review_day, 11)
    with pytest.raises(StateError, match="没有参加本次审查"):
        svc.sign_report(lz, qid)
    svc.save_record(
        lz,
        qid,
        attended=True,
        record_text="现场核查了生产车间和仓库。",
        suggestions="仓库需分区。",
        recommendation="建议整改后通过",
        applicant_info="从业人员 30 人，负责人王某。",
    )
    with pytest.raises(StateError, match="尚未起草"):
        svc.sign_report(lz, qid)
    svc.save_report(appr, rid, "审查组于今日开展现场审查……")
    svc.save_report(lz, rid, "审查组于今日开展现场审查，申请人基本具备条件。")  # helps write it
    svc.sign_report(lz, qid)
    d = svc.get_letter(sup, qid)
    assert d["signed_at"] == clock.now() and d["signed_by_name"] == "刘联络"
    assert d["signed_hash"] == svc.report_hash("审查组于今日开展现场审查，申请人基本具备条件。")
    with pytest.raises(StateError, match="已有联络员签字"):
        svc.save_report(appr, rid, "改动")
    with pytest.raises(StateError, match="在审查报告上签字"):
        svc.sign_report(lz, qid)
    # the site review report as a document, with the signatures
    name, data = svc.report_docx(sup, qid)
    text = text_of(data)
    assert name.endswith("现场审查情况报告.docx")
    assert "现场审查情况报告" in text and "申请人基本具备条件" in text
    assert "刘联络" in text and "市场监管局" in text and f"{clock.now():%Y-%m-%d %H:%M}" in text
    with pytest.raises(PermissionDenied):
        svc.report_docx(actor("liaison2"), qid)

    # rectifications
    deadline = workdays.add_workdays(review_day, 2)
    x_hw = svc.add_rectification(
        lz, qid, problem="仓库未分区", requirement="设置隔断", deadline=deadline, hardware=True
    )
    x_doc = svc.add_rectification(lz, qid, problem="制度不全", deadline=review_day + timedelta(days=30), hardware=False)
    states = {r["id"]: r["state"] for r in svc.list_rectifications(lz)}
    assert states[x_hw] == "即将到期" and states[x_doc] == "整改中"
    due = {r.kind: r for r in svc.reminders(lz)}["liaison_rect_due"]
    assert due.count == sum(1 for s in svc.list_rectifications(lz) if s["state"] in ("即将到期", "已逾期"))
    with pytest.raises(ValidationError, match="须赴现场检查"):
        svc.check_rectification(lz, x_hw, checked_on=review_day, site_visit=False, result="已整改", note="看了照片")
    freeze(deadline + timedelta(days=1), 10)
    assert {r["id"]: r["state"] for r in svc.list_rectifications(sup)}[x_hw] == "已逾期"
    svc.check_rectification(
        lz,
        x_hw,
        checked_on=clock.today(),
        site_visit=True,
        result="未整改",
        note="隔断未完成",
        new_deadline=clock.today() + timedelta(days=7),
    )
    assert {r["id"]: r["state"] for r in svc.list_rectifications(sup)}[x_hw] == "整改中"
    svc.check_rectification(
        lz, x_hw, checked_on=clock.today(), site_visit=True, result="已整改", note="现场检查：隔断已完成"
    )
    before = audit_count(db)
    with pytest.raises(StateError, match="已于 .* 复查通过并关闭"):
        svc.check_rectification(lz, x_hw, checked_on=clock.today(), site_visit=True, result="未整改", note="再看看")
    assert audit_count(db) == before
    checks = svc.rectification_checks(sup, x_hw)
    assert [c["result"] for c in checks] == ["未整改", "已整改"] and checks[1]["site_visit"]
    svc.check_rectification(lz, x_doc, checked_on=clock.today(), site_visit=False, result="已整改", note="材料齐全")

    # feedback to the department
    with pytest.raises(PermissionDenied):
        svc.submit_feedback(actor("liaison2"), qid, "x")
    svc.submit_feedback(lz, qid, "审查结束，信息报部门。")
    fb = svc.department_feedback(sup)
    assert qid in [r["id"] for r in fb]
    assert qid not in [r["id"] for r in svc.department_feedback(actor("supervisor2"))]
    with pytest.raises(StateError, match="不能再修改"):
        svc.save_record(lz, qid, attended=True, record_text="x", suggestions="y", recommendation="建议通过")
    assert svc.get_letter(sup, qid)["state"] == "已反馈"

    # everything above is in the audit chain
    actions = [
        r[0]
        for r in db.all(
            "SELECT action FROM audit_log WHERE object_type IN"
            " ('liaison_request', 'liaison_review', 'liaison_rectification')"
            " AND object_id IN (?, ?, ?, ?)",
            [str(qid), str(rid), str(x_hw), str(x_doc)],
        )
    ]
    for a in (
        "send_letter",
        "dispatch",
        "record_review",
        "update_report",
        "sign_report",
        "create",
        "check",
        "feedback",
    ):
        assert a in actions, a
    assert audit.verify(db)[0]


def test_absent_liaison_cannot_sign_or_add_rectifications(db):
    today = clock.today()
    review_day = today + timedelta(days=1)
    qid = letter_of(db, new_review(db, review_day))
    rid = db.scalar("SELECT review_id FROM liaison_request WHERE id = ?", [qid])
    svc.dispatch(actor("supervisor"), qid, roster_id("刘联络"))
    svc.save_report(actor("approver"), rid, "报告正文")
    freeze(review_day, 17)
    lz = actor("liaison")
    with pytest.raises(ValidationError, match="未参加原因"):
        svc.save_record(lz, qid, attended=False)
    svc.save_record(lz, qid, attended=False, absence_reason="临时公务")
    with pytest.raises(StateError, match="没有参加本次审查"):
        svc.sign_report(lz, qid)
    with pytest.raises(StateError, match="尚未填写参加本次审查"):
        svc.add_rectification(lz, qid, problem="x", deadline=review_day, hardware=False)
    with pytest.raises(PermissionDenied):
        svc.save_report(lz, rid, "改报告")


def test_record_corrected_feedback_before_signing(db):
    """The assignment's states (``workflows.LIAISON_ASSIGNMENT``): the record
    may be corrected until feedback; feedback and signature in either order."""
    review_day = clock.today() + timedelta(days=1)
    qid = letter_of(db, new_review(db, review_day))
    rid = db.scalar("SELECT review_id FROM liaison_request WHERE id = ?", [qid])
    svc.dispatch(actor("supervisor"), qid, roster_id("刘联络"))
    freeze(review_day, 15)
    lz = actor("liaison")

    def state() -> str:
        return svc.assignment_state(svc.get_letter(lz, qid))

    assert state() == "待记录"
    with pytest.raises(StateError, match="请先填写审查记录"):
        svc.submit_feedback(lz, qid, "x")
    svc.save_record(lz, qid, attended=True, record_text="初稿", suggestions="无", recommendation="建议通过")
    svc.save_record(
        lz, qid, attended=True, record_text="现场核查了生产车间。", suggestions="无", recommendation="建议通过"
    )
    assert state() == "已记录" and svc.get_letter(lz, qid)["record_text"] == "现场核查了生产车间。"
    svc.submit_feedback(lz, qid, "审查结束，信息报部门。")
    assert state() == "已反馈"
    with pytest.raises(StateError, match="不能重复反馈"):
        svc.submit_feedback(lz, qid, "再报一次")
    svc.save_report(actor("approver"), rid, "审查组于今日开展现场审查。")
    svc.sign_report(lz, qid)
    assert state() == "已签字并反馈"
    with pytest.raises(StateError, match="不能再修改"):
        svc.save_record(lz, qid, attended=True, record_text="x", suggestions="y", recommendation="建议通过")


def test_signing_someone_elses_review_is_refused(db):
    # a demo assignment of liaison (市场监管局) that liaison2 did not attend
    qid = next(r["id"] for r in svc.my_assignments(actor("liaison")) if r["todo"] == "待签字")
    with pytest.raises(PermissionDenied, match="没有派您参加"):
        svc.sign_report(actor("liaison2"), qid)
    svc.sign_report(actor("liaison"), qid)


# -- discipline --------------------------------------------------------------
def test_discipline_on_first_assignment(db):
    lz2 = actor("liaison2")
    status = svc.discipline_status(lz2)
    assert status["needed"] and status["text"][0].startswith("（一）依法行政")
    assert "liaison_discipline" in {r.kind for r in svc.reminders(lz2)}
    qid = svc.my_assignments(lz2)[0]["id"]
    review_day = svc.get_letter(lz2, qid)["review_date"]
    freeze(review_day, 16)
    with pytest.raises(StateError, match="工作纪律"):
        svc.save_record(lz2, qid, attended=True, record_text="r", suggestions="s", recommendation="建议通过")
    svc.acknowledge_discipline(lz2)
    assert not svc.discipline_status(lz2)["needed"]
    assert "liaison_discipline" not in {r.kind for r in svc.reminders(lz2)}
    with pytest.raises(StateError, match="已确认"):
        svc.acknowledge_discipline(lz2)
    svc.save_record(lz2, qid, attended=True, record_text="r", suggestions="s", recommendation="建议通过")
    assert (
        db.scalar("SELECT count(*) FROM audit_log WHERE action = 'acknowledge_discipline' AND actor = 'liaison2'") == 1
    )


# -- roster ------------------------------------------------------------------
def test_roster_scope_and_validation(db):
    sup, sup2 = actor("supervisor"), actor("supervisor2")
    mk = dept_id(db, "市场监管局")
    assert {r["department_id"] for r in svc.list_roster(sup)} == {mk}
    with pytest.raises(PermissionDenied):
        svc.list_roster(sup, department_id=dept_id(db, "生态环境局"))
    assert len({r["department_id"] for r in svc.list_roster(actor("leader"))}) > 1
    with pytest.raises(PermissionDenied):
        svc.list_roster(actor("liaison"))
    with pytest.raises(PermissionDenied):
        svc.save_liaison(
            actor("approver"),
            name="x",
            employment_type="在职公务员",
            joined_on=date(2010, 1, 1),
            familiar_confirmed=True,
        )
    lid = roster_id("刘联络")
    with pytest.raises(PermissionDenied):
        svc.save_liaison(
            sup2,
            liaison_id=lid,
            name="刘联络",
            employment_type="在职公务员",
            joined_on=date(2010, 1, 1),
            familiar_confirmed=True,
        )
    bad = [
        (dict(name=""), "姓名"),
        (dict(employment_type="劳务派遣"), "人员类别"),
        (dict(joined_on=clock.today() + timedelta(days=1)), "不能晚于今天"),
        (dict(user_id=actor("liaison2").user_id), "本部门"),
        (dict(user_id=actor("supervisor").user_id), "联络员角色"),
        (dict(user_id=actor("liaison").user_id), "已关联"),
    ]
    n = db.scalar("SELECT count(*) FROM liaison")
    for change, msg in bad:
        fields = dict(name="新人", employment_type="在职公务员", joined_on=date(2015, 1, 1), familiar_confirmed=True)
        fields.update(change)
        with pytest.raises(ValidationError, match=msg):
            svc.save_liaison(sup, **fields)
    assert db.scalar("SELECT count(*) FROM liaison") == n
    new = svc.save_liaison(
        sup, name="新人", employment_type="其他", joined_on=date(2015, 1, 1), familiar_confirmed=False, position="科员"
    )
    row = next(r for r in svc.list_roster(sup) if r["id"] == new)
    assert not row["qualified"] and len(row["problems"]) == 2 and row["confirmed_at"] is None
    svc.save_liaison(
        sup,
        liaison_id=new,
        name="新人",
        employment_type="在职公务员",
        joined_on=date(2015, 1, 1),
        familiar_confirmed=True,
        position="科员",
    )
    row = next(r for r in svc.list_roster(sup) if r["id"] == new)
    assert row["qualified"] and not row["dispatchable"] and row["confirmed_at"] is not None
    assert "未关联联络员系统账号" in row["dispatch_problems"][0]


# -- scope of the lists --------------------------------------------------------
def test_data_scope_of_lists(db):
    mk = dept_id(db, "市场监管局")
    assert {r["department_id"] for r in svc.list_letters(actor("supervisor"))} == {mk}
    assert len({r["department_id"] for r in svc.list_letters(actor("approver"))}) > 3
    mine = svc.list_letters(actor("liaison"))
    assert mine and all(r["liaison_user_id"] == actor("liaison").user_id for r in mine)
    assert {r["department_id"] for r in svc.list_rectifications(actor("supervisor2"))} == {dept_id(db, "生态环境局")}
    stats = svc.statistics(actor("supervisor"))
    assert list(stats["department"]) == ["市场监管局"]
    assert len(svc.statistics(actor("leader"))) == 9
    for fn in (svc.my_assignments, svc.acknowledge_discipline):
        with pytest.raises(PermissionDenied):
            fn(actor("supervisor"))
    with pytest.raises(PermissionDenied):
        svc.create_review(actor("leader"), review_date=clock.today() + timedelta(days=3), department_ids=[mk], **REVIEW)
    with pytest.raises(NotFound):
        svc.get_letter(actor("approver"), 10**8)


def test_statistics_match_the_records(db):
    stats = statistics_table(svc.statistics(actor("leader"))).set_index("部门")
    mk = dept_id(db, "市场监管局")
    got = stats.loc["市场监管局"]
    letters = svc.list_letters(actor("supervisor"))
    assert got["收到商请函"] == sum(1 for r in letters if r["status"] != "已撤回")
    assert got["按时派员"] == sum(1 for r in letters if r["on_time"] and r["status"] == "已派员")
    assert got["逾期未派员"] == sum(1 for r in letters if r["state"] == "逾期未派员")
    rects = svc.list_rectifications(actor("supervisor"))
    assert got["整改事项"] == len(rects)
    assert got["已逾期"] == sum(1 for r in rects if r["state"] == "已逾期")
    assert got["名册人数"] == db.scalar("SELECT count(*) FROM liaison WHERE department_id = ? AND active", [mk])


# -- demo data -----------------------------------------------------------------
def test_demo_has_every_state(db):
    states = {r["state"] for r in svc.list_letters(actor("approver"))}
    assert {"待派员", "逾期未派员", "已撤回", "已派员", "已记录", "已签字", "已反馈"} <= states
    assert {r["state"] for r in svc.list_rectifications(actor("approver"))} == {
        "整改中",
        "即将到期",
        "已逾期",
        "已整改",
    }
    assert db.scalar("SELECT count(*) FROM liaison_rect_check WHERE result = '未整改'") > 0
    reasons = " ".join(p for r in svc.list_roster(actor("leader")) for p in r["problems"])
    for piece in ("不属于本部门在职公务员", "未满 2 年", "尚未确认", "停用"):
        assert piece in reasons, piece
    todo = {r["todo"] for r in svc.my_assignments(actor("liaison"))}
    assert {"今日审查", "待参加", "待签字"} <= todo


# -- letters for an approved special review (issue 6's read API) ----------------
def test_letter_for_an_approved_special_review(db):
    from sgld.services import special_review as sr

    appr = actor("approver")
    rows = svc.special_reviews_for_letters(appr)
    assert rows, "the demo has approved special reviews whose meeting is ahead"
    facts = svc.special_review_facts(appr, rows[0]["id"])
    review = sr.get_review(appr, rows[0]["id"])
    assert facts["title"] == review["title"] and facts["review_date"] == review["meeting_date"]
    facts.pop("review_no")
    rid = svc.create_review(appr, **facts)
    letters = svc.list_letters(appr, review_id=rid)
    assert {r["department_id"] for r in letters} == set(facts["department_ids"]) != set()
    assert {r["kind"] for r in letters} == {"专项审查"}
    pending = sr.list_reviews(appr, status="待审察")
    if pending:
        with pytest.raises(StateError, match="只能为已审察同意"):
            svc.special_review_facts(appr, pending[0]["id"])


def test_letter_contact_line_has_the_senders_phone(db):
    # no phone typed in the form: the sender's phone from the user record
    rid = new_review(db, clock.today() + timedelta(days=3), contact_phone=None)
    appr = actor("approver")
    phone = db.scalar("SELECT phone FROM app_user WHERE id = ?", [appr.user_id])
    text = text_of(svc.letter_docx(actor("supervisor"), letter_of(db, rid))[1])
    assert phone and f"（联系人：{appr.display_name}，联系电话：{phone}）" in text


def test_duplicate_roster_entry_is_refused(db):
    """Issue 16.7: the same person (department, name, joining date) once only."""
    sup = actor("supervisor")
    fields = dict(name="重复人", employment_type="在职公务员", joined_on=date(2015, 1, 1), familiar_confirmed=False)
    lid = svc.save_liaison(sup, **fields)
    n, a = db.scalar("SELECT count(*) FROM liaison"), audit_count(db)
    with pytest.raises(ValidationError, match="已有“重复人”"):
        svc.save_liaison(sup, **fields)
    assert db.scalar("SELECT count(*) FROM liaison") == n and audit_count(db) == a
    # another joining date is another person; another department may have the name
    svc.save_liaison(sup, **dict(fields, joined_on=date(2016, 1, 1)))
    svc.save_liaison(actor("supervisor2"), **fields)
    # an edit of the entry itself is no duplicate, an edit into another entry is
    svc.save_liaison(sup, liaison_id=lid, **dict(fields, position="科员"))
    other = svc.save_liaison(sup, **dict(fields, name="另一人"))
    with pytest.raises(ValidationError, match="不能重复登记"):
        svc.save_liaison(sup, liaison_id=other, **fields)


@pytest.mark.parametrize("who", ["leader", "approver", "supervisor", "liaison"])
def test_letters_overview_agrees_with_the_rows(db, who):
    """The bureau's overview (state computed in SQL) lists every letter the
    rows list, in the same order, with the same state, 按时派员 and table."""
    a = actor(who)
    rows = svc.list_letters(a)
    frame = svc.letters_overview(a)
    assert rows and list(frame["id"]) == [r["id"] for r in rows]
    assert list(frame["state"]) == [r["state"] for r in rows]
    assert list(frame["on_time"]) == [r["on_time"] for r in rows]
    if who != "liaison":
        assert {"待派员", "已反馈"} <= set(frame["state"])
    pd.testing.assert_frame_equal(letters_table(frame), letters_table(rows), check_dtype=False)
