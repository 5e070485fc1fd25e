"""专项审查 (special review), attachment 2 of the notice.

Workflow and states (``special_review.status``): the table
``workflows.SPECIAL_REVIEW`` (drawn in docs/workflows.md) — a motion 待审察 is
approved (已通知) or sent back (已退回, resubmitted or withdrawn), the
meeting is held (已召开), the conclusion reaches consensus (已达成一致) or goes
to the city government (待市政府决定 → 市政府已决定), and the minutes are
issued (纪要已印发).

Roles (see DESIGN.md and the contracts of issue 6):

* ``approver`` of a business division proposes; approvers of the proposing
  division (or of the bureau itself) record the meeting, conclude, record the
  city government's decision and issue the minutes.  Every approver reads
  every review.
* the bureau's leader in charge (a ``leader`` of a department of kind
  ``bureau``) approves or sends back motions.
* the city government's leader in charge (a ``leader`` of the department of
  kind ``government``) may record the city government's decision.
* a participating department's ``supervisor`` (and ``liaison``, read only)
  sees the review once the notice is out, names who attends, and gives the
  department's opinion (in writing before the meeting, or — when absent with
  a reason — after it).
* other leaders and ``admin`` read everything and change nothing.

The deemed-agreement rule (工作要求): a department absent without reason, or
present without stating a different opinion, is recorded at conclusion as
同意 with ``basis = 视为同意``, ``deemed = TRUE`` and the reason; a department
absent with a reason must have given a written opinion first, otherwise the
conclusion is refused.

Following up (附件2 五): once the minutes are issued, the proposing division
(办理审批手续) and each participating department (做好监管工作) record what
they did (:func:`record_follow_up`); until then it is on their 处理提醒
(待落实会议决定), and the review's detail shows who has and has not.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import pandas as pd

from db.connection import get_db
from sgld import attachments, audit, clock, likes, policy, settings, workflows
from sgld import validate as v
from sgld.documents import Letter, cn_date, render
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.likes import ESC
from sgld.reminders import Reminder
from sgld.security import ROLES, Actor, require

# -- vocabularies ---------------------------------------------------------
SCOPES = ("国家安全", "生态环境保护", "安全生产", "重大生产力布局", "战略性资源开发",
          "重大公共利益", "其他需要集体研究的重要事项")
FORMS = ("专题会议", "专家评审", "现场检查")
DEFAULT_FORM = "专题会议"

S_PENDING, S_RETURNED, S_WITHDRAWN = "待审察", "已退回", "已撤回"
S_NOTIFIED, S_HELD = "已通知", "已召开"
S_AGREED, S_ESCALATED, S_DECIDED, S_ISSUED = "已达成一致", "待市政府决定", "市政府已决定", "纪要已印发"
STATUSES = (S_PENDING, S_RETURNED, S_WITHDRAWN, S_NOTIFIED, S_HELD, S_AGREED, S_ESCALATED,
            S_DECIDED, S_ISSUED)
# statuses in which the notice has gone out (participating departments see the review)
NOTIFIED = (S_NOTIFIED, S_HELD, S_AGREED, S_ESCALATED, S_DECIDED, S_ISSUED)
CONCLUDED = (S_AGREED, S_DECIDED, S_ISSUED)

PRESENT, ABSENT_REASON, ABSENT_NO_REASON = "出席", "缺席（有理由）", "无故缺席"
ATTENDANCE = (PRESENT, ABSENT_REASON, ABSENT_NO_REASON)
AGREE, DISAGREE, CONDITIONAL = "同意", "不同意", "有条件同意"
OPINIONS = (AGREE, DISAGREE, CONDITIONAL)
GOV_DECISIONS = (AGREE, DISAGREE, CONDITIONAL)
B_MEETING, B_WRITTEN, B_DEEMED = "会上发表", "书面意见", "视为同意"
DEEMED_ABSENT = "无故缺席"
DEEMED_SILENT = "出席会议未发表不同意见"
OUTCOME_AGREED, OUTCOME_ESCALATED = "达成一致", "报市政府决定"
# 附件2 五: the bureau 办理有关审批手续, each department 做好监管工作
FOLLOW_APPROVAL, FOLLOW_SUPERVISION = "办理审批手续", "做好监管工作"

DEEMED_RULE = ("参加专项审查的人员要能够代表本部门意见，对无故缺席或出席会议未发表不同意见的，"
               "均视为所在部门同意该项目。")

PARTICIPANT_KINDS = ("supervision", "licensing")
MINUTES_OWNER = "special_review_minutes"
WORKFLOW = workflows.SPECIAL_REVIEW  # the states and transitions (sgld/workflows.py)

_COLS = ("id, review_no, title, case_id, case_no, project_no, project_name, scopes, forms,"
         " background, matters, meeting_at, place, major, city_chair, invited_units, status,"
         " division_id, proposed_by, proposed_at, submitted_at, approved_by, approved_at,"
         " approval_comment, held_on, chair, presentation, expert_opinions, site_findings,"
         " meeting_by, meeting_recorded_at, outcome, conclusion, concluded_by, concluded_at,"
         " gov_decision, gov_decision_text, gov_decided_on, gov_decision_by, gov_recorded_at,"
         " minutes_no, minutes_attachment_id, minutes_issued_by, minutes_issued_at, updated_at")
_COL_NAMES = [c.strip() for c in _COLS.split(",")]


# -- who is who -----------------------------------------------------------
def is_bureau_leader(actor: Actor) -> bool:
    return actor.has("leader") and actor.department_kind == "bureau"


def is_city_leader(actor: Actor) -> bool:
    return actor.has("leader") and actor.department_kind == "government"


def _dept_reader(actor: Actor) -> bool:
    """Supervisors and liaisons read their own department's reviews only."""
    return not policy.sees_all_departments(actor) and actor.has("supervisor", "liaison")


def department_scoped(actor: Actor) -> bool:
    """True when the actor sees only the reviews their department takes part in."""
    return _dept_reader(actor)


def _manages(cur, actor: Actor, review: dict) -> bool:
    """Approvers of the proposing division, or of the bureau above it."""
    if not actor.has("approver"):
        return False
    if actor.department_id == review["division_id"]:
        return True
    parent = cur.execute("SELECT parent_id FROM department WHERE id = ?",
                         [review["division_id"]]).fetchone()
    return bool(parent and parent[0] == actor.department_id)


# -- loading --------------------------------------------------------------
def _row(cur, review_id) -> dict:
    try:
        rid = int(review_id)
    except (TypeError, ValueError):
        raise NotFound("专项审查不存在。") from None
    row = cur.execute(f"SELECT {_COLS} FROM special_review WHERE id = ?", [rid]).fetchone()
    if row is None:
        raise NotFound("专项审查不存在。")
    return dict(zip(_COL_NAMES, row))


def _dept_rows(cur, review_id: int) -> list[dict]:
    cur.execute(
        "SELECT x.department_id, d.name, d.kind, x.attendees, x.attendees_at, x.attendance,"
        " x.absence_reason, x.opinion, x.opinion_text, x.basis, x.deemed, x.deemed_reason,"
        " x.opinion_at, u.display_name AS opinion_by_name"
        " FROM special_review_department x JOIN department d ON d.id = x.department_id"
        " LEFT JOIN app_user u ON u.id = x.opinion_by"
        " WHERE x.review_id = ? ORDER BY d.kind DESC, d.id", [review_id])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _check_visible(actor: Actor, review: dict, dept_ids) -> None:
    require(actor, *ROLES, action="查看专项审查")
    if policy.sees_all_departments(actor):
        return
    if actor.has("supervisor", "liaison") and actor.department_id in dept_ids \
            and review["status"] in NOTIFIED:
        return
    raise NotFound("专项审查不存在，或您所在部门未参加该专项审查。")


def _need_status(actor: Actor, review: dict, action: str,
                 refused: Mapping[str, str] | None = None) -> None:
    """The state rule of ``action`` (the table ``workflows.SPECIAL_REVIEW``)."""
    workflows.check(WORKFLOW, action, review["status"], actor,
                    subject=f"专项审查“{review['review_no']}”", refused=refused)


def _need_manager(cur, actor: Actor, review: dict, what: str) -> None:
    require(actor, "approver", action=what)
    if not _manages(cur, actor, review):
        div = cur.execute("SELECT name FROM department WHERE id = ?",
                          [review["division_id"]]).fetchone()
        raise PermissionDenied(f"您没有权限{what}：该专项审查由{div[0] if div else '其他处室'}发起，"
                               "只能由该处室的经办人办理。")


def opinion_label(d: dict) -> str:
    """A department's opinion as the record states it."""
    if not d.get("opinion"):
        return "未发表意见"
    text = d["opinion"]
    if d.get("deemed"):
        return f"视为同意（{d.get('deemed_reason')}）"
    said = _sentence(d.get("opinion_text") or "")
    if said and d["opinion"] != AGREE:
        text += f"：{said}"
    elif said:
        text += f"（{said}）"
    return text


# -- case / project -------------------------------------------------------
def _has_table(cur, name: str) -> bool:
    return cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [name]).fetchone()[0] > 0


