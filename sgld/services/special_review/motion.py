"""The motion (动议): propose, resubmit, withdraw, and the bureau leader's
approval or sending back; checking a motion and its case / project."""

from __future__ import annotations

from datetime import date, datetime, time

from db.connection import get_db
from sgld import audit, clock
from sgld import validate as v
from sgld.errors import PermissionDenied, StateError, ValidationError
from sgld.security import Actor, require
from sgld.services.special_review._base import (
    DEFAULT_FORM,
    FORMS,
    PARTICIPANT_KINDS,
    S_NOTIFIED,
    S_PENDING,
    S_RETURNED,
    S_WITHDRAWN,
    SCOPES,
    _dept_rows,
    _need_manager,
    _need_status,
    _next_no,
    _row,
    is_bureau_leader,
)


def _resolve_subject(cur, case_no, project_no, project_name):
    """Validate the case / project the review is for.  Against the push
    feature's ``approval_case`` / ``project`` tables when they exist."""
    case_no = v.text(case_no, "办件编号", required=False, max_len=60)
    project_no = v.text(project_no, "项目编号", required=False, max_len=60)
    project_name = v.text(project_name, "项目名称", required=False, max_len=120)
    if not case_no and not project_no:
        raise ValidationError("请填写办件编号或项目编号：专项审查针对具体的审批办件或项目。", field="project_no")
    case_id = None
    if case_no:
        row = cur.execute("SELECT id, project_no FROM approval_case WHERE case_no = ?", [case_no]).fetchone()
        if row is None:
            raise ValidationError(f"办件编号“{case_no}”在审批办件中不存在。", field="case_no")
        case_id = row[0]
        if project_no and row[1] and row[1] != project_no:
            raise ValidationError(
                f"办件“{case_no}”属于项目“{row[1]}”，与所填项目编号“{project_no}”不一致。", field="project_no"
            )
        project_no = project_no or row[1]
    if project_no:
        row = cur.execute("SELECT name FROM project WHERE project_no = ?", [project_no]).fetchone()
        if row is None:
            raise ValidationError(f"项目编号“{project_no}”在项目库中不存在。", field="project_no")
        project_name = row[0]
    return case_id, case_no, project_no, project_name


# -- motion ---------------------------------------------------------------
def _check_motion(
    cur,
    *,
    title,
    scopes,
    forms,
    matters,
    meeting_at,
    place,
    department_ids,
    case_no,
    project_no,
    project_name,
    background,
    major,
    city_chair,
    invited_units,
) -> dict:
    title = v.text(title, "审查议题", max_len=200)
    scopes_in = list(scopes or [])
    for s in scopes_in:
        if s not in SCOPES:
            raise ValidationError(f"审查范围“{s}”无效，可选：{'、'.join(SCOPES)}。", field="scopes")
    scopes = [s for s in SCOPES if s in set(scopes_in)]
    if not scopes:
        raise ValidationError("请至少选择一项专项审查范围。", field="scopes")
    forms_in = list(forms or [])
    for f in forms_in:
        if f not in FORMS:
            raise ValidationError(f"审查形式“{f}”无效，可选：{'、'.join(FORMS)}。", field="forms")
    forms = [f for f in FORMS if f in set(forms_in)] or [DEFAULT_FORM]
    matters = v.text(matters, "需要协调解决的事项", max_len=4000, multiline=True)
    background = v.text(background, "项目基本情况", required=False, max_len=4000, multiline=True)
    place = v.text(place, "会议地点", max_len=120)
    if not isinstance(meeting_at, datetime):
        if isinstance(meeting_at, date):
            meeting_at = datetime.combine(meeting_at, time(9, 0))
        else:
            raise ValidationError("请填写拟定的审查会议时间。", field="meeting_at")
    if meeting_at <= clock.now():
        raise ValidationError(
            f"拟定的审查会议时间（{meeting_at:%Y-%m-%d %H:%M}）已过，请选择今后的日期和时间。", field="meeting_at"
        )
    major = bool(major)
    city_chair = bool(city_chair)
    invited_units = v.text(invited_units, "邀请的相关单位负责人", required=False, max_len=400)
    if (city_chair or invited_units) and not major:
        raise ValidationError(
            "只有特别重大、复杂的项目，才可报请市政府分管领导主持或邀请相关单位负责人参加。", field="major"
        )
    ids = v.id_list(department_ids or [], "参审部门")
    if not ids:
        raise ValidationError("请至少选择一个参审部门。", field="department_ids")
    found = dict(
        cur.execute(
            f"SELECT id, kind FROM department WHERE active AND id IN ({','.join('?' * len(ids))})", ids
        ).fetchall()
    )
    if len(found) != len(ids):
        raise ValidationError("所选参审部门不存在或已停用。", field="department_ids")
    if any(k not in PARTICIPANT_KINDS for k in found.values()):
        raise ValidationError("参审部门只能是行业主管（监管）部门或其他实施行政许可的部门。", field="department_ids")
    case_id, case_no, project_no, project_name = _resolve_subject(cur, case_no, project_no, project_name)
    return {
        "title": title,
        "scopes": scopes,
        "forms": forms,
        "matters": matters,
        "background": background,
        "meeting_at": meeting_at,
        "place": place,
        "major": major,
        "city_chair": city_chair,
        "invited_units": invited_units,
        "department_ids": ids,
        "case_id": case_id,
        "case_no": case_no,
        "project_no": project_no,
        "project_name": project_name,
    }


