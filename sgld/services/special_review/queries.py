"""Reading: one review with what the actor may do, the list and its filters,
statistics, the minutes linked from cases and projects, the reminders,
and the pickers of the motion form."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from db.connection import get_db
from sgld import clock, likes, policy, workflows
from sgld.likes import ESC
from sgld.reminders import Reminder
from sgld.security import ROLES, Actor, require
from sgld.services.special_review._base import (
    ABSENT_REASON,
    FORMS,
    NOTIFIED,
    S_AGREED,
    S_DECIDED,
    S_ESCALATED,
    S_HELD,
    S_ISSUED,
    S_NOTIFIED,
    S_PENDING,
    S_RETURNED,
    SCOPES,
    STATUSES,
    WORKFLOW,
    _check_visible,
    _dept_reader,
    _dept_rows,
    _manages,
    _row,
    is_bureau_leader,
    is_city_leader,
    opinion_label,
)
from sgld.services.special_review.documents import _minutes_name, _notice_name
from sgld.services.special_review.meeting import _follow_up_party, _follow_up_rows, evaluate


# -- reading --------------------------------------------------------------
def _names(cur, *user_ids) -> dict:
    ids = [u for u in user_ids if u is not None]
    if not ids:
        return {}
    return dict(
        cur.execute(f"SELECT id, display_name FROM app_user WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
    )


def _chair_label(r: dict) -> str:
    """Who is to chair, as planned: the 市政府分管领导 only as asked to (the
    tick is a request; who actually chaired is recorded with the meeting)."""
    return "报请市政府分管领导主持" if r["city_chair"] else "市行政审批局分管领导主持"


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
        out |= can & {
            "resubmit",
            "withdraw",
            "record_meeting",
            "conclude",
            "record_decision",
            "issue_minutes",
            "follow_up",
        }
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
        users = _names(
            cur,
            r["proposed_by"],
            r["approved_by"],
            r["meeting_by"],
            r["concluded_by"],
            r["gov_decision_by"],
            r["minutes_issued_by"],
        )
        div = cur.execute("SELECT name FROM department WHERE id = ?", [r["division_id"]]).fetchone()
        r["follow_ups"] = _follow_up_rows(cur, r, depts) if r["status"] == S_ISSUED else []
        party = _follow_up_party(cur, actor, r, depts)
        r["follow_up_party"] = party[0] if party else None
    r["scopes"], r["forms"] = list(r["scopes"]), list(r["forms"])
    r["meeting_date"] = r["meeting_at"].date()
    r["agenda"] = r["title"]
    r["division"] = div[0] if div else ""
    for key in ("proposed_by", "approved_by", "meeting_by", "concluded_by", "gov_decision_by", "minutes_issued_by"):
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


def _filters_sql(
    actor: Actor,
    scope=None,
    form=None,
    status=None,
    department_id=None,
    date_from=None,
    date_to=None,
    text=None,
    division_id=None,
    case_id=None,
    project_no=None,
) -> tuple[str, list]:
    where, params = ["1=1"], []
    if _dept_reader(actor):
        where.append("r.status IN (" + ",".join("?" * len(NOTIFIED)) + ")")
        params += list(NOTIFIED)
        where.append(
            "EXISTS (SELECT 1 FROM special_review_department x WHERE x.review_id = r.id AND x.department_id = ?)"
        )
        params.append(actor.department_id)
    elif not policy.sees_all_departments(actor):
        where.append("FALSE")
    if scope:
        where.append("? = ANY(r.scopes)")
        params.append(scope)
    if form:
        where.append("? = ANY(r.forms)")
        params.append(form)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        where.append("r.status IN (" + ",".join("?" * len(statuses)) + ")")
        params += statuses
    if department_id:
        where.append(
            "EXISTS (SELECT 1 FROM special_review_department x WHERE x.review_id = r.id AND x.department_id = ?)"
        )
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
        where.append(
            f"(r.title LIKE ?{ESC} OR r.review_no LIKE ?{ESC}"
            f" OR coalesce(r.project_no, '') LIKE ?{ESC}"
            f" OR coalesce(r.project_name, '') LIKE ?{ESC}"
            f" OR coalesce(r.case_no, '') LIKE ?{ESC})"
        )
        params += [q] * 5
    return " AND ".join(where), params


def list_reviews(
    actor: Actor,
    *,
    scope: str | None = None,
    form: str | None = None,
    status: str | list[str] | None = None,
    department_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    text: str | None = None,
    division_id: int | None = None,
    case_id: int | None = None,
    project_no: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Reviews the actor may see, newest meeting first (stable read API).
    Each dict: id, review_no, title, scopes, forms, meeting_at, meeting_date,
    place, status, outcome, division, departments (names), department_ids,
    case_id, case_no, project_no, project_name, minutes_no, and for a
    supervisor their own department's attendees / opinion."""
    require(actor, *ROLES, action="查看专项审查")
    where, params = _filters_sql(
        actor, scope, form, status, department_id, date_from, date_to, text, division_id, case_id, project_no
    )
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
        " JOIN (SELECT x.review_id, array_agg(d.name ORDER BY d.id) AS departments,"
        "       array_agg(d.id ORDER BY d.id) AS department_ids,"
        "       count(x.attendees_at) AS replied, count(*) AS dept_count"
        "       FROM special_review_department x JOIN department d ON d.id = x.department_id"
        "       GROUP BY x.review_id) x ON x.review_id = r.id"
        " LEFT JOIN special_review_department o ON o.review_id = r.id AND o.department_id = ?"
        f" WHERE {where} ORDER BY r.meeting_at DESC, r.id DESC"
    )
    params = [own] + params
    if limit:
        sql += " LIMIT ?"
        params.append(int(limit))
    return get_db().dicts(sql, params)