def _resolve_subject(cur, case_no, project_no, project_name):
    """Validate the case / project the review is for.  Against the push
    feature's ``approval_case`` / ``project`` tables when they exist."""
    case_no = v.text(case_no, "办件编号", required=False, max_len=60)
    project_no = v.text(project_no, "项目编号", required=False, max_len=60)
    project_name = v.text(project_name, "项目名称", required=False, max_len=120)
    if not case_no and not project_no:
        raise ValidationError("请填写办件编号或项目编号：专项审查针对具体的审批办件或项目。",
                              field="project_no")
    case_id = None
    if case_no and _has_table(cur, "approval_case"):
        row = cur.execute("SELECT id, project_no FROM approval_case WHERE case_no = ?",
                          [case_no]).fetchone()
        if row is None:
            raise ValidationError(f"办件编号“{case_no}”在审批办件中不存在。", field="case_no")
        case_id = row[0]
        if project_no and row[1] and row[1] != project_no:
            raise ValidationError(f"办件“{case_no}”属于项目“{row[1]}”，与所填项目编号“{project_no}”不一致。",
                                  field="project_no")
        project_no = project_no or row[1]
    if project_no and _has_table(cur, "project"):
        row = cur.execute("SELECT name FROM project WHERE project_no = ?", [project_no]).fetchone()
        if row is None:
            raise ValidationError(f"项目编号“{project_no}”在项目库中不存在。", field="project_no")
        project_name = row[0]
    return case_id, case_no, project_no, project_name


# -- motion ---------------------------------------------------------------
def _check_motion(cur, *, title, scopes, forms, matters, meeting_at, place, department_ids,
                  case_no, project_no, project_name, background, major, city_chair,
                  invited_units) -> dict:
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
        raise ValidationError(f"拟定的审查会议时间（{meeting_at:%Y-%m-%d %H:%M}）已过，"
                              "请选择今后的日期和时间。", field="meeting_at")
    major = bool(major)
    city_chair = bool(city_chair)
    invited_units = v.text(invited_units, "邀请的相关单位负责人", required=False, max_len=400)
    if (city_chair or invited_units) and not major:
        raise ValidationError("只有特别重大、复杂的项目，才可报请市政府分管领导主持或邀请相关单位负责人参加。",
                              field="major")
    ids = v.id_list(department_ids or [], "参审部门")
    if not ids:
        raise ValidationError("请至少选择一个参审部门。", field="department_ids")
    found = dict(cur.execute(
        f"SELECT id, kind FROM department WHERE active AND id IN ({','.join('?' * len(ids))})",
        ids).fetchall())
    if len(found) != len(ids):
        raise ValidationError("所选参审部门不存在或已停用。", field="department_ids")
    if any(k not in PARTICIPANT_KINDS for k in found.values()):
        raise ValidationError("参审部门只能是行业主管（监管）部门或其他实施行政许可的部门。",
                              field="department_ids")
    case_id, case_no, project_no, project_name = _resolve_subject(cur, case_no, project_no,
                                                                  project_name)
    return {"title": title, "scopes": scopes, "forms": forms, "matters": matters,
            "background": background, "meeting_at": meeting_at, "place": place, "major": major,
            "city_chair": city_chair, "invited_units": invited_units, "department_ids": ids,
            "case_id": case_id, "case_no": case_no, "project_no": project_no,
            "project_name": project_name}


def _next_no(cur, column: str, prefix: str, year: int) -> str:
    head = f"{prefix}〔{year}〕"
    n = cur.execute(f"SELECT count(*) FROM special_review WHERE {column} LIKE ?",
                    [head + "%"]).fetchone()[0]
    while True:
        n += 1
        candidate = f"{head}{n}号"
        if not cur.execute(f"SELECT 1 FROM special_review WHERE {column} = ?",
                           [candidate]).fetchone():
            return candidate


def propose(actor: Actor, *, title: str, scopes: list[str], matters: str, meeting_at: datetime,
            place: str, department_ids: list[int], forms: list[str] | None = None,
            case_no: str | None = None, project_no: str | None = None,
            project_name: str | None = None, background: str | None = None, major: bool = False,
            city_chair: bool = False, invited_units: str | None = None) -> int:
    """A business division's motion (动议); returns the new review's id (status 待审察)."""
    require(actor, "approver", action="发起专项审查动议")
    if actor.department_kind != "bureau":
        raise PermissionDenied("专项审查动议由市行政审批局各审批业务处室发起。")

    def tx(cur):
        m = _check_motion(cur, title=title, scopes=scopes, forms=forms, matters=matters,
                          meeting_at=meeting_at, place=place, department_ids=department_ids,
                          case_no=case_no, project_no=project_no, project_name=project_name,
                          background=background, major=major, city_chair=city_chair,
                          invited_units=invited_units)
        now = clock.now()
        review_no = _next_no(cur, "review_no", "专审", now.year)
        rid = cur.execute(
            "INSERT INTO special_review (review_no, title, case_id, case_no, project_no,"
            " project_name, scopes, forms, background, matters, meeting_at, place, major,"
            " city_chair, invited_units, status, division_id, proposed_by, proposed_at,"
            " submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?) RETURNING id",
            [review_no, m["title"], m["case_id"], m["case_no"], m["project_no"],
             m["project_name"], m["scopes"], m["forms"], m["background"], m["matters"],
             m["meeting_at"], m["place"], m["major"], m["city_chair"], m["invited_units"],
             S_PENDING, actor.department_id, actor.user_id, now, now, now]).fetchone()[0]
        cur.executemany("INSERT INTO special_review_department (review_id, department_id)"
                        " VALUES (?, ?)", [[rid, d] for d in m["department_ids"]])
        audit.record(cur, actor, "propose", "special_review", rid,
                     after={"review_no": review_no, "status": S_PENDING, **m})
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
        current = {"title": r["title"], "scopes": list(r["scopes"]), "forms": list(r["forms"]),
                   "matters": r["matters"], "meeting_at": r["meeting_at"], "place": r["place"],
                   "department_ids": depts, "case_no": r["case_no"], "project_no": r["project_no"],
                   "project_name": r["project_name"], "background": r["background"],
                   "major": r["major"], "city_chair": r["city_chair"],
                   "invited_units": r["invited_units"]}
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
            [m["title"], m["case_id"], m["case_no"], m["project_no"], m["project_name"],
             m["scopes"], m["forms"], m["background"], m["matters"], m["meeting_at"],
             m["place"], m["major"], m["city_chair"], m["invited_units"], S_PENDING, now, now,
             r["id"]])
        cur.execute("DELETE FROM special_review_department WHERE review_id = ?", [r["id"]])
        cur.executemany("INSERT INTO special_review_department (review_id, department_id)"
                        " VALUES (?, ?)", [[r["id"], d] for d in m["department_ids"]])
        audit.record(cur, actor, "resubmit", "special_review", r["id"],
                     before={**current, "status": r["status"]}, after={**m, "status": S_PENDING})
    get_db().write(tx)


def withdraw(actor: Actor, review_id: int, reason: str) -> None:
    """The proposing division withdraws its motion (待审察/已退回 → 已撤回)."""
    reason = v.text(reason, "撤回原因", max_len=500)

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "撤回专项审查动议")
        _need_status(actor, r, "withdraw")
        cur.execute("UPDATE special_review SET status = ?, approval_comment = ?, updated_at = ?"
                    " WHERE id = ?", [S_WITHDRAWN, f"撤回：{reason}", clock.now(), r["id"]])
        audit.record(cur, actor, "withdraw", "special_review", r["id"],
                     before={"status": r["status"]}, after={"status": S_WITHDRAWN,
                                                            "reason": reason})
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
            raise StateError(f"拟定的审查会议时间（{r['meeting_at']:%Y-%m-%d %H:%M}）已过，"
                             "请退回经办处室修改会议时间。")
        now = clock.now()
        cur.execute("UPDATE special_review SET status = ?, approved_by = ?, approved_at = ?,"
                    " approval_comment = ?, updated_at = ? WHERE id = ?",
                    [S_NOTIFIED, actor.user_id, now, comment, now, r["id"]])
        depts = [d["name"] for d in _dept_rows(cur, r["id"])]
        audit.record(cur, actor, "approve", "special_review", r["id"],
                     before={"status": r["status"]},
                     after={"status": S_NOTIFIED, "comment": comment, "notified": depts})
    get_db().write(tx)


def send_back(actor: Actor, review_id: int, comment: str) -> None:
    """The leader in charge sends the motion back with a comment (待审察 → 已退回)."""
    _need_bureau_leader(actor, "退回专项审查动议")
    comment = v.text(comment, "退回意见", max_len=1000, multiline=True)

    def tx(cur):
        r = _row(cur, review_id)
        _need_status(actor, r, "send_back")
        now = clock.now()
        cur.execute("UPDATE special_review SET status = ?, approved_by = ?, approved_at = ?,"
                    " approval_comment = ?, updated_at = ? WHERE id = ?",
                    [S_RETURNED, actor.user_id, now, comment, now, r["id"]])
        audit.record(cur, actor, "send_back", "special_review", r["id"],
                     before={"status": r["status"]}, after={"status": S_RETURNED,
                                                            "comment": comment})
    get_db().write(tx)


