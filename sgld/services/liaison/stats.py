"""What the feature counts: the statistics per supervision department and
the reminders (处理提醒)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from db.connection import get_db
from sgld import policy, workdays
from sgld.reminders import Reminder
from sgld.security import Actor, require
from sgld.services.liaison._base import DISCIPLINE_VERSION, DUE_SOON_WORKDAYS, PAGE, _has_assignment, _today
from sgld.services.liaison.roster import qualification_problems

# -- statistics -----------------------------------------------------------
STAT_COLUMNS = [
    "department",
    "roster",
    "qualified",
    "letters",
    "on_time",
    "on_time_rate",
    "overdue",
    "attended",
    "signed",
    "feedback",
    "rects",
    "rects_open",
    "rects_overdue",
    "rects_closed",
]


def statistics(actor: Actor) -> pd.DataFrame:
    """Per supervision department (the columns :data:`STAT_COLUMNS`): liaisons
    (qualified today), letters, answered on time (``on_time_rate`` a fraction,
    None while no answer is due), unanswered past the review, reviews
    attended, signatures, feedback, rectifications.  The Chinese headers:
    ``ui.liaison_tables.statistics_table``."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看联络员统计")
    only = policy.scope_department(actor)
    today = _today()
    db = get_db()
    dept_sql = "SELECT id, name FROM department WHERE kind = 'supervision'"
    params: list = []
    if only is not None:
        dept_sql += " AND id = ?"
        params.append(only)
    depts = db.all(dept_sql + " ORDER BY id", params)
    roster = db.all("SELECT department_id, employment_type, joined_on, familiar_confirmed, active FROM liaison")
    liaisons: dict[int, list[int]] = {}
    for d, et, jo, fam, act in roster:
        s = liaisons.setdefault(d, [0, 0])
        if act:
            s[0] += 1
            if not qualification_problems(
                employment_type=et, joined_on=jo, familiar_confirmed=fam, active=act, on=today
            ):
                s[1] += 1
    letters = {
        r[0]: r[1:]
        for r in db.all(
            "SELECT q.department_id, count(*) FILTER (WHERE q.status <> '已撤回'),"
            " count(*) FILTER (WHERE q.dispatched_at IS NOT NULL"
            "   AND CAST(q.dispatched_at AS DATE) < r.review_date),"
            " count(*) FILTER (WHERE q.status = '待派员' AND r.review_date < ?),"
            " count(*) FILTER (WHERE q.status = '已派员' AND q.attended),"
            " count(q.dispatched_at) FILTER (WHERE q.status = '已派员'),"
            " count(q.signed_at), count(q.feedback_at)"
            " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id GROUP BY 1",
            [today],
        )
    }
    rects = {
        r[0]: r[1:]
        for r in db.all(
            "SELECT department_id, count(*), count(*) FILTER (WHERE status = '整改中'),"
            " count(*) FILTER (WHERE status = '整改中' AND deadline < ?),"
            " count(*) FILTER (WHERE status = '已整改') FROM liaison_rectification GROUP BY 1",
            [today],
        )
    }
    out = []
    for did, name in depts:
        ln = liaisons.get(did, [0, 0])
        lt = letters.get(did, (0, 0, 0, 0, 0, 0, 0))
        rc = rects.get(did, (0, 0, 0, 0))
        # the rate counts letters whose answer is due: answered, or unanswered past the review
        due = lt[4] + lt[2]
        out.append(
            [
                name,
                ln[0],
                ln[1],
                lt[0],
                lt[1],
                lt[1] / due if due else None,
                lt[2],
                lt[3],
                lt[5],
                lt[6],
                rc[0],
                rc[1],
                rc[2],
                rc[3],
            ]
        )
    return pd.DataFrame(out, columns=STAT_COLUMNS)


# -- reminders ------------------------------------------------------------
def _count(sql: str, params: list) -> int:
    return int(get_db().scalar(sql, params) or 0)


def reminders(actor: Actor) -> list[Reminder]:
    """处理提醒 for the liaison page (counts equal the page's lists)."""
    out: list[Reminder] = []
    today = _today()
    tomorrow = today + timedelta(days=1)
    q = (
        "SELECT count(*), count(*) FILTER (WHERE r.review_date <= ?) FROM liaison_request q"
        " JOIN liaison_review r ON r.id = q.review_id WHERE q.status = '待派员'"
        " AND r.review_date >= ?"
    )
    if actor.has("supervisor"):
        n, urgent = get_db().one(q + " AND q.department_id = ?", [tomorrow, today, actor.department_id])
        if n:
            out.append(Reminder("liaison_to_dispatch", "待派员商请函", n, PAGE, overdue=urgent))
        n, late = get_db().one(
            "SELECT count(*), count(*) FILTER (WHERE deadline < ?) FROM liaison_rectification"
            " WHERE status = '整改中' AND department_id = ? AND deadline <= ?",
            [today, actor.department_id, workdays.add_workdays(today, DUE_SOON_WORKDAYS)],
        )
        if n:
            out.append(Reminder("liaison_dept_rect_due", "本部门整改到期/逾期", n, PAGE, overdue=late))
    if actor.has("approver"):
        n, urgent = get_db().one(q, [tomorrow, today])
        if n:
            out.append(Reminder("liaison_unanswered", "未答复商请函", n, PAGE, overdue=urgent))
    if actor.has("liaison"):
        uid = actor.user_id
        base = (
            " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
            " JOIN liaison l ON l.id = q.liaison_id WHERE l.user_id = ? AND q.status = '已派员'"
        )
        n, late = get_db().one(
            "SELECT count(*), count(*) FILTER (WHERE r.review_date < ?)" + base + " AND q.recorded_at IS NULL",
            [today, uid],
        )
        if n:
            out.append(Reminder("liaison_my_reviews", "待参加/待记录的审查", n, PAGE, overdue=late))
        n = _count(
            "SELECT count(*)" + base + " AND q.attended AND q.signed_at IS NULL AND r.report_text IS NOT NULL", [uid]
        )
        if n:
            out.append(Reminder("liaison_to_sign", "待签字审查报告", n, PAGE))
        n, late = get_db().one(
            "SELECT count(*), count(*) FILTER (WHERE x.deadline < ?) FROM liaison_rectification x"
            " JOIN liaison_request q ON q.id = x.request_id JOIN liaison l ON l.id = q.liaison_id"
            " WHERE l.user_id = ? AND x.status = '整改中' AND x.deadline <= ?",
            [today, uid, workdays.add_workdays(today, DUE_SOON_WORKDAYS)],
        )
        if n:
            out.append(Reminder("liaison_rect_due", "整改到期待复查", n, PAGE, overdue=late))
        if not get_db().scalar(
            "SELECT count(*) FROM liaison_discipline_ack WHERE user_id = ? AND version = ?", [uid, DISCIPLINE_VERSION]
        ) and _has_assignment(uid):
            out.append(Reminder("liaison_discipline", "工作纪律待确认", 1, PAGE))
    return out