def list_frame(actor: Actor, **filters) -> pd.DataFrame:
    """The list as a DataFrame, its values formatted for the page's table in
    SQL and fetched column-wise, so thousands of rows stay fast: id,
    review_no, title, status, meeting_at, place, scopes, forms (joined with
    、), departments, division, project_no, project_name, case_no, outcome,
    minutes_no, replies (answered/invited, or —), follow_ups (recorded/parties
    once issued, or —), and for a supervisor or liaison own_attendees and
    own_opinion.  The Chinese headers: ``ui.review_list.list_table``."""
    require(actor, *ROLES, action="查看专项审查")
    where, params = _filters_sql(actor, **filters)
    notified = ",".join(f"'{x}'" for x in NOTIFIED)
    own_cols = ""
    if _dept_reader(actor):
        own_cols = (
            ", coalesce(o.attendees, '待回复') AS own_attendees,"
            " CASE WHEN o.deemed THEN '视为同意' ELSE coalesce(o.opinion, '未提交') END"
            " AS own_opinion"
        )
    sql = (
        "SELECT r.id, r.review_no, r.title, r.status, r.meeting_at, r.place,"
        " array_to_string(r.scopes, '、') AS scopes, array_to_string(r.forms, '、') AS forms,"
        " x.departments, dv.name AS division, r.project_no, r.project_name, r.case_no,"
        " r.outcome, r.minutes_no,"
        f" CASE WHEN r.status IN ({notified}) THEN x.replied || '/' || x.dept_count ELSE '—' END"
        f" AS replies,"
        f" CASE WHEN r.status = '{S_ISSUED}' THEN (SELECT count(*) FROM special_review_follow_up f"
        f"  WHERE f.review_id = r.id) || '/' || (x.dept_count + 1) ELSE '—' END AS follow_ups{own_cols}"
        " FROM special_review r JOIN department dv ON dv.id = r.division_id"
        " JOIN (SELECT x.review_id, string_agg(d.name, '、' ORDER BY d.id) AS departments,"
        "       count(x.attendees_at) AS replied, count(*) AS dept_count"
        "       FROM special_review_department x JOIN department d ON d.id = x.department_id"
        "       GROUP BY x.review_id) x ON x.review_id = r.id"
        " LEFT JOIN special_review_department o ON o.review_id = r.id AND o.department_id = ?"
        f" WHERE {where} ORDER BY r.meeting_at DESC, r.id DESC"
    )
    return get_db().df(sql, [actor.department_id] + params)


def _week(today: date) -> tuple[date, date]:
    start = today - timedelta(days=today.weekday())
    return start, start + timedelta(days=6)