def propose(
    actor: Actor,
    *,
    title: str,
    scopes: list[str],
    matters: str,
    meeting_at: datetime,
    place: str,
    department_ids: list[int],
    forms: list[str] | None = None,
    case_no: str | None = None,
    project_no: str | None = None,
    project_name: str | None = None,
    background: str | None = None,
    major: bool = False,
    city_chair: bool = False,
    invited_units: str | None = None,
) -> int:
    """A business division's motion (动议); returns the new review's id (status 待审察)."""
    require(actor, "approver", action="发起专项审查动议")
    if actor.department_kind != "bureau":
        raise PermissionDenied("专项审查动议由市行政审批局各审批业务处室发起。")

    def tx(cur):
        m = _check_motion(
            cur,
            title=title,
            scopes=scopes,
            forms=forms,
            matters=matters,
            meeting_at=meeting_at,
            place=place,
            department_ids=department_ids,
            case_no=case_no,
            project_no=project_no,
            project_name=project_name,
            background=background,
            major=major,
            city_chair=city_chair,
            invited_units=invited_units,
        )
        now = clock.now()
        review_no = _next_no(cur, "review_no", "专审", now.year)
        rid = cur.execute(
            "INSERT INTO special_review (review_no, title, case_id, case_no, project_no,"
            " project_name, scopes, forms, background, matters, meeting_at, place, major,"
            " city_chair, invited_units, status, division_id, proposed_by, proposed_at,"
            " submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?) RETURNING id",
            [
                review_no,
                m["title"],
                m["case_id"],
                m["case_no"],
                m["project_no"],
                m["project_name"],
                m["scopes"],
                m["forms"],
                m["background"],
                m["matters"],
                m["meeting_at"],
                m["place"],
                m["major"],
                m["city_chair"],
                m["invited_units"],
                S_PENDING,
                actor.department_id,
                actor.user_id,
                now,
                now,
                now,
            ],
        ).fetchone()[0]
        cur.executemany(
            "INSERT INTO special_review_department (review_id, department_id) VALUES (?, ?)",
            [[rid, d] for d in m["department_ids"]],
        )
        audit.record(
            cur, actor, "propose", "special_review", rid, after={"review_no": review_no, "status": S_PENDING, **m}
        )
        return rid

    return get_db().write(tx)


