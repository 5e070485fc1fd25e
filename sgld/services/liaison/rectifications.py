"""Rectifications (整改事项) found in a review and the liaison's checks."""

from __future__ import annotations

from datetime import date

from db.connection import get_db
from sgld import audit, clock, policy, workdays, workflows
from sgld import validate as v
from sgld.errors import NotFound, StateError, ValidationError
from sgld.security import Actor, require
from sgld.services.liaison._base import (
    CHECK_RESULTS,
    DUE_SOON_WORKDAYS,
    READERS,
    _assignment,
    _bool,
    _require_ack,
    _today,
)


# -- rectifications -------------------------------------------------------
def rect_state(status: str, deadline: date, today: date, soon: date) -> str:
    if status == "已整改":
        return "已整改"
    if deadline < today:
        return "已逾期"
    if deadline <= soon:
        return "即将到期"
    return "整改中"


def _rects(where: str, params: list) -> list[dict]:
    rows = get_db().dicts(
        "SELECT x.id, x.request_id, x.review_id, x.department_id, d.name AS department,"
        " x.problem, x.requirement, x.hardware, x.deadline, x.status, x.created_at, x.closed_at,"
        " r.title, r.applicant, r.review_date, l.name AS liaison_name, l.user_id AS liaison_user_id,"
        " (SELECT count(*) FROM liaison_rect_check c WHERE c.rectification_id = x.id) AS checks,"
        " (SELECT max(c.checked_on) FROM liaison_rect_check c WHERE c.rectification_id = x.id)"
        "   AS last_check"
        " FROM liaison_rectification x JOIN liaison_review r ON r.id = x.review_id"
        " JOIN department d ON d.id = x.department_id"
        " JOIN liaison_request q ON q.id = x.request_id LEFT JOIN liaison l ON l.id = q.liaison_id"
        " WHERE 1=1" + where + " ORDER BY x.status DESC, x.deadline, x.id",
        params,
    )
    today = _today()
    soon = workdays.add_workdays(today, DUE_SOON_WORKDAYS)
    for r in rows:
        r["state"] = rect_state(r["status"], r["deadline"], today, soon)
    return rows


def list_rectifications(actor: Actor, *, state: str | tuple | None = None) -> list[dict]:
    """Liaison: items of their own assignments; supervisor: their department's;
    approver, leader, admin: all.  ``state``: one state or several."""
    require(actor, *READERS, action="查看整改事项")
    # a liaison sees their own assignments' items (the feature's rule, see letters._scope_sql)
    if policy.sees_all_departments(actor):
        rows = _rects("", [])
    elif actor.has("supervisor"):
        rows = _rects(" AND x.department_id = ?", [actor.department_id])
    else:
        rows = _rects(" AND l.user_id = ?", [actor.user_id])
    if state:
        states = {state} if isinstance(state, str) else set(state)
        rows = [r for r in rows if r["state"] in states]
    return rows


def add_rectification(
    actor: Actor, request_id: int, *, problem: str, deadline, hardware: bool, requirement: str | None = None
) -> int:
    """A problem found in the review becomes a rectification item for the
    applicant with a deadline (the attending liaison, or the bureau)."""
    require(actor, "liaison", "approver", action="登记整改事项")
    problem = v.text(problem, "存在问题", max_len=1000, multiline=True)
    requirement = v.text(requirement, "整改要求", required=False, max_len=1000, multiline=True)
    deadline = v.parse_date(deadline, "整改期限")
    hardware = _bool(hardware, "涉及硬件设施")

    def tx(cur):
        if actor.has("liaison") and not actor.has("approver"):
            a = _assignment(cur, actor, request_id, "登记整改事项")
            _require_ack(cur, actor)
        else:
            cur.execute(
                "SELECT q.*, r.review_date FROM liaison_request q JOIN liaison_review r"
                " ON r.id = q.review_id WHERE q.id = ?",
                [request_id],
            )
            cols = [d[0] for d in cur.description]
            row = cur.fetchone()
            if row is None:
                raise NotFound("审查任务不存在。")
            a = dict(zip(cols, row))
            if a["status"] != "已派员":
                raise StateError("该商请函尚未派员，整改事项须由参加审查的联络员跟踪。")
        if a["recorded_at"] is None or not a["attended"]:
            raise StateError("联络员尚未填写参加本次审查的记录，不能登记整改事项。")
        if deadline < a["review_date"] or deadline < _today():
            raise ValidationError(f"整改期限 {deadline.isoformat()} 不能早于审查日期和今天。", field="deadline")
        now = clock.now()
        rid = cur.execute(
            "INSERT INTO liaison_rectification (request_id, review_id, department_id, problem,"
            " requirement, hardware, deadline, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
            [
                request_id,
                a["review_id"],
                a["department_id"],
                problem,
                requirement,
                hardware,
                deadline,
                actor.user_id,
                now,
            ],
        ).fetchone()[0]
        audit.record(
            cur,
            actor,
            "create",
            "liaison_rectification",
            rid,
            after={
                "request_id": request_id,
                "problem": problem,
                "requirement": requirement,
                "hardware": hardware,
                "deadline": deadline,
            },
        )
        return rid

    return get_db().write(tx)