def statistics(actor: Actor, **filters) -> dict[str, pd.DataFrame]:
    """分类统计: by scope × outcome (scope, total, agreed, escalated, ongoing,
    withdrawn), by status, form, outcome and month (status / form / outcome /
    month, count), and per participating department (department, reviews,
    disagree, conditional, deemed, absent_no_reason).  The Chinese headers:
    ``ui.review_stats.STAT_HEADERS``."""
    require(actor, *ROLES, action="查看专项审查统计")
    where, params = _filters_sql(actor, **filters)
    db = get_db()
    outcome_case = (
        "CASE WHEN r.outcome = '达成一致' THEN '达成一致'"
        " WHEN r.outcome = '报市政府决定' THEN '报市政府决定'"
        " WHEN r.status = '已撤回' THEN '已撤回' ELSE '进行中' END"
    )
    by_scope = db.df(
        f"SELECT s.scope, count(*) AS total,"
        f" count(*) FILTER (WHERE o = '达成一致') AS agreed,"
        f" count(*) FILTER (WHERE o = '报市政府决定') AS escalated,"
        f" count(*) FILTER (WHERE o = '进行中') AS ongoing,"
        f" count(*) FILTER (WHERE o = '已撤回') AS withdrawn"
        f" FROM (SELECT unnest(r.scopes) AS scope, {outcome_case} AS o FROM special_review r"
        f" WHERE {where}) s GROUP BY s.scope",
        params,
    )
    order = {s: i for i, s in enumerate(SCOPES)}
    by_scope = by_scope.sort_values("scope", key=lambda c: c.map(order)).reset_index(drop=True)
    by_status = db.df(
        f"SELECT r.status, count(*) AS count FROM special_review r WHERE {where} GROUP BY r.status", params
    )
    sorder = {s: i for i, s in enumerate(STATUSES)}
    by_status = by_status.sort_values("status", key=lambda c: c.map(sorder)).reset_index(drop=True)
    by_form = db.df(
        f"SELECT f.form, count(*) AS count FROM (SELECT unnest(r.forms)"
        f" AS form FROM special_review r WHERE {where}) f GROUP BY f.form",
        params,
    )
    forder = {s: i for i, s in enumerate(FORMS)}
    by_form = by_form.sort_values("form", key=lambda c: c.map(forder)).reset_index(drop=True)
    by_outcome = db.df(
        f"SELECT {outcome_case} AS outcome, count(*) AS count FROM special_review r"
        f" WHERE {where} GROUP BY 1 ORDER BY 2 DESC",
        params,
    )
    by_month = db.df(
        f"SELECT substr(CAST(r.meeting_at AS VARCHAR), 1, 7) AS month, count(*) AS count"
        f" FROM special_review r WHERE {where} GROUP BY 1 ORDER BY 1",
        params,
    )
    deemed = db.df(
        f"SELECT d.name AS department, count(*) AS reviews,"
        f" count(*) FILTER (WHERE x.opinion = '不同意') AS disagree,"
        f" count(*) FILTER (WHERE x.opinion = '有条件同意') AS conditional,"
        f" count(*) FILTER (WHERE x.deemed) AS deemed,"
        f" count(*) FILTER (WHERE x.attendance = '无故缺席') AS absent_no_reason"
        f" FROM special_review r JOIN special_review_department x ON x.review_id = r.id"
        f" JOIN department d ON d.id = x.department_id WHERE {where} AND r.status IN"
        f" ({','.join('?' * len(NOTIFIED))}) GROUP BY d.name ORDER BY 2 DESC, 1",
        params + list(NOTIFIED),
    )
    return {
        "by_scope": by_scope,
        "by_status": by_status,
        "by_form": by_form,
        "by_outcome": by_outcome,
        "by_month": by_month,
        "by_department": deemed,
    }


def participant_options(actor: Actor) -> list[dict]:
    """Departments that can be invited (supervision and other licensing departments)."""
    require(actor, *ROLES, action="查看部门")
    return get_db().dicts(
        "SELECT id, name, kind FROM department WHERE active AND kind IN"
        " ('supervision', 'licensing') ORDER BY kind DESC, id"
    )