# -- participating departments ---------------------------------------------
def _own_dept_row(cur, actor: Actor, r: dict, what: str) -> dict:
    require(actor, "supervisor", action=what)
    for d in _dept_rows(cur, r["id"]):
        if d["department_id"] == actor.department_id:
            return d
    raise PermissionDenied(f"您所在部门（{actor.department_name}）未被邀请参加专项审查"
                           f"“{r['review_no']}”，不能{what}。")


def name_attendees(actor: Actor, review_id: int, attendees: str) -> None:
    """A participating department answers the notice with who attends."""
    attendees = v.text(attendees, "参会人员", max_len=200)

    def tx(cur):
        r = _row(cur, review_id)
        d = _own_dept_row(cur, actor, r, "确认参会人员")
        _need_status(actor, r, "name_attendees")
        now = clock.now()
        cur.execute("UPDATE special_review_department SET attendees = ?, attendees_by = ?,"
                    " attendees_at = ? WHERE review_id = ? AND department_id = ?",
                    [attendees, actor.user_id, now, r["id"], actor.department_id])
        audit.record(cur, actor, "name_attendees", "special_review", r["id"],
                     before={"department": actor.department_name, "attendees": d["attendees"]},
                     after={"department": actor.department_name, "attendees": attendees})
    get_db().write(tx)


def _check_opinion(opinion, text, who: str = "") -> tuple[str, str | None]:
    opinion = v.choice(opinion, OPINIONS, f"{who}意见")
    text = v.text(text, f"{who}意见说明", required=False, max_len=2000, multiline=True)
    if opinion == DISAGREE and not text:
        raise ValidationError(f"{who}意见为“不同意”，请写明理由。", field="opinion_text")
    if opinion == CONDITIONAL and not text:
        raise ValidationError(f"{who}意见为“有条件同意”，请写明条件。", field="opinion_text")
    return opinion, text


def submit_opinion(actor: Actor, review_id: int, opinion: str, text: str | None = None) -> None:
    """The department's written opinion (书面意见): before the meeting, or
    after it when the department was absent with a reason."""
    opinion, text = _check_opinion(opinion, text)

    def tx(cur):
        r = _row(cur, review_id)
        d = _own_dept_row(cur, actor, r, "提交本部门意见")
        _need_status(actor, r, "submit_opinion")
        if r["status"] == S_HELD and d["attendance"] != ABSENT_REASON:
            raise StateError("审查会议已召开：出席会议的部门以会上发表的意见为准，无故缺席的部门视为同意；"
                             "会后只有有理由缺席的部门可以提交书面意见。")
        now = clock.now()
        cur.execute("UPDATE special_review_department SET opinion = ?, opinion_text = ?,"
                    " basis = ?, deemed = FALSE, deemed_reason = NULL, opinion_by = ?,"
                    " opinion_at = ? WHERE review_id = ? AND department_id = ?",
                    [opinion, text, B_WRITTEN, actor.user_id, now, r["id"], actor.department_id])
        audit.record(cur, actor, "submit_opinion", "special_review", r["id"],
                     before={"department": actor.department_name, "opinion": d["opinion"],
                             "opinion_text": d["opinion_text"]},
                     after={"department": actor.department_name, "opinion": opinion,
                            "opinion_text": text, "basis": B_WRITTEN})
    get_db().write(tx)


# -- meeting --------------------------------------------------------------
def record_meeting(actor: Actor, review_id: int, *, held_on: date, chair: str,
                   presentation: str, departments: dict, expert_opinions: str | None = None,
                   site_findings: str | None = None, start_time: time | None = None) -> None:
    """Record the meeting (已通知 → 已召开; may be corrected while 已召开).

    ``departments`` maps each participating department id to
    ``{"attendance": 出席|缺席（有理由）|无故缺席, "absence_reason": str,
    "attendees": str, "opinion": None|同意|不同意|有条件同意, "opinion_text": str}``.
    ``opinion`` None for a present department means it stated no different
    opinion (视为同意 at conclusion, unless it gave a written opinion).

    A meeting is recorded only once it has begun: its start (``held_on``
    at ``start_time``; without a time, on the scheduled day, the scheduled
    time) must not be later than ``clock.now()``."""
    held_on = v.parse_date(held_on, "会议召开日期", not_future=True)
    if start_time is not None and not isinstance(start_time, time):
        raise ValidationError("“会议开始时间”不是有效时间。", field="start_time")
    chair = v.text(chair, "主持人", max_len=60)
    if chair in BARE_CHAIR_TITLES:
        raise ValidationError("请填写实际主持会议人员的职务和姓名，如“市行政审批局分管领导张三”。",
                              field="chair")
    presentation = v.text(presentation, "经办人情况说明", max_len=4000, multiline=True)
    expert_opinions = v.text(expert_opinions, "专家评审意见", required=False, max_len=4000,
                             multiline=True)
    site_findings = v.text(site_findings, "现场检查情况", required=False, max_len=4000,
                           multiline=True)
    if not isinstance(departments, dict):
        raise ValidationError("请录入各参审部门的出席情况。")

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "录入专项审查会议情况")
        _need_status(actor, r, "record_meeting")
        at = start_time or (r["meeting_at"].time() if held_on == r["meeting_at"].date() else None)
        now = clock.now()
        if at is not None and datetime.combine(held_on, at) > now:
            raise ValidationError(
                f"会议开始时间为 {held_on:%Y-%m-%d} {at:%H:%M}，现在是 {now:%Y-%m-%d %H:%M}："
                "会议召开后才能录入会议情况。", field="held_on")
        if r["approved_at"] and held_on < r["approved_at"].date():
            raise ValidationError("会议召开日期不能早于动议审察同意的日期"
                                  f"（{r['approved_at']:%Y-%m-%d}）。", field="held_on")
        if "专家评审" in r["forms"] and not expert_opinions:
            raise ValidationError("本次审查包含专家评审，请录入专家评审意见。", field="expert_opinions")
        if "现场检查" in r["forms"] and not site_findings:
            raise ValidationError("本次审查包含现场检查，请录入现场检查情况。", field="site_findings")
        rows = {d["department_id"]: d for d in _dept_rows(cur, r["id"])}
        try:
            given = {int(k): (val or {}) for k, val in departments.items()}
        except (TypeError, ValueError):
            raise ValidationError("参审部门无效。") from None
        extra = [k for k in given if k not in rows]
        if extra:
            names = dict(cur.execute(
                f"SELECT id, name FROM department WHERE id IN ({','.join('?' * len(extra))})",
                extra).fetchall())
            shown = "、".join(names.get(k, f"编号 {k}") for k in extra)
            raise ValidationError(f"{shown}未被邀请参加本次专项审查，不能录入其出席情况或意见。",
                                  field="departments")
        missing = [rows[k]["name"] for k in rows if k not in given]
        if missing:
            raise ValidationError(f"请录入{'、'.join(missing)}的出席情况。", field="departments")
        updates = []
        for dept_id, e in given.items():
            d = rows[dept_id]
            name = d["name"]
            att = v.choice(e.get("attendance"), ATTENDANCE, f"{name}出席情况")
            reason = v.text(e.get("absence_reason"), f"{name}缺席理由", required=False,
                            max_len=500)
            attendees = v.text(e.get("attendees"), f"{name}出席人员", required=False,
                               max_len=200) or d["attendees"]
            op = e.get("opinion") or None
            op_text = None
            if att == ABSENT_REASON and not reason:
                raise ValidationError(f"{name}缺席（有理由），请填写缺席理由。", field="absence_reason")
            if att != ABSENT_REASON:
                reason = None
            if att == PRESENT and not attendees:
                raise ValidationError(f"{name}出席会议，请填写出席人员。", field="attendees")
            if att != PRESENT:
                attendees = None
                if op:
                    raise ValidationError(f"{name}未出席会议，不能录入会上意见；有理由缺席的部门应提交书面意见。",
                                          field="opinion")
            if op:
                op, op_text = _check_opinion(op, e.get("opinion_text"), name)
            if att == ABSENT_NO_REASON and d["basis"] == B_WRITTEN:
                raise ValidationError(f"{name}已提交书面意见，不属于无故缺席，请选择“缺席（有理由）”并填写理由。",
                                      field="attendance")
            if op:  # stated at the meeting: replaces any written opinion
                opinion = (op, op_text, B_MEETING, actor.user_id)
            elif d["basis"] == B_WRITTEN and att != ABSENT_NO_REASON:
                opinion = (d["opinion"], d["opinion_text"], B_WRITTEN, None)  # kept
            else:
                opinion = (None, None, None, None)
            updates.append((dept_id, att, reason, attendees, opinion))
        now = clock.now()
        before = {"status": r["status"], "departments": {
            rows[k]["name"]: {"attendance": rows[k]["attendance"], "opinion": rows[k]["opinion"],
                              "basis": rows[k]["basis"]} for k in rows}}
        after_depts = {}
        for dept_id, att, reason, attendees, (op, op_text, basis, by) in updates:
            if basis == B_WRITTEN:
                cur.execute("UPDATE special_review_department SET attendance = ?,"
                            " absence_reason = ?, attendees = ?, deemed = FALSE,"
                            " deemed_reason = NULL WHERE review_id = ? AND department_id = ?",
                            [att, reason, attendees, r["id"], dept_id])
            else:
                cur.execute("UPDATE special_review_department SET attendance = ?,"
                            " absence_reason = ?, attendees = ?, opinion = ?, opinion_text = ?,"
                            " basis = ?, deemed = FALSE, deemed_reason = NULL, opinion_by = ?,"
                            " opinion_at = ? WHERE review_id = ? AND department_id = ?",
                            [att, reason, attendees, op, op_text, basis, by,
                             now if op else None, r["id"], dept_id])
            after_depts[rows[dept_id]["name"]] = {"attendance": att, "absence_reason": reason,
                                                  "attendees": attendees, "opinion": op,
                                                  "opinion_text": op_text, "basis": basis}
        cur.execute("UPDATE special_review SET status = ?, held_on = ?, chair = ?,"
                    " presentation = ?, expert_opinions = ?, site_findings = ?, meeting_by = ?,"
                    " meeting_recorded_at = ?, updated_at = ? WHERE id = ?",
                    [S_HELD, held_on, chair, presentation, expert_opinions, site_findings,
                     actor.user_id, now, now, r["id"]])
        audit.record(cur, actor, "record_meeting", "special_review", r["id"], before=before,
                     after={"status": S_HELD, "held_on": held_on,
                            "start_time": at.strftime("%H:%M") if at else None, "chair": chair,
                            "presentation": presentation, "expert_opinions": expert_opinions,
                            "site_findings": site_findings, "departments": after_depts})
    get_db().write(tx)


