"""The liaison's work on an assignment: the work discipline, the review
record, the review report (drafting, signing, .docx) and the feedback to
the department."""

from __future__ import annotations

import hashlib
from datetime import date

from db.connection import get_db
from sgld import audit, clock, settings, workflows
from sgld import validate as v
from sgld.documents import Letter, cn_date, render
from sgld.errors import PermissionDenied, StateError
from sgld.security import Actor, require
from sgld.services.liaison._base import (
    _LETTER_SQL,
    _LIST_SQL,
    DISCIPLINE,
    DISCIPLINE_VERSION,
    DUTIES,
    READERS,
    RECOMMENDATIONS,
    _assignment,
    _bool,
    _has_assignment,
    _require_ack,
    _review_row,
    _today,
    letter_state,
)
from sgld.services.liaison.letters import get_letter


def report_title(review: dict) -> str:
    """现场审查情况报告 (or 联合审查情况报告 …, after the review's kind)."""
    return f"{review['kind']}情况报告"


def build_report(review: dict, participants: list[dict], issued_on: date) -> Letter:
    """The review report the liaisons help to compile and sign (附件3 三(二))."""
    who = review.get("applicant")
    facts = (
        f"审查事项：{review['title']}；审查类型：{review['kind']}"
        + (f"；申请人：{who}" if who else "")
        + (f"；办件编号：{review['case_no']}" if review.get("case_no") else "")
        + "。\n"
        f"审查时间：{cn_date(review['review_date'])}；审查地点：{review['place']}。"
    )
    body = [facts, review["report_text"] or ""]
    headings = {0: "一、审查基本情况", 1: "二、审查情况"}
    table = None
    if participants:
        body.append("参加审查的监管部门联络员签字情况见下表。")
        headings[2] = "三、联络员签字"
        table = [["监管部门", "联络员", "是否参加", "签字时间"]] + [
            [
                p["department"],
                p["liaison"] or "",
                "参加" if p["attended"] else ("未参加" if p["attended"] is not None else "未填写"),
                f"{p['signed_at']:%Y-%m-%d %H:%M}" if p["signed_at"] else "未签字",
            ]
            for p in participants
        ]
    return Letter(
        issuer=settings.get().bureau_name,
        title=report_title(review),
        body=body,
        issued_on=issued_on,
        headings=headings,
        table=table,
    )


def report_docx(actor: Actor, request_id: int) -> tuple[str, bytes]:
    """The 现场审查情况报告 of the letter's review as .docx (file name, bytes),
    scope-checked like the letter itself."""
    row = get_letter(actor, request_id)
    if not row["report_text"]:
        raise StateError("审查报告尚未起草。")
    participants = get_db().dicts(
        "SELECT d.name AS department, l.name AS liaison, q.attended, q.signed_at"
        " FROM liaison_request q JOIN department d ON d.id = q.department_id"
        " LEFT JOIN liaison l ON l.id = q.liaison_id"
        " WHERE q.review_id = ? AND q.status = '已派员' ORDER BY q.id",
        [row["review_id"]],
    )
    issued = (row["report_updated_at"] or clock.now()).date()
    data = render(build_report(row, participants, issued))
    return report_file_name(row), data


def report_file_name(review: dict) -> str:
    name = f"{review['title']}{report_title(review)}"
    return "".join(c for c in name if c not in '\\/:*?"<>|')[:80] + ".docx"


def discipline_status(actor: Actor) -> dict:
    """Whether the liaison must still acknowledge the work discipline (shown
    from their first assignment on)."""
    require(actor, *READERS, action="查看工作纪律")
    ack = get_db().scalar(
        "SELECT acknowledged_at FROM liaison_discipline_ack WHERE user_id = ? AND version = ?",
        [actor.user_id, DISCIPLINE_VERSION],
    )
    has = actor.has("liaison") and _has_assignment(actor.user_id)
    return {
        "acknowledged_at": ack,
        "needed": bool(has and ack is None),
        "has_assignment": has,
        "text": DISCIPLINE,
        "duties": DUTIES,
    }


def acknowledge_discipline(actor: Actor) -> None:
    require(actor, "liaison", action="确认工作纪律")

    def tx(cur):
        if cur.execute(
            "SELECT 1 FROM liaison_discipline_ack WHERE user_id = ? AND version = ?",
            [actor.user_id, DISCIPLINE_VERSION],
        ).fetchone():
            raise StateError("您已确认过联络员工作纪律。")
        cur.execute(
            "INSERT INTO liaison_discipline_ack VALUES (?, ?, ?)", [actor.user_id, DISCIPLINE_VERSION, clock.now()]
        )
        audit.record(
            cur,
            actor,
            "acknowledge_discipline",
            "liaison_discipline",
            actor.user_id,
            after={"version": DISCIPLINE_VERSION},
        )

    get_db().write(tx)


