"""The penalties stored: the list (a supervisor sees those of the
enterprises of their department's scope) and one penalty."""

from __future__ import annotations

from datetime import date

import pandas as pd

from db.connection import get_db
from sgld import likes, policy, uscc
from sgld.errors import NotFound, PermissionDenied, ValidationError
from sgld.likes import ESC
from sgld.security import Actor, require

P_LABELS = {
    "id": "编号",
    "decision_no": "决定书文号",
    "entity_name": "行政相对人",
    "uscc": "统一社会信用代码",
    "violation_type": "违法行为类型",
    "category": "处罚类别",
    "fine_wan": "罚款（万元）",
    "decision_date": "决定日期",
    "authority": "处罚机关",
    "source": "数据源",
}


def list_penalties(
    actor: Actor,
    *,
    text: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 2000,
) -> pd.DataFrame:
    """Penalties, newest first.  Supervisors see those of the enterprises
    their department supervises or has inspected."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看行政处罚")
    if date_from and date_to and date_from > date_to:
        raise ValidationError("起始日期不能晚于结束日期。")
    sql = f"SELECT {', '.join('p.' + c for c in P_LABELS)} FROM penalty p WHERE 1=1"
    where, params = policy.enterprise_filter(actor, "p.enterprise_id")
    sql += where
    q = (text or "").strip()
    if q:
        sql += f" AND (p.entity_name LIKE ?{ESC} OR p.uscc LIKE ?{ESC} OR p.decision_no LIKE ?{ESC})"
        params += [likes.contains(q), likes.prefix(uscc.normalise(q)), likes.contains(q)]
    if date_from:
        sql += " AND p.decision_date >= ?"
        params.append(date_from)
    if date_to:
        sql += " AND p.decision_date <= ?"
        params.append(date_to)
    sql += " ORDER BY p.decision_date DESC, p.id DESC LIMIT ?"
    params.append(int(limit))
    return get_db().df(sql, params).rename(columns=P_LABELS)


def get_penalty(actor: Actor, penalty_id: int) -> dict:
    require(actor, "admin", "leader", "approver", "supervisor", action="查看行政处罚")
    rows = get_db().dicts("SELECT * FROM penalty WHERE id = ?", [penalty_id])
    if not rows:
        raise NotFound("行政处罚记录不存在。")
    row = rows[0]
    if not policy.sees_all_departments(actor):
        from sgld.services.profile import can_view

        if row["enterprise_id"] is None or not can_view(actor, row["enterprise_id"]):
            raise PermissionDenied("您没有权限查看该行政处罚：只能查看本部门监管或检查过的企业。")
    return row