def evaluate(departments: list[dict]) -> dict:
    """Apply the deemed-agreement rule to the recorded departments (pure).

    Returns ``{"missing": [names absent with reason and no written opinion],
    "unrecorded": [names without attendance], "deemed": [(name, reason)],
    "dissent": [names], "conditional": [names], "outcome": 达成一致 | 报市政府决定
    | None}`` — outcome None while something is missing."""
    missing, unrecorded, deemed, dissent, conditional = [], [], [], [], []
    for d in departments:
        name = d["name"]
        if not d.get("attendance"):
            unrecorded.append(name)
        elif d["attendance"] == ABSENT_NO_REASON:
            deemed.append((name, DEEMED_ABSENT))
        elif d["attendance"] == ABSENT_REASON and not d.get("opinion"):
            missing.append(name)
        elif d["attendance"] == PRESENT and not d.get("opinion"):
            deemed.append((name, DEEMED_SILENT))
        elif d.get("deemed"):
            deemed.append((name, d.get("deemed_reason")))
        elif d.get("opinion") == DISAGREE:
            dissent.append(name)
        elif d.get("opinion") == CONDITIONAL:
            conditional.append(name)
    outcome = None
    if not missing and not unrecorded:
        outcome = OUTCOME_ESCALATED if dissent else OUTCOME_AGREED
    return {"missing": missing, "unrecorded": unrecorded, "deemed": deemed, "dissent": dissent,
            "conditional": conditional, "outcome": outcome}


def conclude(actor: Actor, review_id: int, text: str) -> str:
    """Form the review's conclusion (已召开 → 已达成一致 | 待市政府决定).

    The deemed-agreement rule is applied and written into each department's
    record.  With consensus ``text`` is the agreed review opinion; otherwise it
    is the recommendation submitted to the city government.  Returns the
    outcome (达成一致 / 报市政府决定)."""
    text = v.text(text, "审查意见或建议", max_len=4000, multiline=True)

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "形成专项审查结论")
        _need_status(actor, r, "conclude")
        depts = _dept_rows(cur, r["id"])
        ev = evaluate(depts)
        if ev["unrecorded"]:
            raise ValidationError(f"{'、'.join(ev['unrecorded'])}的出席情况尚未录入，不能形成审查结论。")
        if ev["missing"]:
            raise ValidationError(f"{'、'.join(ev['missing'])}有理由缺席会议，尚未提交书面意见，"
                                  "不能形成审查结论。请待其提交书面意见后再形成结论。")
        now = clock.now()
        for d in depts:
            reason = (DEEMED_ABSENT if d["attendance"] == ABSENT_NO_REASON else
                      DEEMED_SILENT if d["attendance"] == PRESENT and not d["opinion"] else None)
            if reason:
                cur.execute("UPDATE special_review_department SET opinion = ?, opinion_text = NULL,"
                            " basis = ?, deemed = TRUE, deemed_reason = ?, opinion_by = NULL,"
                            " opinion_at = ? WHERE review_id = ? AND department_id = ?",
                            [AGREE, B_DEEMED, reason, now, r["id"], d["department_id"]])
        status = S_ESCALATED if ev["outcome"] == OUTCOME_ESCALATED else S_AGREED
        cur.execute("UPDATE special_review SET status = ?, outcome = ?, conclusion = ?,"
                    " concluded_by = ?, concluded_at = ?, updated_at = ? WHERE id = ?",
                    [status, ev["outcome"], text, actor.user_id, now, now, r["id"]])
        audit.record(cur, actor, "conclude", "special_review", r["id"],
                     before={"status": r["status"]},
                     after={"status": status, "outcome": ev["outcome"], "conclusion": text,
                            "deemed": [f"{n}：视为同意（{why}）" for n, why in ev["deemed"]],
                            "dissent": ev["dissent"]})
        return ev["outcome"]
    return get_db().write(tx)


def record_government_decision(actor: Actor, review_id: int, decision: str, text: str,
                               decided_on: date) -> None:
    """The city government's decision on an escalated review (待市政府决定 →
    市政府已决定), recorded by the proposing division or by the city
    government's leader in charge."""
    decision = v.choice(decision, GOV_DECISIONS, "市政府决定")
    text = v.text(text, "市政府决定内容", max_len=4000, multiline=True)
    decided_on = v.parse_date(decided_on, "决定日期", not_future=True)

    def tx(cur):
        r = _row(cur, review_id)
        if not is_city_leader(actor):
            _need_manager(cur, actor, r, "录入市政府决定")
        _need_status(actor, r, "record_decision")
        if r["concluded_at"] and decided_on < r["concluded_at"].date():
            raise ValidationError("市政府决定日期不能早于提请市政府决定的日期"
                                  f"（{r['concluded_at']:%Y-%m-%d}）。", field="decided_on")
        now = clock.now()
        cur.execute("UPDATE special_review SET status = ?, gov_decision = ?,"
                    " gov_decision_text = ?, gov_decided_on = ?, gov_decision_by = ?,"
                    " gov_recorded_at = ?, updated_at = ? WHERE id = ?",
                    [S_DECIDED, decision, text, decided_on, actor.user_id, now, now, r["id"]])
        audit.record(cur, actor, "government_decision", "special_review", r["id"],
                     before={"status": r["status"]},
                     after={"status": S_DECIDED, "decision": decision, "text": text,
                            "decided_on": decided_on})
    get_db().write(tx)


# -- documents ------------------------------------------------------------
def _names(cur, *user_ids) -> dict:
    ids = [u for u in user_ids if u is not None]
    if not ids:
        return {}
    return dict(cur.execute(f"SELECT id, display_name FROM app_user WHERE id IN "
                            f"({','.join('?' * len(ids))})", ids).fetchall())


def _subject(r: dict) -> str:
    """The case/project the review is about, e.g. 项目“X”，项目编号 P1；办件编号 C1.
    Empty parts are left out; "" when there is nothing to say."""
    parts = []
    if r["project_no"]:
        name = (r["project_name"] or "").strip()
        name = name if name and name not in (r["title"], topic(r["title"])) else ""
        parts.append((f"项目“{name}”，" if name else "") + f"项目编号 {r['project_no']}")
    if r["case_no"]:
        parts.append(f"办件编号 {r['case_no']}")
    return "；".join(parts)


def _about(r: dict) -> str:
    """（subject） after the topic, or nothing when there is no subject."""
    s = _subject(r)
    return f"（{s}）" if s else ""


def topic(title: str) -> str:
    """The motion's 议题 without a trailing 专项审查 (the documents append
    专项审查… themselves: no 专项审查专项审查)."""
    t = (title or "").strip()
    while t.endswith("专项审查") and len(t) > len("专项审查"):
        t = t[: -len("专项审查")].rstrip()
    return t


def _sentence(text: str) -> str:
    """Text without its own closing punctuation, so a 。 can follow it."""
    return (text or "").strip().rstrip("。；;，,.")


def _chair_label(r: dict) -> str:
    """Who is to chair, as planned: the 市政府分管领导 only as asked to (the
    tick is a request; who actually chaired is recorded with the meeting)."""
    return "报请市政府分管领导主持" if r["city_chair"] else "市行政审批局分管领导主持"