def assignment_state(a: dict) -> str:
    """The state of a dispatched letter as the liaison's assignment
    (``workflows.LIAISON_ASSIGNMENT``), from its timestamps."""
    if a["recorded_at"] is None:
        return "待记录"
    signed, told = a["signed_at"] is not None, a["feedback_at"] is not None
    return "已签字并反馈" if signed and told else "已签字" if signed else "已反馈" if told else "已记录"


def my_assignments(actor: Actor) -> list[dict]:
    """The liaison's own assignments (newest review first)."""
    require(actor, "liaison", action="查看审查任务")
    rows = get_db().dicts(
        _LIST_SQL + " WHERE l.user_id = ? AND q.status = '已派员' ORDER BY r.review_date DESC, q.id DESC",
        [actor.user_id],
    )
    today = _today()
    for r in rows:
        r["state"] = letter_state(r, today)
        r["todo"] = assignment_todo(r, today)
    return rows


def assignment_todo(r: dict, today: date) -> str:
    """What the liaison still has to do on an assignment (matches reminders)."""
    if r["recorded_at"] is None:
        return (
            "待记录（已过审查日）"
            if r["review_date"] < today
            else ("今日审查" if r["review_date"] == today else "待参加")
        )
    if r["attended"] and r["signed_at"] is None and (r.get("has_report") or r.get("report_text")):
        return "待签字"
    if r["feedback_at"] is None:
        return "待反馈"
    return ""


def save_record(
    actor: Actor,
    request_id: int,
    *,
    attended: bool,
    record_text: str | None = None,
    suggestions: str | None = None,
    recommendation: str | None = None,
    applicant_info: str | None = None,
    absence_reason: str | None = None,
) -> None:
    """The liaison's 审查记录: attendance, record, suggestions, a recommendation
    on whether the review should pass, and the applicant's basic situation."""
    require(actor, "liaison", action="填写审查记录")
    attended = _bool(attended, "是否参加审查")
    if attended:
        record_text = v.text(record_text, "审查记录", max_len=5000, multiline=True)
        suggestions = v.text(suggestions, "意见建议", max_len=2000, multiline=True)
        recommendation = v.choice(recommendation, RECOMMENDATIONS, "是否通过审查的建议")
        applicant_info = v.text(applicant_info, "申请人基本情况", required=False, max_len=2000, multiline=True)
        absence_reason = None
    else:
        absence_reason = v.text(absence_reason, "未参加原因", max_len=500, multiline=True)
        record_text = suggestions = recommendation = applicant_info = None

    def tx(cur):
        a = _assignment(cur, actor, request_id, "填写审查记录")
        _require_ack(cur, actor)
        if a["review_date"] > _today():
            raise StateError(f"审查定于 {a['review_date'].isoformat()} 举行，审查当天起才能填写审查记录。")
        told = "审查信息已报送本部门，审查记录不能再修改。"
        workflows.check(
            workflows.LIAISON_ASSIGNMENT,
            "record",
            assignment_state(a),
            actor,
            refused={"已反馈": told, "已签字并反馈": told, "已签字": "您已在审查报告上签字，审查记录不能再修改。"},
        )
        if (
            not attended
            and cur.execute("SELECT count(*) FROM liaison_rectification WHERE request_id = ?", [request_id]).fetchone()[
                0
            ]
        ):
            raise StateError("本次审查已登记整改事项，不能改为未参加。")
        before = {
            k: a[k]
            for k in ("attended", "absence_reason", "record_text", "suggestions", "recommendation", "applicant_info")
        }
        cur.execute(
            "UPDATE liaison_request SET attended = ?, absence_reason = ?, record_text = ?,"
            " suggestions = ?, recommendation = ?, applicant_info = ?, recorded_at = ?"
            " WHERE id = ?",
            [
                attended,
                absence_reason,
                record_text,
                suggestions,
                recommendation,
                applicant_info,
                clock.now(),
                request_id,
            ],
        )
        audit.record(
            cur,
            actor,
            "record_review",
            "liaison_request",
            request_id,
            before=before if a["recorded_at"] is not None else None,
            after={
                "attended": attended,
                "absence_reason": absence_reason,
                "record_text": record_text,
                "suggestions": suggestions,
                "recommendation": recommendation,
                "applicant_info": applicant_info,
            },
        )

    get_db().write(tx)


