"""审批推送, read side: 待签收 / 已签收 lists, claim pool, sign overview,
the approval archive (审批办件档案) with its quick query, case detail with
timeline, licence library and project library.

Data scope: a supervisor sees only the pushes and claims of their own
department and the cases behind them; approvers, leaders and admins see
everything.  Lists return DataFrames with Chinese column labels (ids in
English-named columns the pages hide).

Speed at ``demo --scale 100`` (≈1M cases): every list first selects the
matching ids (ordered, limited) and only then joins the display columns;
filters on pushes/claims are semi-joins on the small integer columns.
See ``bench/bench_push.py``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from db.connection import get_db
from sgld import attachments, clock, likes, uscc, workdays
from sgld.errors import NotFound, PermissionDenied, ValidationError
from sgld.likes import ESC
from sgld.reminders import Reminder
from sgld.security import Actor, require
from sgld.services.push import LICENCE_KINDS, LICENCE_STATUSES, STAGES, case_in_scope, require_case_visible, scoped

READERS = ("admin", "leader", "approver", "supervisor")
ARCHIVE_LIMIT = 500
PUSH_FILTERS = ("待签收", "逾期未签收", "已签收", "逾期签收", "待领取", "已领取")

LICENCE_STATUS_SQL = "CASE WHEN l.status = '有效' AND l.valid_until < ? THEN '已过期' ELSE l.status END"


def _read(actor: Actor, what: str) -> None:
    require(actor, *READERS, action=what)


_like = likes.contains


def _range(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise ValidationError("起始日期不能晚于结束日期。")


def form_options(actor: Actor) -> dict:
    """Items (active) and departments for the forms and filters."""
    _read(actor, "查看审批推送")
    db = get_db()
    items = db.dicts(
        "SELECT i.id, i.code, i.name, i.category, i.centralised, i.sign_limit_days,"
        " coalesce(array_agg(d.name ORDER BY d.id) FILTER (WHERE d.id IS NOT NULL),"
        "  ARRAY[]::VARCHAR[])"
        " AS departments FROM item i LEFT JOIN item_department x ON x.item_id = i.id"
        " LEFT JOIN department d ON d.id = x.department_id WHERE i.active"
        " GROUP BY i.id, i.code, i.name, i.category, i.centralised, i.sign_limit_days"
        " ORDER BY i.category, i.code"
    )
    depts = db.dicts(
        "SELECT id, name, kind FROM department WHERE active"
        " AND kind IN ('supervision', 'licensing') ORDER BY kind DESC, id"
    )
    return {
        "items": items,
        "departments": depts,
        "stages": list(STAGES),
        "licence_kinds": list(LICENCE_KINDS),
        "licence_statuses": list(LICENCE_STATUSES),
        "push_filters": list(PUSH_FILTERS),
    }


# -- supervisor lists -----------------------------------------------------
PUSH_COLUMNS = {
    "case_no": "办件编号",
    "item": "事项",
    "enterprise": "企业名称",
    "uscc": "统一社会信用代码",
    "project_no": "项目编号",
    "stage": "环节",
    "department": "推送部门",
    "pushed_at": "推送时间",
    "due_on": "签收期限",
    "time_state": "时限",
    "signer": "签收人",
    "signed_at": "签收时间",
    "reason": "推送原因",
}


def own_cases_sql(actor: Actor, case_col: str = "p.case_id") -> tuple[str, list]:
    """An approver's own work (issue 16 item 21): the cases of their division
    (业务处室) or the ones they recorded themselves (经办人)."""
    return (
        f"{case_col} IN (SELECT c.id FROM approval_case c WHERE c.division_id = ? OR c.handler_id = ?)",
        [actor.department_id, actor.user_id],
    )


def push_list(
    actor: Actor,
    *,
    status: str = "待签收",
    department_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    overdue_only: bool = False,
    limit: int | None = None,
    own_cases: bool = False,
) -> pd.DataFrame:
    """Pushes by status.  A supervisor gets their own department's only (the
    待签收 list is the whole open list: its length is the sidebar count).
    ``own_cases``: only the actor's division's and own cases (the approver's
    to-do list; without it the bureau-wide list)."""
    _read(actor, "查看推送")
    if status not in ("待签收", "已签收"):
        raise ValidationError("推送状态无效。")
    _range(date_from, date_to)
    today = clock.today()
    where, params = ["p.status = ?"], [status]
    if scoped(actor):
        department_id = actor.department_id
    if department_id:
        where.append("p.department_id = ?")
        params.append(int(department_id))
    if own_cases:
        cond, cp = own_cases_sql(actor)
        where.append(cond)
        params += cp
    if overdue_only:
        where.append("(p.signed_at IS NULL AND p.due_on < ? OR CAST(p.signed_at AS DATE) > p.due_on)")
        params.append(today)
    ts_col = "p.pushed_at" if status == "待签收" else "p.signed_at"
    if date_from:
        where.append(f"{ts_col} >= ?")
        params.append(datetime.combine(date_from, time.min))
    if date_to:
        where.append(f"{ts_col} <= ?")
        params.append(datetime.combine(date_to, time.max))
    order = "p.due_on, p.id" if status == "待签收" else "p.signed_at DESC, p.id DESC"
    lim = f" LIMIT {int(limit)}" if limit else ""
    sql = (
        "WITH hits AS (SELECT p.id FROM push p WHERE " + " AND ".join(where) + f" ORDER BY {order}{lim})"
        " SELECT p.id AS push_id, c.id AS case_id, c.case_no,"
        " CASE WHEN p.signed_at IS NULL AND p.due_on < ? THEN '已超时'"
        "      WHEN p.signed_at IS NULL THEN '未超时'"
        "      WHEN CAST(p.signed_at AS DATE) > p.due_on THEN '逾期签收' ELSE '按时签收' END"
        " AS time_state, p.due_on, u.display_name AS signer, p.signed_at, i.name AS item,"
        " e.name AS enterprise, e.uscc, c.project_no, p.stage, d.name AS department, p.pushed_at,"
        " p.reason"
        " FROM hits JOIN push p ON p.id = hits.id JOIN approval_case c ON c.id = p.case_id"
        " JOIN item i ON i.id = c.item_id JOIN enterprise e ON e.id = c.enterprise_id"
        " JOIN department d ON d.id = p.department_id LEFT JOIN app_user u ON u.id = p.signed_by"
        f" ORDER BY {order}"
    )
    frame = get_db().df(sql, params + [today])
    if status == "待签收":
        frame = frame.drop(columns=["signer", "signed_at"])
    return frame.rename(columns=PUSH_COLUMNS)


def pending_count(actor: Actor) -> tuple[int, int]:
    """(open pushes, of which overdue) of the supervisor's department — the
    header of the 待签收 list and the sidebar count."""
    _read(actor, "查看推送")
    row = get_db().one(
        "SELECT count(*), count(*) FILTER (WHERE due_on < ?) FROM push WHERE department_id = ? AND status = '待签收'",
        [clock.today(), actor.department_id],
    )
    return int(row[0]), int(row[1])


def claim_list(actor: Actor, *, status: str = "待领取", limit: int | None = None) -> pd.DataFrame:
    """The claim pool (待领取) or the claimed results of the actor's department
    (everything for approvers, leaders and admins)."""
    _read(actor, "查看待领取审批结果")
    if status not in ("待领取", "已领取"):
        raise ValidationError("领取状态无效。")
    where, params = ["k.status = ?"], [status]
    if scoped(actor):
        where.append("k.department_id = ?")
        params.append(actor.department_id)
    order = "k.available_at, k.id" if status == "待领取" else "k.claimed_at DESC, k.id DESC"
    lim = f" LIMIT {int(limit)}" if limit else ""
    frame = get_db().df(
        "WITH hits AS (SELECT k.id FROM claim k WHERE " + " AND ".join(where) + f" ORDER BY {order}{lim})"
        " SELECT k.id AS claim_id, c.id AS case_id, c.case_no, i.name AS item, e.name AS enterprise,"
        " e.uscc, c.project_no, k.stage, d.name AS department, k.available_at, u.display_name"
        " AS claimer, k.claimed_at, k.reason FROM hits JOIN claim k ON k.id = hits.id"
        " JOIN approval_case c ON c.id = k.case_id JOIN item i ON i.id = c.item_id"
        " JOIN enterprise e ON e.id = c.enterprise_id JOIN department d ON d.id = k.department_id"
        f" LEFT JOIN app_user u ON u.id = k.claimed_by ORDER BY {order}",
        params,
    )
    if status == "待领取":
        frame = frame.drop(columns=["claimer", "claimed_at"])
    return frame.rename(
        columns={
            **PUSH_COLUMNS,
            "available_at": "开放时间",
            "claimer": "领取人",
            "claimed_at": "领取时间",
            "department": "领取部门",
        }
    )


def sign_overview(actor: Actor, *, date_from: date | None = None, date_to: date | None = None) -> pd.DataFrame:
    """Per department: pushes, signed on time / late, unsigned, overdue
    (the bureau's view of which departments are late)."""
    require(actor, "admin", "leader", "approver", action="查看各部门签收情况")
    _range(date_from, date_to)
    today = clock.today()
    where, params = [], [today, today]
    if date_from:
        where.append("p.pushed_at >= ?")
        params.append(datetime.combine(date_from, time.min))
    if date_to:
        where.append("p.pushed_at <= ?")
        params.append(datetime.combine(date_to, time.max))
    frame = get_db().df(
        "SELECT d.name AS 部门, count(*) AS 推送数,"
        " count(*) FILTER (WHERE p.status = '已签收' AND CAST(p.signed_at AS DATE) <= p.due_on) AS 按时签收,"
        " count(*) FILTER (WHERE p.status = '已签收' AND CAST(p.signed_at AS DATE) > p.due_on) AS 逾期签收,"
        " count(*) FILTER (WHERE p.status = '待签收' AND p.due_on >= ?) AS 待签收未超时,"
        " count(*) FILTER (WHERE p.status = '待签收' AND p.due_on < ?) AS 逾期未签收,"
        " min(p.due_on) FILTER (WHERE p.status = '待签收') AS 最早签收期限"
        " FROM push p JOIN department d ON d.id = p.department_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " GROUP BY d.name, d.id ORDER BY 逾期未签收 DESC, d.id",
        params,
    )
    if len(frame):
        frame["按时签收率"] = (frame["按时签收"] / frame["推送数"] * 100).round(1).astype(str) + "%"
    return frame


# -- archive --------------------------------------------------------------
ARCHIVE_COLUMNS = {
    "case_no": "办件编号",
    "item": "事项",
    "category": "分类",
    "enterprise": "企业名称",
    "uscc": "统一社会信用代码",
    "project_no": "项目编号",
    "stage": "环节",
    "decided_on": "决定日期",
    "licences": "证照编号",
    "push_state": "推送/领取情况",
    "handler": "经办人",
}


def search_cases(
    actor: Actor,
    *,
    enterprise: str | None = None,
    uscc_code: str | None = None,
    project_no: str | None = None,
    case_no: str | None = None,
    licence_no: str | None = None,
    item_id: int | None = None,
    category: str | None = None,
    department_id: int | None = None,
    stage: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    push_status: str | None = None,
    limit: int = ARCHIVE_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """审批办件档案 quick query.  Returns (newest ``limit`` matches, total)."""
    _read(actor, "查询审批办件档案")
    _range(date_from, date_to)
    today = clock.today()
    where, params = [], []
    joins_ent = False
    if scoped(actor):
        where.append(
            "c.id IN (SELECT case_id FROM push WHERE department_id = ?"
            " UNION ALL SELECT case_id FROM claim WHERE department_id = ?)"
        )
        params += [actor.department_id, actor.department_id]
        dept_scope = actor.department_id
    else:
        dept_scope = None
    if department_id:
        where.append(
            "c.id IN (SELECT case_id FROM push WHERE department_id = ?"
            " UNION ALL SELECT case_id FROM claim WHERE department_id = ?)"
        )
        params += [int(department_id), int(department_id)]
        dept_scope = dept_scope or int(department_id)
    if enterprise and enterprise.strip():
        joins_ent = True
        where.append("e.name LIKE ? ESCAPE '\\'")
        params.append(_like(enterprise.strip()))
    if uscc_code and uscc_code.strip():
        joins_ent = True
        where.append(f"e.uscc LIKE ?{ESC}")
        params.append(likes.prefix(uscc.normalise(uscc_code)))
    db = get_db()
    # a complete number goes through the unique / indexed column; a part of one is searched
    if project_no and project_no.strip():
        q = project_no.strip()
        if db.scalar("SELECT count(*) FROM project WHERE project_no = ?", [q]):
            where.append("c.project_no = ?")
            params.append(q)
        else:
            where.append("c.project_no LIKE ? ESCAPE '\\'")
            params.append(_like(q))
    if case_no and case_no.strip():
        q = case_no.strip()
        exact = db.scalar("SELECT id FROM approval_case WHERE case_no = ?", [q])
        if exact is not None:
            where.append("c.id = ?")
            params.append(exact)
        else:
            where.append("c.case_no LIKE ? ESCAPE '\\'")
            params.append(_like(q))
    if licence_no and licence_no.strip():
        q = licence_no.strip()
        exact = db.scalar("SELECT case_id FROM licence WHERE licence_no = ?", [q])
        if exact is not None:
            where.append("c.id = ?")
            params.append(exact)
        else:
            where.append("c.id IN (SELECT case_id FROM licence WHERE licence_no LIKE ? ESCAPE '\\')")
            params.append(_like(q))
    if item_id:
        where.append("c.item_id = ?")
        params.append(int(item_id))
    if category:
        where.append("c.item_id IN (SELECT id FROM item WHERE category = ?)")
        params.append(category)
    if stage:
        if stage not in STAGES:
            raise ValidationError("办理环节无效。")
        where.append("c.stage = ?")
        params.append(stage)
    if date_from:
        where.append("c.decided_on >= ?")
        params.append(date_from)
    if date_to:
        where.append("c.decided_on <= ?")
        params.append(date_to)
    if push_status:
        if push_status not in PUSH_FILTERS:
            raise ValidationError("推送状态无效。")
        dcond = " AND department_id = ?" if dept_scope else ""
        dparam = [dept_scope] if dept_scope else []
        sub = {
            "待签收": (f"c.id IN (SELECT case_id FROM push WHERE status = '待签收'{dcond})", dparam),
            "逾期未签收": (
                f"c.id IN (SELECT case_id FROM push WHERE status = '待签收' AND due_on < ?{dcond})",
                [today] + dparam,
            ),
            "已签收": (
                f"c.id IN (SELECT case_id FROM push WHERE status = '已签收'{dcond})"
                f" AND c.id NOT IN (SELECT case_id FROM push WHERE status = '待签收'{dcond})",
                dparam + dparam,
            ),
            "逾期签收": (
                f"c.id IN (SELECT case_id FROM push WHERE status = '已签收'"
                f" AND CAST(signed_at AS DATE) > due_on{dcond})",
                dparam,
            ),
            "待领取": (f"c.id IN (SELECT case_id FROM claim WHERE status = '待领取'{dcond})", dparam),
            "已领取": (
                f"c.id IN (SELECT case_id FROM claim WHERE status = '已领取'{dcond})"
                f" AND c.id NOT IN (SELECT case_id FROM claim WHERE status = '待领取'{dcond})",
                dparam + dparam,
            ),
        }[push_status]
        where.append(sub[0])
        params += sub[1]
    ent_join = " JOIN enterprise e ON e.id = c.enterprise_id" if joins_ent else ""
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    with db.cursor() as cur:
        total = cur.execute(f"SELECT count(*) FROM approval_case c{ent_join}{cond}", params).fetchone()[0]
        sql = (
            f"WITH hits AS (SELECT c.id FROM approval_case c{ent_join}{cond}"
            f" ORDER BY c.decided_on DESC, c.id DESC LIMIT {int(limit)}),"
            " lic AS (SELECT case_id, string_agg(licence_no, '、' ORDER BY id) AS licences"
            "  FROM licence WHERE case_id IN (SELECT id FROM hits) GROUP BY case_id),"
            " ps AS (SELECT case_id, count(*) AS n,"
            "  count(*) FILTER (WHERE status = '已签收') AS signed,"
            "  count(*) FILTER (WHERE status = '待签收' AND due_on < ?) AS overdue"
            "  FROM push WHERE case_id IN (SELECT id FROM hits)"
            + (" AND department_id = ?" if dept_scope else "")
            + " GROUP BY case_id),"
            " cs AS (SELECT case_id, count(*) AS n, count(*) FILTER (WHERE status = '已领取')"
            "  AS claimed FROM claim WHERE case_id IN (SELECT id FROM hits)"
            + (" AND department_id = ?" if dept_scope else "")
            + " GROUP BY case_id)"
            " SELECT c.id AS case_id, c.case_no, i.name AS item, i.category, e.name AS enterprise,"
            " e.uscc, c.project_no, c.stage, c.decided_on, coalesce(lic.licences, '') AS licences,"
            " CASE WHEN ps.n IS NOT NULL THEN"
            "   CASE WHEN ps.signed = ps.n THEN '已签收 ' || ps.signed || '/' || ps.n"
            "        ELSE '待签收 ' || (ps.n - ps.signed) || '/' || ps.n ||"
            "             CASE WHEN ps.overdue > 0 THEN '（逾期 ' || ps.overdue || '）' ELSE '' END END"
            "  WHEN cs.n IS NOT NULL THEN"
            "   CASE WHEN cs.claimed = cs.n THEN '已领取 ' || cs.claimed || '/' || cs.n"
            "        ELSE '待领取 ' || (cs.n - cs.claimed) || '/' || cs.n END"
            "  ELSE '' END AS push_state, u.display_name AS handler"
            " FROM hits JOIN approval_case c ON c.id = hits.id JOIN item i ON i.id = c.item_id"
            " JOIN enterprise e ON e.id = c.enterprise_id LEFT JOIN lic ON lic.case_id = c.id"
            " LEFT JOIN ps ON ps.case_id = c.id LEFT JOIN cs ON cs.case_id = c.id"
            " LEFT JOIN app_user u ON u.id = c.handler_id"
            " ORDER BY c.decided_on DESC, c.id DESC"
        )
        extra = [today] + ([dept_scope, dept_scope] if dept_scope else [])
        frame = cur.execute(sql, params + extra).df()
    return frame.rename(columns=ARCHIVE_COLUMNS), total


def case_detail(actor: Actor, case_id: int) -> dict:
    """Everything about one case: facts, licences, pushes/claims (a
    supervisor: their department's only), scans and the timeline."""
    _read(actor, "查看审批办件")
    db = get_db()
    today = clock.today()
    with db.cursor() as cur:
        require_case_visible(cur, actor, int(case_id))
        cur.execute(
            "SELECT c.id, c.case_no, c.stage, c.reply, c.decided_on, c.project_no, c.source,"
            " c.created_at, c.updated_at, i.id AS item_id, i.code AS item_code, i.name AS item,"
            " i.category, i.centralised, i.sign_limit_days, e.id AS enterprise_id,"
            " e.name AS enterprise, e.uscc, e.legal_rep, e.address, p.name AS project_name,"
            " u.display_name AS handler, dv.name AS division"
            " FROM approval_case c JOIN item i ON i.id = c.item_id"
            " JOIN enterprise e ON e.id = c.enterprise_id"
            " LEFT JOIN project p ON p.project_no = c.project_no"
            " LEFT JOIN app_user u ON u.id = c.handler_id"
            " LEFT JOIN department dv ON dv.id = c.division_id WHERE c.id = ?",
            [case_id],
        )
        cols = [d[0] for d in cur.description]
        case = dict(zip(cols, cur.fetchone()))
        dept_cond = " AND p.department_id = ?" if scoped(actor) else ""
        dparams = [actor.department_id] if scoped(actor) else []
        cur.execute(
            "SELECT p.id, d.name AS department, p.stage, p.pushed_at, p.due_on, p.status,"
            " u.display_name AS signer, p.signed_at, p.reason, p.department_id,"
            " (p.status = '待签收' AND p.due_on < ?) AS overdue,"
            " (p.status = '已签收' AND CAST(p.signed_at AS DATE) > p.due_on) AS late"
            " FROM push p JOIN department d ON d.id = p.department_id"
            " LEFT JOIN app_user u ON u.id = p.signed_by WHERE p.case_id = ?"
            + dept_cond
            + " ORDER BY p.pushed_at, p.id",
            [today, case_id] + dparams,
        )
        cols = [d[0] for d in cur.description]
        pushes = [dict(zip(cols, r)) for r in cur.fetchall()]
        cur.execute(
            "SELECT p.id, d.name AS department, p.stage, p.available_at, p.status,"
            " u.display_name AS claimer, p.claimed_at, p.reason, p.department_id"
            " FROM claim p JOIN department d ON d.id = p.department_id"
            " LEFT JOIN app_user u ON u.id = p.claimed_by WHERE p.case_id = ?"
            + dept_cond
            + " ORDER BY p.available_at, p.id",
            [case_id] + dparams,
        )
        cols = [d[0] for d in cur.description]
        claims = [dict(zip(cols, r)) for r in cur.fetchall()]
        cur.execute(
            f"SELECT l.id, l.licence_no, l.kind, l.issued_on, l.valid_until,"
            f" {LICENCE_STATUS_SQL} AS status FROM licence l WHERE l.case_id = ? ORDER BY l.id",
            [today, case_id],
        )
        cols = [d[0] for d in cur.description]
        licences = [dict(zip(cols, r)) for r in cur.fetchall()]
        events = cur.execute(
            "SELECT ce.created_at, ce.kind, ce.detail, u.display_name FROM case_event ce"
            " LEFT JOIN app_user u ON u.id = ce.actor_id WHERE ce.case_id = ?",
            [case_id],
        ).fetchall()
        lic_events = cur.execute(
            "SELECT le.created_at, l.licence_no, le.from_status, le.to_status, le.reason,"
            " u.display_name FROM licence_event le JOIN licence l ON l.id = le.licence_id"
            " LEFT JOIN app_user u ON u.id = le.actor_id WHERE l.case_id = ?"
            " AND le.from_status IS NOT NULL",
            [case_id],
        ).fetchall()
    timeline = [
        {"时间": t, "事件": k, "说明": d or "", "操作人": who or "系统"}
        for t, k, d, who in events
        if k != "证照状态变更"
    ]
    for p in pushes:
        timeline.append(
            {
                "时间": p["pushed_at"],
                "事件": "推送",
                "说明": f"推送至{p['department']}（{p['stage']}）"
                + (f"：{p['reason']}" if p["reason"] else "")
                + f"，签收期限 {p['due_on']:%Y-%m-%d}",
                "操作人": "系统",
            }
        )
        if p["signed_at"]:
            timeline.append(
                {
                    "时间": p["signed_at"],
                    "事件": "签收",
                    "说明": f"{p['department']}签收" + ("（逾期）" if p["late"] else ""),
                    "操作人": p["signer"],
                }
            )
    for k in claims:
        timeline.append(
            {
                "时间": k["available_at"],
                "事件": "开放领取",
                "说明": f"开放给{k['department']}领取（{k['stage']}）",
                "操作人": "系统",
            }
        )
        if k["claimed_at"]:
            timeline.append(
                {"时间": k["claimed_at"], "事件": "领取", "说明": f"{k['department']}领取", "操作人": k["claimer"]}
            )
    for t, no, a, b, reason, who in lic_events:
        timeline.append(
            {"时间": t, "事件": "证照状态变更", "说明": f"证照 {no}：{a} → {b}（{reason}）", "操作人": who or "系统"}
        )
    timeline.sort(key=lambda r: r["时间"])
    return {
        "case": case,
        "licences": licences,
        "pushes": pushes,
        "claims": claims,
        "scans": attachments.list_for("case", case_id),
        "timeline": timeline,
    }


def find_case_id(actor: Actor, case_no: str) -> int | None:
    """The id of a case by its exact number, if the actor may see it."""
    _read(actor, "查询审批办件")
    db = get_db()
    cid = db.scalar("SELECT id FROM approval_case WHERE case_no = ?", [(case_no or "").strip()])
    if cid is None:
        return None
    with db.cursor() as cur:
        return cid if case_in_scope(cur, actor, cid) else None


# -- licence library ------------------------------------------------------
LICENCE_COLUMNS = {
    "licence_no": "证照编号",
    "kind": "类型",
    "status": "状态",
    "enterprise": "企业名称",
    "uscc": "统一社会信用代码",
    "item": "事项",
    "case_no": "办件编号",
    "project_no": "项目编号",
    "issued_on": "发证日期",
    "valid_until": "有效期至",
    "status_changed_at": "状态变更时间",
}


def list_licences(
    actor: Actor,
    *,
    text: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    item_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = ARCHIVE_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """证照批文库: licences by number / enterprise / code (text), kind,
    status (已过期 = valid-until passed), item, issue date range."""
    _read(actor, "查看证照批文库")
    _range(date_from, date_to)
    today = clock.today()
    where, params = [], []
    if scoped(actor):
        where.append(
            "l.case_id IN (SELECT case_id FROM push WHERE department_id = ?"
            " UNION ALL SELECT case_id FROM claim WHERE department_id = ?)"
        )
        params += [actor.department_id, actor.department_id]
    if text and text.strip():
        q = text.strip()
        where.append(
            "(l.licence_no LIKE ? ESCAPE '\\' OR l.enterprise_id IN (SELECT id FROM"
            " enterprise WHERE name LIKE ? ESCAPE '\\'"
            f" OR uscc LIKE ?{ESC}))"
        )
        params += [_like(q), _like(q), likes.prefix(uscc.normalise(q))]
    if kind:
        where.append("l.kind = ?")
        params.append(kind)
    if status:
        if status not in LICENCE_STATUSES:
            raise ValidationError("证照状态无效。")
        where.append(f"{LICENCE_STATUS_SQL} = ?")
        params += [today, status]
    if item_id:
        where.append("l.item_id = ?")
        params.append(int(item_id))
    if date_from:
        where.append("l.issued_on >= ?")
        params.append(date_from)
    if date_to:
        where.append("l.issued_on <= ?")
        params.append(date_to)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    with get_db().cursor() as cur:
        total = cur.execute(f"SELECT count(*) FROM licence l{cond}", params).fetchone()[0]
        frame = cur.execute(
            f"WITH hits AS (SELECT l.id FROM licence l{cond} ORDER BY l.issued_on DESC, l.id DESC"
            f" LIMIT {int(limit)})"
            f" SELECT l.id AS licence_id, l.case_id, l.licence_no, l.kind, {LICENCE_STATUS_SQL}"
            " AS status, e.name AS enterprise, e.uscc, i.name AS item, c.case_no, c.project_no,"
            " l.issued_on, l.valid_until, l.status_changed_at FROM hits"
            " JOIN licence l ON l.id = hits.id JOIN enterprise e ON e.id = l.enterprise_id"
            " JOIN item i ON i.id = l.item_id JOIN approval_case c ON c.id = l.case_id"
            " ORDER BY l.issued_on DESC, l.id DESC",
            params + [today],
        ).df()
    return frame.rename(columns=LICENCE_COLUMNS), total


def licence_detail(actor: Actor, licence_id: int) -> dict:
    _read(actor, "查看证照")
    db = get_db()
    today = clock.today()
    rows = db.dicts(
        f"SELECT l.id, l.licence_no, l.kind, {LICENCE_STATUS_SQL} AS status, l.status AS stored_status,"
        " l.issued_on, l.valid_until, l.status_changed_at, l.case_id, c.case_no, c.project_no,"
        " c.reply, e.name AS enterprise, e.uscc, i.name AS item FROM licence l"
        " JOIN approval_case c ON c.id = l.case_id JOIN enterprise e ON e.id = l.enterprise_id"
        " JOIN item i ON i.id = l.item_id WHERE l.id = ?",
        [today, licence_id],
    )
    if not rows:
        raise NotFound("证照不存在。")
    lic = rows[0]
    with db.cursor() as cur:
        require_case_visible(cur, actor, lic["case_id"])
    history = db.df(
        "SELECT le.created_at AS 时间, coalesce(le.from_status, '（入库）') AS 原状态,"
        " le.to_status AS 新状态, coalesce(le.reason, '') AS 原因, coalesce(le.ref, '') AS 依据,"
        " coalesce(u.display_name, '系统') AS 操作人 FROM licence_event le"
        " LEFT JOIN app_user u ON u.id = le.actor_id WHERE le.licence_id = ?"
        " ORDER BY le.created_at, le.id",
        [licence_id],
    )
    if lic["stored_status"] == "有效" and lic["status"] == "已过期":
        history.loc[len(history)] = [
            datetime.combine(lic["valid_until"], time.max),
            "有效",
            "已过期",
            "超过有效期",
            "",
            "系统",
        ]
    return {"licence": lic, "history": history, "scans": attachments.list_for("case", lic["case_id"])}


# -- project library ------------------------------------------------------
def list_projects(actor: Actor, *, text: str | None = None, limit: int = ARCHIVE_LIMIT) -> tuple[pd.DataFrame, int]:
    """项目库: projects by number, name or enterprise, with case/licence counts."""
    _read(actor, "查看项目库")
    where, params = [], []
    if scoped(actor):
        where.append(
            "pr.project_no IN (SELECT c.project_no FROM approval_case c WHERE c.id IN"
            " (SELECT case_id FROM push WHERE department_id = ?"
            " UNION ALL SELECT case_id FROM claim WHERE department_id = ?))"
        )
        params += [actor.department_id, actor.department_id]
    if text and text.strip():
        q = text.strip()
        where.append(
            "(pr.project_no LIKE ? ESCAPE '\\' OR pr.name LIKE ? ESCAPE '\\'"
            " OR pr.enterprise_id IN (SELECT id FROM enterprise WHERE name LIKE ? ESCAPE '\\'"
            f" OR uscc LIKE ?{ESC}))"
        )
        params += [_like(q), _like(q), _like(q), likes.prefix(uscc.normalise(q))]
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    with get_db().cursor() as cur:
        total = cur.execute(f"SELECT count(*) FROM project pr{cond}", params).fetchone()[0]
        frame = cur.execute(
            f"WITH hits AS (SELECT pr.project_no FROM project pr{cond}"
            f" ORDER BY pr.updated_at DESC, pr.project_no LIMIT {int(limit)}),"
            " cc AS (SELECT project_no, count(*) AS cases, max(decided_on) AS last_on"
            "  FROM approval_case WHERE project_no IN (SELECT project_no FROM hits) GROUP BY 1),"
            " lc AS (SELECT c.project_no, count(*) AS licences FROM licence l"
            "  JOIN approval_case c ON c.id = l.case_id"
            "  WHERE c.project_no IN (SELECT project_no FROM hits) GROUP BY 1)"
            " SELECT pr.project_no AS 项目编号, pr.name AS 项目名称, e.name AS 企业名称,"
            " e.uscc AS 统一社会信用代码, coalesce(cc.cases, 0) AS 办件数,"
            " coalesce(lc.licences, 0) AS 证照数, cc.last_on AS 最近决定日期"
            " FROM hits JOIN project pr ON pr.project_no = hits.project_no"
            " LEFT JOIN enterprise e ON e.id = pr.enterprise_id"
            " LEFT JOIN cc ON cc.project_no = pr.project_no"
            " LEFT JOIN lc ON lc.project_no = pr.project_no"
            " ORDER BY pr.updated_at DESC, pr.project_no",
            params,
        ).df()
    return frame, total


def project_detail(actor: Actor, project_no: str) -> dict:
    """A project with its cases and licences (a supervisor: the cases
    pushed or opened to their department)."""
    _read(actor, "查看项目")
    db = get_db()
    rows = db.dicts(
        "SELECT pr.project_no, pr.name, pr.created_at, e.name AS enterprise, e.uscc"
        " FROM project pr LEFT JOIN enterprise e ON e.id = pr.enterprise_id"
        " WHERE pr.project_no = ?",
        [project_no],
    )
    if not rows:
        raise NotFound("项目不存在。")
    where, params = ["c.project_no = ?"], [project_no]
    if scoped(actor):
        where.append(
            "c.id IN (SELECT case_id FROM push WHERE department_id = ?"
            " UNION ALL SELECT case_id FROM claim WHERE department_id = ?)"
        )
        params += [actor.department_id, actor.department_id]
    cond = " AND ".join(where)
    cases = db.df(
        "SELECT c.id AS case_id, c.case_no AS 办件编号, i.name AS 事项, c.stage AS 环节,"
        " c.decided_on AS 决定日期, e.name AS 企业名称, c.reply AS 批复信息"
        " FROM approval_case c JOIN item i ON i.id = c.item_id"
        f" JOIN enterprise e ON e.id = c.enterprise_id WHERE {cond}"
        " ORDER BY c.decided_on, c.id",
        params,
    )
    if scoped(actor) and cases.empty:
        raise PermissionDenied("您没有权限查看该项目：项目中没有推送给或开放给本部门的办件。")
    licences = db.df(
        f"SELECT l.id AS licence_id, l.licence_no AS 证照编号, l.kind AS 类型,"
        f" {LICENCE_STATUS_SQL} AS 状态, l.issued_on AS 发证日期, l.valid_until AS 有效期至,"
        " c.case_no AS 办件编号 FROM licence l JOIN approval_case c ON c.id = l.case_id"
        f" WHERE {cond} ORDER BY l.issued_on, l.id",
        [clock.today()] + params,
    )
    return {"project": rows[0], "cases": cases, "licences": licences}


def calendar_note(years=None) -> str | None:
    """A visible note when due dates (this month and the next) fall in years
    without official holiday data."""
    if years is None:
        today = clock.today()
        years = {today.year, (today + timedelta(days=45)).year}
    missing = workdays.fallback_years(years)
    if not missing:
        return None
    return (
        f"{'、'.join(map(str, missing))} 年的法定节假日安排尚未维护，签收期限暂按周一至周五"
        "工作日计算。国务院公布安排后，请在“系统管理 → 节假日设置”中录入放假和调休日期。"
    )


def overdue_reminder(actor: Actor) -> Reminder | None:
    """An approver's 逾期未签收推送 to-do: the overdue pushes of their own
    division's cases and of the cases they recorded, by department (the
    bureau-wide overdue pushes are a list under 签收情况, not a to-do)."""
    if not actor.has("approver"):
        return None
    cond, params = own_cases_sql(actor)
    rows = get_db().all(
        "SELECT d.name, count(*) FROM push p JOIN department d ON d.id = p.department_id"
        f" WHERE p.status = '待签收' AND p.due_on < ? AND {cond} GROUP BY 1 ORDER BY 2 DESC, 1",
        [clock.today()] + params,
    )
    by_dept = dict(rows)
    n = sum(by_dept.values())
    return Reminder("push_overdue", "本处室逾期未签收推送", n, "push", n, by_dept)