# a title alone does not say who chaired (issue 16 item 5: the minutes state
# who actually did what)
BARE_CHAIR_TITLES = {"市政府分管领导", "市行政审批局分管领导", "分管领导", "市政府领导", "局领导",
                     "领导", "报请市政府分管领导主持", "市行政审批局分管领导主持"}


def _approver_label(cur, r: dict) -> str:
    """Who approved the motion, from the recorded approver (approved_by), not
    from the motion's 市政府分管领导主持 tick: e.g. 市行政审批局分管领导张三."""
    row = cur.execute("SELECT u.display_name, d.kind, d.name FROM app_user u"
                      " JOIN department d ON d.id = u.department_id WHERE u.id = ?",
                      [r["approved_by"]]).fetchone() if r["approved_by"] is not None else None
    if row is None:
        return "分管领导"
    name, kind, dept_name = row
    unit = "市行政审批局" if kind == "bureau" else "市政府" if kind == "government" else dept_name
    return f"{unit}分管领导{name}"


def _contact_note(cur, user_id) -> str | None:
    """（联系人：name，联系电话：phone） from the contact's user record; the
    phone falls back to SGLD_CONTACT_PHONE (the bureau's office number)."""
    row = cur.execute("SELECT display_name, phone FROM app_user WHERE id = ?",
                      [user_id]).fetchone() if user_id is not None else None
    name = (row[0] or "").strip() if row else ""
    phone = ((row[1] or "").strip() if row else "") or settings.get().get("CONTACT_PHONE").strip()
    if not name and not phone:
        return None
    parts = ([f"联系人：{name}"] if name else []) + ([f"联系电话：{phone}"] if phone else [])
    return "（" + "，".join(parts) + "）"


def _notice_letter(cur, r: dict, depts: list[dict]) -> Letter:
    cfg = settings.get()
    m = r["meeting_at"]
    body = [
        f"根据《{cfg.city.rstrip('市')}市相对集中许可权事项专项审查制度（试行）》，经{_approver_label(cur, r)}审察同意，"
        f"定于{cn_date(m.date())}{m:%H:%M}在{r['place']}召开专项审查会议"
        + ("，并报请市政府分管领导主持会议" if r["city_chair"] else "") + "。现将有关事项通知如下：",
        f"{_sentence(r['title'])}{_about(r)}。",
        f"审查范围：{'、'.join(r['scopes'])}；审查形式：{'、'.join(r['forms'])}。",
        r["matters"],
        "请各参审部门于会议召开前在审管联动系统中确认参会人员，并可提前提交书面意见。"
        "因故不能出席的，应在会前说明理由并提交书面意见。" + DEEMED_RULE,
    ]
    headings = {1: "一、审查议题", 2: "二、审查范围和形式", 3: "三、需要协调解决的事项",
                4: "四、参会要求"}
    if r["background"]:
        body.insert(2, r["background"])
        headings = {1: "一、审查议题", 2: "二、项目基本情况", 3: "三、审查范围和形式",
                    4: "四、需要协调解决的事项", 5: "五、参会要求"}
    if r["invited_units"]:
        body.append(f"特邀参加：{r['invited_units']}。")
    table = [["参审部门", "参会人员（部门回复）"]] + [[d["name"], d["attendees"] or "待回复"]
                                                for d in depts]
    return Letter(issuer=cfg.bureau_name, title=f"关于召开{topic(r['title'])}专项审查会议的通知",
                  body=body, issued_on=(r["approved_at"] or clock.now()).date(),
                  addressee="、".join(d["name"] for d in depts), doc_no=r["review_no"],
                  headings=headings, table=table,
                  signer_note=_contact_note(cur, r["proposed_by"]))


def _minutes_letter(cur, r: dict, depts: list[dict]) -> Letter:
    cfg = settings.get()
    present = [d for d in depts if d["attendance"] == PRESENT]
    absent = [d for d in depts if d["attendance"] != PRESENT]
    held = r["held_on"] or r["meeting_at"].date()
    body: list[str] = []
    headings: dict[int, str] = {}

    def section(title: str, *paras: str):
        headings[len(body)] = title
        body.extend(paras)

    body.append(f"{cn_date(held)}，{r['chair']}在{r['place']}主持召开专项审查会议，对{topic(r['title'])}"
                f"{_about(r)}进行专项审查。"
                + (f"{'、'.join(d['name'] for d in present)}等部门参加会议。" if present else "")
                + "现将会议议定事项纪要如下：")
    n = iter("一二三四五六七八九十")
    section(f"{next(n)}、审查事项",
            f"审查范围：{'、'.join(r['scopes'])}；审查形式：{'、'.join(r['forms'])}。", r["matters"])
    section(f"{next(n)}、项目审批情况说明", r["presentation"] or "")
    att = [d["name"] + (f"：{d['attendees']}" if (d["attendees"] or "").strip() else "")
           for d in present]
    att += [f"{d['name']}：{d['attendance']}" + (f"（{d['absence_reason']}）"
                                                 if d["absence_reason"] else "") for d in absent]
    if r["invited_units"]:
        att.append(f"特邀参加：{r['invited_units']}")
    section(f"{next(n)}、出席情况", "\n".join(att))
    if r["expert_opinions"]:
        section(f"{next(n)}、专家评审意见", r["expert_opinions"])
    if r["site_findings"]:
        section(f"{next(n)}、现场检查情况", r["site_findings"])
    ops = [f"（{i}）{d['name']}{'（书面意见）' if d['basis'] == B_WRITTEN else ''}："
           f"{_sentence(opinion_label(d))}。" for i, d in enumerate(depts, 1)]
    deemed = [d["name"] for d in depts if d["deemed"]]
    if deemed:
        ops.append(f"按照专项审查制度“{DEEMED_RULE}”的规定，{'、'.join(deemed)}视为同意。")
    section(f"{next(n)}、各参审部门意见", "\n".join(ops))
    if r["outcome"] == OUTCOME_AGREED:
        section(f"{next(n)}、审查结论", f"经充分协商，各参审部门达成一致意见：{r['conclusion']}")
    else:
        concl = [f"会议未能达成一致意见，形成如下建议报市政府决定：{r['conclusion']}"]
        if r["gov_decision"]:
            concl.append(f"{cn_date(r['gov_decided_on'])}，市政府决定：{r['gov_decision']}。"
                         f"{r['gov_decision_text']}")
        section(f"{next(n)}、审查结论及市政府决定", *concl)
    section(f"{next(n)}、工作要求",
            "本纪要作为审批与监管的依据之一。市行政审批局和各行业主管部门要认真落实会议决定，"
            "分别办理有关审批手续和做好监管工作。")
    table = [["参审部门", "出席情况", "意见", "意见形式"]] + [
        [d["name"], d["attendance"] or "", opinion_label(d), d["basis"] or ""] for d in depts]
    distribution = [cfg.bureau_name] + [d["name"] for d in depts]
    if r["city_chair"] or r["outcome"] == OUTCOME_ESCALATED:
        distribution.insert(0, "市人民政府")
    issued = (r["minutes_issued_at"] or clock.now()).date()
    return Letter(issuer=cfg.bureau_name, title=f"{topic(r['title'])}专项审查会议纪要", body=body,
                  issued_on=issued, doc_no=r["minutes_no"], headings=headings, table=table,
                  copy_to="、".join(distribution), copy_label="分送")


def _minutes_bytes(cur, r: dict) -> bytes:
    return render(_minutes_letter(cur, r, _dept_rows(cur, r["id"])))


def issue_minutes(actor: Actor, review_id: int) -> str:
    """Generate and issue the minutes (已达成一致 | 市政府已决定 → 纪要已印发).
    The .docx is stored and distributed to the bureau and every participating
    department.  Returns the minutes number."""
    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "印发专项审查纪要")
        not_yet = (f"专项审查“{r['review_no']}”尚未形成审查结论（达成一致或市政府决定），"
                   f"当前状态为“{r['status']}”，不能印发纪要。")
        _need_status(actor, r, "issue_minutes", refused={
            **dict.fromkeys(STATUSES, not_yet),
            S_ISSUED: f"专项审查“{r['review_no']}”的纪要已印发（{r['minutes_no']}）。"})
        now = clock.now()
        r["minutes_no"] = _next_no(cur, "minutes_no", "专审纪要", now.year)
        r["minutes_issued_at"] = now
        data = _minutes_bytes(cur, r)
        f = attachments.generated(_minutes_name(r), data)
        aid = attachments.attach(cur, actor, MINUTES_OWNER, r["id"], f)
        cur.execute("UPDATE special_review SET status = ?, minutes_no = ?,"
                    " minutes_attachment_id = ?, minutes_issued_by = ?, minutes_issued_at = ?,"
                    " updated_at = ? WHERE id = ?",
                    [S_ISSUED, r["minutes_no"], aid, actor.user_id, now, now, r["id"]])
        audit.record(cur, actor, "issue_minutes", "special_review", r["id"],
                     before={"status": r["status"]},
                     after={"status": S_ISSUED, "minutes_no": r["minutes_no"],
                            "attachment_id": aid, "sha256": f.sha256})
        return r["minutes_no"]
    return get_db().write(tx)