# -- links for the case archive and the project library -------------------
def _minutes_links(where: str, value, actor: Actor | None) -> list[dict]:
    sql = (
        "SELECT r.id AS review_id, r.review_no, r.title, r.minutes_no, r.minutes_issued_at,"
        " r.minutes_attachment_id, r.outcome, r.case_id, r.project_no FROM special_review r"
        f" WHERE r.status = '{S_ISSUED}' AND {where}"
    )
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
        out["review_notice_unanswered"] = {"label": "待回复通知", "status": [S_NOTIFIED], "unanswered": True}
        out["review_this_week"] = {"label": "本周审查会议", "status": [S_NOTIFIED], "date_from": today, "date_to": wk1}
        out["review_written_opinion"] = {"label": "待提交书面意见", "status": [S_HELD], "absent_reason": True}
        out["review_follow_up"] = {"label": "待落实会议决定", "status": [S_ISSUED], "follow_up": "department"}
    if actor.has("approver"):
        mine = {"manage": True}
        out["review_returned"] = {"label": "已退回动议", "status": [S_RETURNED], **mine}
        out["review_this_week"] = {
            "label": "本周审查会议",
            "status": [S_NOTIFIED],
            "date_from": today,
            "date_to": wk1,
            **mine,
        }
        out["review_meeting_due"] = {
            "label": "待录入会议情况",
            "status": [S_NOTIFIED],
            "date_to": today - timedelta(days=1),
            **mine,
        }
        out["review_to_conclude"] = {"label": "待形成审查结论", "status": [S_HELD], **mine}
        out["review_escalated"] = {"label": "待市政府决定", "status": [S_ESCALATED], **mine}
        out["review_minutes"] = {"label": "纪要未印发", "status": [S_AGREED, S_DECIDED], **mine}
        out["review_follow_up"] = {"label": "待落实会议决定", "status": [S_ISSUED], "follow_up": "division", **mine}
    return out


def _spec_sql(actor: Actor, spec: dict) -> tuple[str, list]:
    """The WHERE condition (over ``special_review r``) of one reminder list."""
    where, params = _filters_sql(
        actor, status=spec["status"], date_from=spec.get("date_from"), date_to=spec.get("date_to")
    )
    if spec.get("unanswered") or spec.get("absent_reason"):
        cond = (
            "o.attendees_at IS NULL"
            if spec.get("unanswered")
            else f"o.attendance = '{ABSENT_REASON}' AND o.opinion IS NULL"
        )
        where += (
            " AND EXISTS (SELECT 1 FROM special_review_department o WHERE o.review_id = r.id"
            f" AND o.department_id = ? AND {cond})"
        )
        params.append(actor.department_id)
    if spec.get("follow_up") == "department":  # the own department has not recorded it
        where += (
            " AND EXISTS (SELECT 1 FROM special_review_department o WHERE o.review_id = r.id"
            " AND o.department_id = ?) AND NOT EXISTS (SELECT 1 FROM special_review_follow_up f"
            " WHERE f.review_id = r.id AND f.department_id = ?)"
        )
        params += [actor.department_id, actor.department_id]
    elif spec.get("follow_up") == "division":  # the proposing division has not
        where += (
            " AND NOT EXISTS (SELECT 1 FROM special_review_follow_up f"
            " WHERE f.review_id = r.id AND f.department_id = r.division_id)"
        )
    if spec.get("manage"):
        where += " AND (r.division_id = ? OR r.division_id IN (SELECT id FROM department WHERE parent_id = ?))"
        params += [actor.department_id, actor.department_id]
    return where, params


def reminder_ids(actor: Actor, spec: dict) -> list[int]:
    """The review ids behind one reminder list."""
    where, params = _spec_sql(actor, spec)
    return [
        r[0] for r in get_db().all(f"SELECT r.id FROM special_review r WHERE {where} ORDER BY r.meeting_at", params)
    ]


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
            out.append(
                Reminder(
                    kind=kind,
                    label=spec["label"],
                    count=int(n),
                    page="review",
                    overdue=int(n) if kind == "review_meeting_due" else 0,
                )
            )
    return out


# -- pickers for the motion form -------------------------------------------
def search_projects(actor: Actor, text: str | None = None, limit: int = 20) -> list[dict]:
    """Projects of the project library matching ``text`` (number, name or
    enterprise), most recently updated first."""
    require(actor, "approver", action="查找项目")
    q = (text or "").strip()
    sql = (
        "SELECT p.project_no, p.name, e.name AS enterprise FROM project p"
        " LEFT JOIN enterprise e ON e.id = p.enterprise_id"
    )
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
    return get_db().dicts(
        "SELECT c.id, c.case_no, i.name AS item, c.stage, c.decided_on FROM approval_case c"
        " LEFT JOIN item i ON i.id = c.item_id WHERE c.project_no = ? ORDER BY c.decided_on DESC,"
        " c.id DESC LIMIT 200",
        [project_no],
    )