def save_report(actor: Actor, review_id: int, text: str) -> None:
    """Draft or revise the review report (现场审查情况报告): the bureau, or a
    liaison who attended the review (协助整理).  Locked once signed."""
    require(actor, "approver", "liaison", action="整理审查报告")
    text = v.text(text, "审查报告", max_len=10000, multiline=True)

    def tx(cur):
        review = _review_row(cur, review_id)
        if not actor.has("approver"):
            ok = cur.execute(
                "SELECT count(*) FROM liaison_request q JOIN liaison l ON l.id = q.liaison_id"
                " WHERE q.review_id = ? AND l.user_id = ? AND q.status = '已派员' AND q.attended",
                [review_id, actor.user_id],
            ).fetchone()[0]
            if not ok:
                raise PermissionDenied("只有参加了本次审查并填写了审查记录的联络员才能协助整理审查报告。")
        signed = cur.execute(
            "SELECT count(*) FROM liaison_request WHERE review_id = ? AND signed_at IS NOT NULL", [review_id]
        ).fetchone()[0]
        if signed:
            raise StateError("审查报告已有联络员签字，不能再修改。")
        cur.execute(
            "UPDATE liaison_review SET report_text = ?, report_updated_by = ?, report_updated_at = ? WHERE id = ?",
            [text, actor.user_id, clock.now(), review_id],
        )
        audit.record(
            cur,
            actor,
            "update_report",
            "liaison_review",
            review_id,
            before={"report_text": review["report_text"]},
            after={"report_text": text},
        )

    get_db().write(tx)


def report_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sign_report(actor: Actor, request_id: int) -> None:
    """The liaison signs the review report: their account, the time and the
    hash of the text signed are recorded."""
    require(actor, "liaison", action="在审查报告上签字")

    def tx(cur):
        a = _assignment(cur, actor, request_id, "在审查报告上签字")
        _require_ack(cur, actor)
        absent = "您没有参加本次审查（或尚未填写参加审查的记录），不能在审查报告上签字。"

        def signed() -> str:
            return f"您已于 {a['signed_at']:%Y-%m-%d %H:%M} 在审查报告上签字。"

        if a["recorded_at"] is not None and not a["attended"]:  # recorded as absent
            raise StateError(absent)
        workflows.check(
            workflows.LIAISON_ASSIGNMENT,
            "sign_report",
            assignment_state(a),
            actor,
            refused={"待记录": absent, "已签字": signed, "已签字并反馈": signed},
        )
        if not a["report_text"]:
            raise StateError("审查报告尚未起草，暂不能签字。")
        now, h = clock.now(), report_hash(a["report_text"])
        cur.execute(
            "UPDATE liaison_request SET signed_by = ?, signed_at = ?, signed_hash = ? WHERE id = ?",
            [actor.user_id, now, h, request_id],
        )
        audit.record(
            cur,
            actor,
            "sign_report",
            "liaison_request",
            request_id,
            after={"review_id": a["review_id"], "report_sha256": h},
        )

    get_db().write(tx)


def submit_feedback(actor: Actor, request_id: int, summary: str) -> None:
    """反馈信息: at the end of the review the liaison reports what they
    collected to their own department (visible to its supervisors)."""
    require(actor, "liaison", action="向本部门反馈审查信息")
    summary = v.text(summary, "反馈内容", max_len=5000, multiline=True)

    def tx(cur):
        a = _assignment(cur, actor, request_id, "反馈审查信息")
        _require_ack(cur, actor)

        def told() -> str:
            return f"已于 {a['feedback_at']:%Y-%m-%d %H:%M} 向本部门反馈，不能重复反馈。"

        workflows.check(
            workflows.LIAISON_ASSIGNMENT,
            "feedback",
            assignment_state(a),
            actor,
            refused={"待记录": "请先填写审查记录，再向本部门反馈。", "已反馈": told, "已签字并反馈": told},
        )
        cur.execute(
            "UPDATE liaison_request SET feedback_text = ?, feedback_at = ? WHERE id = ?",
            [summary, clock.now(), request_id],
        )
        audit.record(
            cur,
            actor,
            "feedback",
            "liaison_request",
            request_id,
            after={"department_id": a["department_id"], "feedback_text": summary},
        )

    get_db().write(tx)


def department_feedback(actor: Actor) -> list[dict]:
    """Feedback received from the department's liaisons (leaders: all), newest
    first, each row with the letter's columns (those :func:`get_letter` reads;
    the page's table: ``ui.liaison_tables.feedback_table``)."""
    require(actor, "supervisor", "leader", "admin", action="查看联络员反馈")
    sql = _LETTER_SQL + " WHERE q.feedback_at IS NOT NULL"
    params: list = []
    # not policy.department_sql: an approver who is also a supervisor sees only
    # their department's feedback here (approvers alone may not call this)
    if not actor.sees_everything:
        sql += " AND q.department_id = ?"
        params.append(actor.department_id)
    return get_db().dicts(sql + " ORDER BY q.feedback_at DESC", params)