# -- following up the decision (附件2 五) ----------------------------------------
def _follow_up_rows(cur, r: dict, depts: list[dict]) -> list[dict]:
    """Every party that carries out the decision — the proposing division
    (办理审批手续) and each participating department (做好监管工作) — with what
    it recorded (``done`` False while it has not)."""
    parties = [(r["division_id"], FOLLOW_APPROVAL)] + [
        (d["department_id"], FOLLOW_SUPERVISION) for d in depts]
    cur.execute("SELECT f.department_id, f.text, f.done_on, u.display_name, f.recorded_at"
                " FROM special_review_follow_up f LEFT JOIN app_user u ON u.id = f.recorded_by"
                " WHERE f.review_id = ?", [r["id"]])
    recorded = {row[0]: row for row in cur.fetchall()}
    ids = [p[0] for p in parties]
    names = dict(cur.execute(f"SELECT id, name FROM department WHERE id IN ({','.join('?' * len(ids))})",
                             ids).fetchall())
    out = []
    for did, kind in parties:
        f = recorded.get(did)
        out.append({"department_id": did, "name": names.get(did, ""), "kind": kind,
                    "done": f is not None, "text": f[1] if f else None,
                    "done_on": f[2] if f else None, "recorded_by_name": f[3] if f else None,
                    "recorded_at": f[4] if f else None})
    return out


def _follow_up_party(cur, actor: Actor, r: dict, depts: list[dict]) -> tuple[int, str] | None:
    """The party the actor records for: the proposing division (its approvers,
    or the bureau's) or the actor's own participating department (its
    supervisors); None when they are neither."""
    if _manages(cur, actor, r):
        return r["division_id"], FOLLOW_APPROVAL
    if actor.has("supervisor") and actor.department_id in {d["department_id"] for d in depts}:
        return actor.department_id, FOLLOW_SUPERVISION
    return None


def record_follow_up(actor: Actor, review_id: int, text: str, done_on=None) -> None:
    """Record how the actor's side carried out the decision of an issued
    review (附件2 五): the proposing division's approvers the approval
    procedure, a participating department's supervisors the supervision
    work.  Recording again corrects the entry (before/after audited)."""
    require(actor, "approver", "supervisor", action="登记落实会议决定情况")
    text = v.text(text, "落实情况", max_len=2000, multiline=True)
    done_on = v.parse_date(clock.today() if done_on is None else done_on, "落实日期",
                           not_future=True)

    def tx(cur):
        r = _row(cur, review_id)
        depts = _dept_rows(cur, r["id"])
        _check_visible(actor, r, [d["department_id"] for d in depts])
        party = _follow_up_party(cur, actor, r, depts)
        if party is None:
            raise PermissionDenied("只有发起处室的经办人和参审部门的监管人员才能登记落实会议决定的情况。")
        _need_status(actor, r, "follow_up", refused=dict.fromkeys(
            STATUSES, f"专项审查“{r['review_no']}”的纪要尚未印发（当前状态为“{r['status']}”），"
                      "纪要印发后才能登记落实情况。"))
        if done_on < r["minutes_issued_at"].date():
            raise ValidationError(f"落实日期不能早于纪要印发日期（{r['minutes_issued_at']:%Y-%m-%d}）。",
                                  field="done_on")
        dept_id, kind = party
        old = cur.execute("SELECT id, text, done_on FROM special_review_follow_up"
                          " WHERE review_id = ? AND department_id = ?",
                          [r["id"], dept_id]).fetchone()
        now = clock.now()
        if old is None:
            cur.execute("INSERT INTO special_review_follow_up (review_id, department_id, kind, text,"
                        " done_on, recorded_by, recorded_at) VALUES (?,?,?,?,?,?,?)",
                        [r["id"], dept_id, kind, text, done_on, actor.user_id, now])
        else:
            cur.execute("UPDATE special_review_follow_up SET text = ?, done_on = ?, recorded_by = ?,"
                        " recorded_at = ? WHERE id = ?", [text, done_on, actor.user_id, now, old[0]])
        name = cur.execute("SELECT name FROM department WHERE id = ?", [dept_id]).fetchone()[0]
        audit.record(cur, actor, "follow_up", "special_review", r["id"],
                     before={"department": name, "text": old[1], "done_on": old[2]} if old else None,
                     after={"department": name, "kind": kind, "text": text, "done_on": done_on})
    get_db().write(tx)


def _safe_file_name(s: str) -> str:
    return "".join(c for c in s if c not in '\\/:*?"<>|')[:80]


def notice_docx(actor: Actor, review_id: int) -> tuple[str, bytes]:
    """The notice to the participating departments as .docx: (file name, bytes)."""
    with get_db().cursor() as cur:
        r = _row(cur, review_id)
        depts = _dept_rows(cur, r["id"])
        _check_visible(actor, r, [d["department_id"] for d in depts])
        if r["status"] not in NOTIFIED:
            raise StateError("动议尚未经分管领导审察同意，通知尚未发出。")
        data = render(_notice_letter(cur, r, depts))
    return _notice_name(r), data


def _notice_name(r: dict) -> str:
    return _safe_file_name(f"{r['review_no']}专项审查通知") + ".docx"


def _minutes_name(r: dict) -> str:
    return _safe_file_name(f"{r['minutes_no']}{topic(r['title'])}专项审查会议纪要") + ".docx"


def minutes_docx(actor: Actor, review_id: int) -> tuple[str, bytes]:
    """The issued minutes as .docx: (file name, bytes)."""
    with get_db().cursor() as cur:
        r = _row(cur, review_id)
        depts = _dept_rows(cur, r["id"])
        _check_visible(actor, r, [d["department_id"] for d in depts])
        if r["status"] != S_ISSUED:
            raise StateError("纪要尚未印发。")
        name = _minutes_name(r)
        if r["minutes_attachment_id"] is None:  # imported / demo records: render from the record
            return name, _minutes_bytes(cur, r)
    _, data = attachments.read(r["minutes_attachment_id"])
    return name, data


# -- reading --------------------------------------------------------------
def allowed_actions(actor: Actor, review: dict, departments: list[dict]) -> set[str]:
    """What ``actor`` may do on the review now (the page shows these): the
    actions the table allows in this state for the actor's roles, narrowed to
    the parties who take them (the proposing division, the leaders in
    charge, a participating department)."""
    st = review["status"]
    can = workflows.allowed(WORKFLOW, st, actor)
    with get_db().cursor() as cur:
        manages = _manages(cur, actor, review)
    out: set[str] = set()
    if manages:
        out |= can & {"resubmit", "withdraw", "record_meeting", "conclude", "record_decision",
                      "issue_minutes", "follow_up"}
    if is_bureau_leader(actor):
        out |= can & {"approve", "send_back"}
    if is_city_leader(actor):
        out |= can & {"record_decision"}
    if actor.has("supervisor"):
        own = next((d for d in departments if d["department_id"] == actor.department_id), None)
        if own is not None:
            out |= can & {"name_attendees", "follow_up"}
            # after the meeting only a department absent with a reason writes its opinion
            if "submit_opinion" in can and (st != S_HELD or own["attendance"] == ABSENT_REASON):
                out.add("submit_opinion")
    # the documents (reads, not transitions)
    if st in NOTIFIED:
        out.add("notice")
    if st == S_ISSUED:
        out.add("minutes")
    return out


def get_review(actor: Actor, review_id: int) -> dict:
    """One review with its departments (stable read API, also used by the
    liaison feature).  Keys include: id, review_no, title (the agenda), scopes,
    forms, meeting_at, meeting_date, place, status, departments (list of
    dicts: department_id, name, attendees, attendance, opinion, …), case_id,
    case_no, project_no, project_name, matters, outcome, minutes_no,
    ``actions`` (what the actor may do now)."""
    with get_db().cursor() as cur:
        r = _row(cur, review_id)
        depts = _dept_rows(cur, r["id"])
        _check_visible(actor, r, [d["department_id"] for d in depts])
        users = _names(cur, r["proposed_by"], r["approved_by"], r["meeting_by"],
                       r["concluded_by"], r["gov_decision_by"], r["minutes_issued_by"])
        div = cur.execute("SELECT name FROM department WHERE id = ?",
                          [r["division_id"]]).fetchone()
        r["follow_ups"] = _follow_up_rows(cur, r, depts) if r["status"] == S_ISSUED else []
        party = _follow_up_party(cur, actor, r, depts)
        r["follow_up_party"] = party[0] if party else None
    r["scopes"], r["forms"] = list(r["scopes"]), list(r["forms"])
    r["meeting_date"] = r["meeting_at"].date()
    r["agenda"] = r["title"]
    r["division"] = div[0] if div else ""
    for key in ("proposed_by", "approved_by", "meeting_by", "concluded_by", "gov_decision_by",
                "minutes_issued_by"):
        r[f"{key}_name"] = users.get(r[key])
    r["chair_level"] = _chair_label(r)
    for d in depts:
        d["opinion_label"] = opinion_label(d)
    r["departments"] = depts
    r["evaluation"] = evaluate(depts) if r["status"] == S_HELD else None
    r["actions"] = allowed_actions(actor, r, depts)
    r["notice_file"] = _notice_name(r)
    r["minutes_file"] = _minutes_name(r) if r["minutes_no"] else None
    return r