def resubmit(actor: Actor, review_id: int, **fields) -> None:
    """Edit a motion that was sent back and submit it again (已退回 → 待审察).
    ``fields`` are those of :func:`propose`; omitted ones keep their value."""

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "修改并重新提交专项审查动议")
        _need_status(actor, r, "resubmit")
        depts = [d["department_id"] for d in _dept_rows(cur, r["id"])]
        current = {
            "title": r["title"],
            "scopes": list(r["scopes"]),
            "forms": list(r["forms"]),
            "matters": r["matters"],
            "meeting_at": r["meeting_at"],
            "place": r["place"],
            "department_ids": depts,
            "case_no": r["case_no"],
            "project_no": r["project_no"],
            "project_name": r["project_name"],
            "background": r["background"],
            "major": r["major"],
            "city_chair": r["city_chair"],
            "invited_units": r["invited_units"],
        }
        unknown = set(fields) - set(current)
        if unknown:
            raise ValidationError(f"未知的字段：{'、'.join(sorted(unknown))}。")
        m = _check_motion(cur, **(current | fields))
        now = clock.now()
        cur.execute(
            "UPDATE special_review SET title = ?, case_id = ?, case_no = ?, project_no = ?,"
            " project_name = ?, scopes = ?, forms = ?, background = ?, matters = ?,"
            " meeting_at = ?, place = ?, major = ?, city_chair = ?, invited_units = ?,"
            " status = ?, submitted_at = ?, updated_at = ? WHERE id = ?",
            [
                m["title"],
                m["case_id"],
                m["case_no"],
                m["project_no"],
                m["project_name"],
                m["scopes"],
                m["forms"],
                m["background"],
                m["matters"],
                m["meeting_at"],
                m["place"],
                m["major"],
                m["city_chair"],
                m["invited_units"],
                S_PENDING,
                now,
                now,
                r["id"],
            ],
        )
        cur.execute("DELETE FROM special_review_department WHERE review_id = ?", [r["id"]])
        cur.executemany(
            "INSERT INTO special_review_department (review_id, department_id) VALUES (?, ?)",
            [[r["id"], d] for d in m["department_ids"]],
        )
        audit.record(
            cur,
            actor,
            "resubmit",
            "special_review",
            r["id"],
            before={**current, "status": r["status"]},
            after={**m, "status": S_PENDING},
        )

    get_db().write(tx)


def withdraw(actor: Actor, review_id: int, reason: str) -> None:
    """The proposing division withdraws its motion (待审察/已退回 → 已撤回)."""
    reason = v.text(reason, "撤回原因", max_len=500)

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "撤回专项审查动议")
        _need_status(actor, r, "withdraw")
        cur.execute(
            "UPDATE special_review SET status = ?, approval_comment = ?, updated_at = ? WHERE id = ?",
            [S_WITHDRAWN, f"撤回：{reason}", clock.now(), r["id"]],
        )
        audit.record(
            cur,
            actor,
            "withdraw",
            "special_review",
            r["id"],
            before={"status": r["status"]},
            after={"status": S_WITHDRAWN, "reason": reason},
        )

    get_db().write(tx)


# -- approval (审察) -------------------------------------------------------
def _need_bureau_leader(actor: Actor, what: str) -> None:
    require(actor, "leader", action=what)
    if not is_bureau_leader(actor):
        raise PermissionDenied(f"您没有权限{what}：专项审查动议由市行政审批局分管领导审察。")


def approve(actor: Actor, review_id: int, comment: str | None = None) -> None:
    """The bureau's leader in charge approves the motion; the notice goes to
    every participating department (待审察 → 已通知)."""
    _need_bureau_leader(actor, "审察专项审查动议")
    comment = v.text(comment, "审察意见", required=False, max_len=1000, multiline=True)

    def tx(cur):
        r = _row(cur, review_id)
        _need_status(actor, r, "approve")
        if r["meeting_at"] <= clock.now():
            raise StateError(
                f"拟定的审查会议时间（{r['meeting_at']:%Y-%m-%d %H:%M}）已过，请退回经办处室修改会议时间。"
            )
        now = clock.now()
        cur.execute(
            "UPDATE special_review SET status = ?, approved_by = ?, approved_at = ?,"
            " approval_comment = ?, updated_at = ? WHERE id = ?",
            [S_NOTIFIED, actor.user_id, now, comment, now, r["id"]],
        )
        depts = [d["name"] for d in _dept_rows(cur, r["id"])]
        audit.record(
            cur,
            actor,
            "approve",
            "special_review",
            r["id"],
            before={"status": r["status"]},
            after={"status": S_NOTIFIED, "comment": comment, "notified": depts},
        )

    get_db().write(tx)


def send_back(actor: Actor, review_id: int, comment: str) -> None:
    """The leader in charge sends the motion back with a comment (待审察 → 已退回)."""
    _need_bureau_leader(actor, "退回专项审查动议")
    comment = v.text(comment, "退回意见", max_len=1000, multiline=True)

    def tx(cur):
        r = _row(cur, review_id)
        _need_status(actor, r, "send_back")
        now = clock.now()
        cur.execute(
            "UPDATE special_review SET status = ?, approved_by = ?, approved_at = ?,"
            " approval_comment = ?, updated_at = ? WHERE id = ?",
            [S_RETURNED, actor.user_id, now, comment, now, r["id"]],
        )
        audit.record(
            cur,
            actor,
            "send_back",
            "special_review",
            r["id"],
            before={"status": r["status"]},
            after={"status": S_RETURNED, "comment": comment},
        )

    get_db().write(tx)