def check_rectification(
    actor: Actor, rectification_id: int, *, checked_on, site_visit: bool, result: str, note: str, new_deadline=None
) -> int:
    """The liaison records a check of a rectification.  ``已整改`` closes the
    item (hardware items only with a site visit); ``未整改`` keeps it open,
    optionally with a new deadline."""
    require(actor, "liaison", action="登记整改复查")
    checked_on = v.parse_date(checked_on, "复查日期", not_future=True)
    site_visit = _bool(site_visit, "赴现场检查")
    result = v.choice(result, CHECK_RESULTS, "复查结论")
    note = v.text(note, "现场检查情况" if site_visit else "复查情况", max_len=2000, multiline=True)
    new_deadline = v.parse_date(new_deadline, "新的整改期限", required=False)
    if result == "已整改" and new_deadline is not None:
        raise ValidationError("复查结论为“已整改”时无需填写新的整改期限。", field="new_deadline")

    def tx(cur):
        x = cur.execute(
            "SELECT request_id, status, hardware, deadline, created_at, closed_at"
            " FROM liaison_rectification WHERE id = ?",
            [rectification_id],
        ).fetchone()
        if x is None:
            raise NotFound("整改事项不存在。")
        request_id, status, hardware, deadline, created_at, closed_at = x
        _assignment(cur, actor, request_id, "复查该整改事项")
        _require_ack(cur, actor)
        workflows.check(
            workflows.RECTIFICATION,
            "check",
            status,
            actor,
            refused={"已整改": lambda: f"该整改事项已于 {closed_at:%Y-%m-%d} 复查通过并关闭，不能再登记复查。"},
        )
        if checked_on < created_at.date():
            raise ValidationError("复查日期不能早于整改事项登记日期。", field="checked_on")
        if result == "已整改" and hardware and not site_visit:
            raise ValidationError(
                "该整改事项涉及硬件设施，须赴现场检查后才能确认整改完成。请选择“赴现场检查”并填写现场检查情况。",
                field="site_visit",
            )
        if new_deadline is not None and new_deadline <= checked_on:
            raise ValidationError("新的整改期限应晚于复查日期。", field="new_deadline")
        now = clock.now()
        cid = cur.execute(
            "INSERT INTO liaison_rect_check (rectification_id, checked_on, site_visit, result, note,"
            " new_deadline, checked_by, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
            [rectification_id, checked_on, site_visit, result, note, new_deadline, actor.user_id, now],
        ).fetchone()[0]
        after = {"check_id": cid, "checked_on": checked_on, "site_visit": site_visit, "result": result, "note": note}
        if result == "已整改":
            cur.execute(
                "UPDATE liaison_rectification SET status = '已整改', closed_by = ?, closed_at = ? WHERE id = ?",
                [actor.user_id, now, rectification_id],
            )
            after["status"] = "已整改"
        elif new_deadline is not None:
            cur.execute("UPDATE liaison_rectification SET deadline = ? WHERE id = ?", [new_deadline, rectification_id])
            after["deadline"] = new_deadline
        audit.record(
            cur,
            actor,
            "check",
            "liaison_rectification",
            rectification_id,
            before={"status": status, "deadline": deadline},
            after=after,
        )
        return cid

    return get_db().write(tx)


def rectification_checks(actor: Actor, rectification_id: int) -> list[dict]:
    rows = [r for r in list_rectifications(actor) if r["id"] == rectification_id]
    if not rows:
        raise NotFound("整改事项不存在或不在您的查看范围内。")
    return get_db().dicts(
        "SELECT c.id, c.checked_on, c.site_visit, c.result, c.note, c.new_deadline,"
        " u.display_name AS checked_by, c.created_at FROM liaison_rect_check c"
        " LEFT JOIN app_user u ON u.id = c.checked_by WHERE c.rectification_id = ?"
        " ORDER BY c.checked_on, c.id",
        [rectification_id],
    )