def _filters_sql(actor: Actor, scope=None, form=None, status=None, department_id=None,
                 date_from=None, date_to=None, text=None, division_id=None,
                 case_id=None, project_no=None) -> tuple[str, list]:
    where, params = ["1=1"], []
    if _dept_reader(actor):
        where.append("r.status IN (" + ",".join("?" * len(NOTIFIED)) + ")")
        params += list(NOTIFIED)
        where.append("EXISTS (SELECT 1 FROM special_review_department x WHERE x.review_id = r.id"
                     " AND x.department_id = ?)")
        params.append(actor.department_id)
    elif not policy.sees_all_departments(actor):
        where.append("FALSE")
    if scope:
        where.append("list_contains(r.scopes, ?)")
        params.append(scope)
    if form:
        where.append("list_contains(r.forms, ?)")
        params.append(form)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        where.append("r.status IN (" + ",".join("?" * len(statuses)) + ")")
        params += statuses
    if department_id:
        where.append("EXISTS (SELECT 1 FROM special_review_department x WHERE x.review_id = r.id"
                     " AND x.department_id = ?)")
        params.append(int(department_id))
    if division_id:
        where.append("r.division_id = ?")
        params.append(int(division_id))
    if date_from:
        where.append("r.meeting_at >= ?")
        params.append(datetime.combine(date_from, time.min))
    if date_to:
        where.append("r.meeting_at <= ?")
        params.append(datetime.combine(date_to, time.max))
    if case_id is not None:
        where.append("r.case_id = ?")
        params.append(int(case_id))
    if project_no:
        where.append("r.project_no = ?")
        params.append(project_no)
    if text and str(text).strip():
        q = likes.contains(str(text).strip())
        where.append(f"(r.title LIKE ?{ESC} OR r.review_no LIKE ?{ESC}"
                     f" OR coalesce(r.project_no, '') LIKE ?{ESC}"
                     f" OR coalesce(r.project_name, '') LIKE ?{ESC}"
                     f" OR coalesce(r.case_no, '') LIKE ?{ESC})")
        params += [q] * 5
    return " AND ".join(where), params


def list_reviews(actor: Actor, *, scope: str | None = None, form: str | None = None,
                 status: str | list[str] | None = None, department_id: int | None = None,
                 date_from: date | None = None, date_to: date | None = None,
                 text: str | None = None, division_id: int | None = None,
                 case_id: int | None = None, project_no: str | None = None,
                 limit: int | None = None) -> list[dict]:
    """Reviews the actor may see, newest meeting first (stable read API).
    Each dict: id, review_no, title, scopes, forms, meeting_at, meeting_date,
    place, status, outcome, division, departments (names), department_ids,
    case_id, case_no, project_no, project_name, minutes_no, and for a
    supervisor their own department's attendees / opinion."""
    require(actor, *ROLES, action="查看专项审查")
    where, params = _filters_sql(actor, scope, form, status, department_id, date_from, date_to,
                                 text, division_id, case_id, project_no)
    own = actor.department_id
    sql = (
        "SELECT r.id, r.review_no, r.title, r.scopes, r.forms, r.meeting_at,"
        " CAST(r.meeting_at AS DATE) AS meeting_date, r.place, r.status, r.outcome, r.major,"
        " r.city_chair, dv.name AS division, r.case_id, r.case_no, r.project_no, r.project_name,"
        " r.minutes_no, r.minutes_issued_at, r.submitted_at, r.held_on,"
        " x.departments, x.department_ids, x.replied, x.dept_count,"
        " o.attendees AS own_attendees, o.opinion AS own_opinion, o.basis AS own_basis,"
        " o.deemed AS own_deemed, o.attendance AS own_attendance"
        " FROM special_review r JOIN department dv ON dv.id = r.division_id"
        " JOIN (SELECT x.review_id, list(d.name ORDER BY d.id) AS departments,"
        "       list(d.id ORDER BY d.id) AS department_ids,"
        "       count(x.attendees_at) AS replied, count(*) AS dept_count"
        "       FROM special_review_department x JOIN department d ON d.id = x.department_id"
        "       GROUP BY x.review_id) x ON x.review_id = r.id"
        " LEFT JOIN special_review_department o ON o.review_id = r.id AND o.department_id = ?"
        f" WHERE {where} ORDER BY r.meeting_at DESC, r.id DESC")
    params = [own] + params
    if limit:
        sql += " LIMIT ?"
        params.append(int(limit))
    return get_db().dicts(sql, params)


def list_frame(actor: Actor, **filters) -> pd.DataFrame:
    """The list as a DataFrame with Chinese headers (``id`` kept for selection);
    formatted in SQL and fetched column-wise, so thousands of rows stay fast."""
    require(actor, *ROLES, action="查看专项审查")
    where, params = _filters_sql(actor, **filters)
    notified = ",".join(f"'{x}'" for x in NOTIFIED)
    own_cols = ""
    if _dept_reader(actor):
        own_cols = (", coalesce(o.attendees, '待回复') AS 本部门参会人员,"
                    " CASE WHEN o.deemed THEN '视为同意' ELSE coalesce(o.opinion, '未提交') END"
                    " AS 本部门意见")
    sql = (
        "SELECT r.id, r.review_no AS 编号, r.title AS 审查议题, r.status AS 状态,"
        " r.meeting_at AS 会议时间, r.place AS 地点,"
        " array_to_string(r.scopes, '、') AS 审查范围, array_to_string(r.forms, '、') AS 审查形式,"
        " x.departments AS 参审部门, dv.name AS 发起处室, r.project_no AS 项目编号,"
        " r.project_name AS 项目名称, r.case_no AS 办件编号, r.outcome AS 审查结论,"
        " r.minutes_no AS 纪要编号,"
        f" CASE WHEN r.status IN ({notified}) THEN x.replied || '/' || x.dept_count ELSE '—' END"
        f" AS 通知回复,"
        f" CASE WHEN r.status = '{S_ISSUED}' THEN (SELECT count(*) FROM special_review_follow_up f"
        f"  WHERE f.review_id = r.id) || '/' || (x.dept_count + 1) ELSE '—' END AS 落实情况{own_cols}"
        " FROM special_review r JOIN department dv ON dv.id = r.division_id"
        " JOIN (SELECT x.review_id, string_agg(d.name, '、' ORDER BY d.id) AS departments,"
        "       count(x.attendees_at) AS replied, count(*) AS dept_count"
        "       FROM special_review_department x JOIN department d ON d.id = x.department_id"
        "       GROUP BY x.review_id) x ON x.review_id = r.id"
        " LEFT JOIN special_review_department o ON o.review_id = r.id AND o.department_id = ?"
        f" WHERE {where} ORDER BY r.meeting_at DESC, r.id DESC")
    return get_db().df(sql, [actor.department_id] + params)


def _week(today: date) -> tuple[date, date]:
    start = today - timedelta(days=today.weekday())
    return start, start + timedelta(days=6)


def statistics(actor: Actor, **filters) -> dict[str, pd.DataFrame]:
    """分类统计: by scope × outcome, by status, by form, by month."""
    require(actor, *ROLES, action="查看专项审查统计")
    where, params = _filters_sql(actor, **filters)
    db = get_db()
    outcome_case = ("CASE WHEN r.outcome = '达成一致' THEN '达成一致'"
                    " WHEN r.outcome = '报市政府决定' THEN '报市政府决定'"
                    " WHEN r.status = '已撤回' THEN '已撤回' ELSE '进行中' END")
    by_scope = db.df(
        f"SELECT s.scope AS 审查范围, count(*) AS 合计,"
        f" count(*) FILTER (WHERE o = '达成一致') AS 达成一致,"
        f" count(*) FILTER (WHERE o = '报市政府决定') AS 报市政府决定,"
        f" count(*) FILTER (WHERE o = '进行中') AS 进行中,"
        f" count(*) FILTER (WHERE o = '已撤回') AS 已撤回"
        f" FROM (SELECT unnest(r.scopes) AS scope, {outcome_case} AS o FROM special_review r"
        f" WHERE {where}) s GROUP BY s.scope", params)
    order = {s: i for i, s in enumerate(SCOPES)}
    by_scope = by_scope.sort_values("审查范围", key=lambda c: c.map(order)).reset_index(drop=True)
    by_status = db.df(f"SELECT r.status AS 状态, count(*) AS 数量 FROM special_review r"
                      f" WHERE {where} GROUP BY r.status", params)
    sorder = {s: i for i, s in enumerate(STATUSES)}
    by_status = by_status.sort_values("状态", key=lambda c: c.map(sorder)).reset_index(drop=True)
    by_form = db.df(f"SELECT f.form AS 审查形式, count(*) AS 数量 FROM (SELECT unnest(r.forms)"
                    f" AS form FROM special_review r WHERE {where}) f GROUP BY f.form", params)
    forder = {s: i for i, s in enumerate(FORMS)}
    by_form = by_form.sort_values("审查形式", key=lambda c: c.map(forder)).reset_index(drop=True)
    by_outcome = db.df(f"SELECT {outcome_case} AS 审查结论, count(*) AS 数量 FROM special_review r"
                       f" WHERE {where} GROUP BY 1 ORDER BY 2 DESC", params)
    by_month = db.df(f"SELECT strftime(r.meeting_at, '%Y-%m') AS 月份, count(*) AS 数量"
                     f" FROM special_review r WHERE {where} GROUP BY 1 ORDER BY 1", params)
    deemed = db.df(
        f"SELECT d.name AS 部门, count(*) AS 参审次数,"
        f" count(*) FILTER (WHERE x.opinion = '不同意') AS 不同意,"
        f" count(*) FILTER (WHERE x.opinion = '有条件同意') AS 有条件同意,"
        f" count(*) FILTER (WHERE x.deemed) AS 视为同意,"
        f" count(*) FILTER (WHERE x.attendance = '无故缺席') AS 无故缺席"
        f" FROM special_review r JOIN special_review_department x ON x.review_id = r.id"
        f" JOIN department d ON d.id = x.department_id WHERE {where} AND r.status IN"
        f" ({','.join('?' * len(NOTIFIED))}) GROUP BY d.name ORDER BY 2 DESC, 1",
        params + list(NOTIFIED))
    return {"by_scope": by_scope, "by_status": by_status, "by_form": by_form,
            "by_outcome": by_outcome, "by_month": by_month, "by_department": deemed}


def participant_options(actor: Actor) -> list[dict]:
    """Departments that can be invited (supervision and other licensing departments)."""
    require(actor, *ROLES, action="查看部门")
    return get_db().dicts("SELECT id, name, kind FROM department WHERE active AND kind IN"
                          " ('supervision', 'licensing') ORDER BY kind DESC, id")


# -- links for the case archive and the project library -------------------
def _minutes_links(where: str, value, actor: Actor | None) -> list[dict]:
    sql = ("SELECT r.id AS review_id, r.review_no, r.title, r.minutes_no, r.minutes_issued_at,"
           " r.minutes_attachment_id, r.outcome, r.case_id, r.project_no FROM special_review r"
           f" WHERE r.status = '{S_ISSUED}' AND {where}")
    params = [value]
    if actor is not None:
        extra, p = _filters_sql(actor)
        sql += f" AND {extra}"
        params += p
    return get_db().dicts(sql + " ORDER BY r.minutes_issued_at", params)


def minutes_for_case(case_id: int, actor: Actor | None = None) -> list[dict]:
    """Issued minutes of reviews about this case (the case archive links them;
    download with :func:`minutes_docx`).  With ``actor`` only those they may see."""
    return _minutes_links("r.case_id = ?", int(case_id), actor)


def minutes_for_project(project_no: str, actor: Actor | None = None) -> list[dict]:
    """Issued minutes of reviews about this project (the project library links them)."""
    return _minutes_links("r.project_no = ?", str(project_no), actor)


# -- reminders ------------------------------------------------------------
def reminder_lists(actor: Actor) -> dict[str, dict]:
    """Each reminder's list filter (kind -> {label, status, …}); the page
    shows the same lists the reminders count."""
    today = clock.today()
    _, wk1 = _week(today)
    out: dict[str, dict] = {}
    if is_bureau_leader(actor):
        out["review_pending"] = {"label": "待审察动议", "status": [S_PENDING]}
    if is_city_leader(actor):
        out["review_escalated"] = {"label": "待市政府决定", "status": [S_ESCALATED]}
    if actor.has("supervisor"):
        out["review_notice_unanswered"] = {"label": "待回复通知", "status": [S_NOTIFIED],
                                           "unanswered": True}
        out["review_this_week"] = {"label": "本周审查会议", "status": [S_NOTIFIED],
                                   "date_from": today, "date_to": wk1}
        out["review_written_opinion"] = {"label": "待提交书面意见", "status": [S_HELD],
                                         "absent_reason": True}
        out["review_follow_up"] = {"label": "待落实会议决定", "status": [S_ISSUED],
                                   "follow_up": "department"}
    if actor.has("approver"):
        mine = {"manage": True}
        out["review_returned"] = {"label": "已退回动议", "status": [S_RETURNED], **mine}
        out["review_this_week"] = {"label": "本周审查会议", "status": [S_NOTIFIED],
                                   "date_from": today, "date_to": wk1, **mine}
        out["review_meeting_due"] = {"label": "待录入会议情况", "status": [S_NOTIFIED],
                                     "date_to": today - timedelta(days=1), **mine}
        out["review_to_conclude"] = {"label": "待形成审查结论", "status": [S_HELD], **mine}
        out["review_escalated"] = {"label": "待市政府决定", "status": [S_ESCALATED], **mine}
        out["review_minutes"] = {"label": "纪要未印发", "status": [S_AGREED, S_DECIDED], **mine}
        out["review_follow_up"] = {"label": "待落实会议决定", "status": [S_ISSUED],
                                   "follow_up": "division", **mine}
    return out


def _spec_sql(actor: Actor, spec: dict) -> tuple[str, list]:
    """The WHERE condition (over ``special_review r``) of one reminder list."""
    where, params = _filters_sql(actor, status=spec["status"], date_from=spec.get("date_from"),
                                 date_to=spec.get("date_to"))
    if spec.get("unanswered") or spec.get("absent_reason"):
        cond = ("o.attendees_at IS NULL" if spec.get("unanswered")
                else f"o.attendance = '{ABSENT_REASON}' AND o.opinion IS NULL")
        where += (" AND EXISTS (SELECT 1 FROM special_review_department o WHERE o.review_id = r.id"
                  f" AND o.department_id = ? AND {cond})")
        params.append(actor.department_id)
    if spec.get("follow_up") == "department":  # the own department has not recorded it
        where += (" AND EXISTS (SELECT 1 FROM special_review_department o WHERE o.review_id = r.id"
                  " AND o.department_id = ?) AND NOT EXISTS (SELECT 1 FROM special_review_follow_up f"
                  " WHERE f.review_id = r.id AND f.department_id = ?)")
        params += [actor.department_id, actor.department_id]
    elif spec.get("follow_up") == "division":  # the proposing division has not
        where += (" AND NOT EXISTS (SELECT 1 FROM special_review_follow_up f"
                  " WHERE f.review_id = r.id AND f.department_id = r.division_id)")
    if spec.get("manage"):
        where += (" AND (r.division_id = ? OR r.division_id IN (SELECT id FROM department"
                  " WHERE parent_id = ?))")
        params += [actor.department_id, actor.department_id]
    return where, params


def reminder_ids(actor: Actor, spec: dict) -> list[int]:
    """The review ids behind one reminder list."""
    where, params = _spec_sql(actor, spec)
    return [r[0] for r in get_db().all(f"SELECT r.id FROM special_review r WHERE {where}"
                                       " ORDER BY r.meeting_at", params)]


def reminders(actor: Actor) -> list[Reminder]:
    """处理提醒 for the landing page and the sidebar: one query for all lists."""
    specs = reminder_lists(actor)
    if not specs:
        return []
    parts, params = [], []
    for spec in specs.values():
        where, p = _spec_sql(actor, spec)
        parts.append(f"count(*) FILTER (WHERE {where})")
        params += p
    counts = get_db().one(f"SELECT {', '.join(parts)} FROM special_review r", params)
    out = []
    for (kind, spec), n in zip(specs.items(), counts):
        if n:
            out.append(Reminder(kind=kind, label=spec["label"], count=int(n), page="review",
                                overdue=int(n) if kind == "review_meeting_due" else 0))
    return out


# -- pickers for the motion form -------------------------------------------
def search_projects(actor: Actor, text: str | None = None, limit: int = 20) -> list[dict]:
    """Projects of the project library matching ``text`` (number, name or
    enterprise), most recently updated first; [] without a project library."""
    require(actor, "approver", action="查找项目")
    with get_db().cursor() as cur:
        if not _has_table(cur, "project"):
            return []
    q = (text or "").strip()
    sql = ("SELECT p.project_no, p.name, e.name AS enterprise FROM project p"
           " LEFT JOIN enterprise e ON e.id = p.enterprise_id")
    params: list = []
    if q:
        sql += f" WHERE p.project_no LIKE ?{ESC} OR p.name LIKE ?{ESC} OR e.name LIKE ?{ESC}"
        params += [likes.contains(q)] * 3
    sql += " ORDER BY p.updated_at DESC, p.project_no LIMIT ?"
    params.append(int(limit))
    return get_db().dicts(sql, params)


def project_cases(actor: Actor, project_no: str) -> list[dict]:
    """The approval cases of one project (for choosing the case a review is for)."""
    require(actor, "approver", action="查看项目办件")
    with get_db().cursor() as cur:
        if not _has_table(cur, "approval_case"):
            return []
    return get_db().dicts(
        "SELECT c.id, c.case_no, i.name AS item, c.stage, c.decided_on FROM approval_case c"
        " LEFT JOIN item i ON i.id = c.item_id WHERE c.project_no = ? ORDER BY c.decided_on DESC,"
        " c.id DESC LIMIT 200", [project_no])
