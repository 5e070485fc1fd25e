"""The roster (联络员名册) and the qualification rules of 附件3 二."""

from __future__ import annotations

import calendar
from datetime import date

from db.connection import get_db
from sgld import audit, clock, policy
from sgld import validate as v
from sgld.errors import NotFound, ValidationError
from sgld.security import Actor, require, require_department
from sgld.services.liaison._base import ALLOWED_EMPLOYMENT, EMPLOYMENT_TYPES, MIN_YEARS, _bool, _today


# -- qualification ----------------------------------------------------------
def years_complete_on(joined: date, years: int = MIN_YEARS) -> date:
    """The first day on which ``years`` full years in the department are
    complete: the corresponding day ``years`` later, or the last day of that
    month when it has no such day (2024-02-29 → 2026-02-28)."""
    y = joined.year + years
    last = calendar.monthrange(y, joined.month)[1]
    return date(y, joined.month, min(joined.day, last))


def qualification_problems(
    *, employment_type: str, joined_on: date, familiar_confirmed: bool, active: bool = True, on: date
) -> list[str]:
    """Why a roster entry is not qualified on ``on`` (empty list = qualified)."""
    out = []
    if not active:
        out.append("已从本部门联络员名册中停用")
    if employment_type not in ALLOWED_EMPLOYMENT:
        out.append(f"人员类别为“{employment_type}”，不属于本部门在职公务员、在职参照公务员法管理人员或事业单位人员")
    since = years_complete_on(joined_on)
    if on < since:
        out.append(
            f"截至 {on.isoformat()} 从事本部门工作未满 {MIN_YEARS} 年"
            f"（{joined_on.isoformat()} 到本部门，{since.isoformat()} 起满 {MIN_YEARS} 年）"
        )
    if not familiar_confirmed:
        out.append("本部门尚未确认其熟悉监管工作要求、具有组织协调能力")
    return out


def _dispatch_problems(row: dict, on: date) -> list[str]:
    """Qualification problems plus what keeps a qualified person from being
    sent through the system (no active liaison account)."""
    out = qualification_problems(
        employment_type=row["employment_type"],
        joined_on=row["joined_on"],
        familiar_confirmed=row["familiar_confirmed"],
        active=row["active"],
        on=on,
    )
    if row.get("user_id") is None:
        out.append("未关联联络员系统账号，无法在系统中接收任务")
    elif not row.get("account_ok"):
        out.append("关联的系统账号已停用或不再具有联络员角色")
    return out


_ROSTER_SQL = (
    "SELECT l.id, l.department_id, d.name AS department, l.name, l.user_id,"
    " u.username, (u.active AND EXISTS (SELECT 1 FROM user_role r WHERE r.user_id = u.id"
    "  AND r.role = 'liaison')) AS account_ok,"
    " l.position, l.employment_type, l.joined_on, l.familiar_confirmed, l.confirmed_at,"
    " l.contact, l.active"
    " FROM liaison l JOIN department d ON d.id = l.department_id"
    " LEFT JOIN app_user u ON u.id = l.user_id"
)


# -- roster -----------------------------------------------------------------
def list_roster(
    actor: Actor, *, department_id: int | None = None, on: date | None = None, include_inactive: bool = True
) -> list[dict]:
    """Roster entries with their qualification on ``on`` (default today).
    Supervisors see their own department; approvers, leaders and admins any."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看联络员名册")
    if actor.has("supervisor") and not policy.sees_all_departments(actor):
        if department_id is not None and department_id != actor.department_id:
            require_department(actor, department_id, "查看其他部门的联络员名册")
        department_id = actor.department_id
    on = on or _today()
    sql, params = _ROSTER_SQL + " WHERE 1=1", []
    if department_id is not None:
        sql += " AND l.department_id = ?"
        params.append(department_id)
    if not include_inactive:
        sql += " AND l.active"
    rows = get_db().dicts(sql + " ORDER BY d.id, l.active DESC, l.name, l.id", params)
    for r in rows:
        q = qualification_problems(
            employment_type=r["employment_type"],
            joined_on=r["joined_on"],
            familiar_confirmed=r["familiar_confirmed"],
            active=r["active"],
            on=on,
        )
        r["qualified"] = not q
        r["problems"] = q
        r["years_from"] = years_complete_on(r["joined_on"])
        d = _dispatch_problems(r, on)
        r["dispatchable"] = not d
        r["dispatch_problems"] = d
    return rows


def liaison_accounts(actor: Actor) -> list[dict]:
    """Accounts of the supervisor's department holding the liaison role, for
    linking to a roster entry (with the entry they are linked to, if any)."""
    require(actor, "supervisor", action="维护联络员名册")
    return get_db().dicts(
        "SELECT u.id, u.username, u.display_name, l.id AS liaison_id FROM app_user u"
        " JOIN user_role r ON r.user_id = u.id AND r.role = 'liaison'"
        " LEFT JOIN liaison l ON l.user_id = u.id"
        " WHERE u.department_id = ? AND u.active ORDER BY u.username",
        [actor.department_id],
    )


def get_liaison(actor: Actor, liaison_id: int) -> dict:
    rows = get_db().dicts(_ROSTER_SQL + " WHERE l.id = ?", [liaison_id])
    if not rows:
        raise NotFound("联络员名册记录不存在。")
    row = rows[0]
    require(actor, "admin", "leader", "approver", "supervisor", action="查看联络员名册")
    if actor.has("supervisor") and not policy.sees_all_departments(actor):
        require_department(actor, row["department_id"], "查看其他部门的联络员")
    return row


def save_liaison(
    actor: Actor,
    *,
    name: str,
    employment_type: str,
    joined_on,
    familiar_confirmed: bool,
    position: str | None = None,
    contact: str | None = None,
    user_id: int | None = None,
    active: bool = True,
    liaison_id: int | None = None,
) -> int:
    """Add (``liaison_id`` None) or change an entry of the supervisor's own
    department's roster.  Confirming familiarity records who and when."""
    require(actor, "supervisor", action="维护联络员名册")
    name = v.text(name, "姓名", max_len=40)
    employment_type = v.choice(employment_type, EMPLOYMENT_TYPES, "人员类别")
    joined = v.parse_date(joined_on, "到本部门日期", not_future=True)
    familiar = _bool(familiar_confirmed, "部门确认熟悉监管工作")
    active = _bool(active, "在用")
    position = v.text(position, "职务", required=False, max_len=40)
    contact = v.text(contact, "联系方式", required=False, max_len=40)
    if user_id is not None:
        user_id = v.integer(user_id, "系统账号")

    def tx(cur):
        before = None
        if liaison_id is not None:
            row = cur.execute(
                "SELECT department_id, name, user_id, position, employment_type, joined_on,"
                " familiar_confirmed, contact, active, confirmed_by, confirmed_at"
                " FROM liaison WHERE id = ?",
                [liaison_id],
            ).fetchone()
            if row is None:
                raise NotFound("联络员名册记录不存在。")
            require_department(actor, row[0], "修改其他部门的联络员")
            before = dict(
                zip(
                    (
                        "department_id",
                        "name",
                        "user_id",
                        "position",
                        "employment_type",
                        "joined_on",
                        "familiar_confirmed",
                        "contact",
                        "active",
                        "confirmed_by",
                        "confirmed_at",
                    ),
                    row,
                )
            )
        dup = cur.execute(
            "SELECT id FROM liaison WHERE department_id = ? AND name = ? AND joined_on = ? AND id <> ?",
            [actor.department_id, name, joined, liaison_id or -1],
        ).fetchone()
        if dup:
            raise ValidationError(
                f"本部门名册中已有“{name}”（{joined.isoformat()} 到本部门），"
                "不能重复登记；如需更改，请选择“修改联络员”。",
                field="name",
            )
        if user_id is not None:
            u = cur.execute(
                "SELECT u.department_id, u.active, u.display_name, EXISTS (SELECT 1 FROM user_role r"
                " WHERE r.user_id = u.id AND r.role = 'liaison') FROM app_user u WHERE u.id = ?",
                [user_id],
            ).fetchone()
            if u is None:
                raise ValidationError("所选系统账号不存在。", field="user_id")
            if u[0] != actor.department_id:
                raise ValidationError("只能关联本部门的系统账号。", field="user_id")
            if not u[1] or not u[3]:
                raise ValidationError(f"账号“{u[2]}”已停用或没有联络员角色，请先由系统管理员开通。", field="user_id")
            other = cur.execute(
                "SELECT name FROM liaison WHERE user_id = ? AND id <> ?", [user_id, liaison_id or -1]
            ).fetchone()
            if other:
                raise ValidationError(
                    f"该账号已关联名册中的“{other[0]}”，一个账号只能对应一名联络员。", field="user_id"
                )
        now = clock.now()
        if before and before["familiar_confirmed"] and familiar:
            confirmed_by, confirmed_at = before["confirmed_by"], before["confirmed_at"]
        elif familiar:
            confirmed_by, confirmed_at = actor.user_id, now
        else:
            confirmed_by, confirmed_at = None, None
        after = {
            "department_id": actor.department_id,
            "name": name,
            "user_id": user_id,
            "position": position,
            "employment_type": employment_type,
            "joined_on": joined,
            "familiar_confirmed": familiar,
            "contact": contact,
            "active": active,
            "confirmed_by": confirmed_by,
            "confirmed_at": confirmed_at,
        }
        if before is None:
            new_id = cur.execute(
                "INSERT INTO liaison (department_id, name, user_id, position, employment_type,"
                " joined_on, familiar_confirmed, confirmed_by, confirmed_at, contact, active,"
                " created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " RETURNING id",
                [
                    actor.department_id,
                    name,
                    user_id,
                    position,
                    employment_type,
                    joined,
                    familiar,
                    confirmed_by,
                    confirmed_at,
                    contact,
                    active,
                    actor.user_id,
                    now,
                    now,
                ],
            ).fetchone()[0]
            audit.record(cur, actor, "create", "liaison", new_id, after=after)
            return new_id
        cur.execute(
            "UPDATE liaison SET name = ?, user_id = ?, position = ?, employment_type = ?,"
            " joined_on = ?, familiar_confirmed = ?, confirmed_by = ?, confirmed_at = ?,"
            " contact = ?, active = ?, updated_at = ? WHERE id = ?",
            [
                name,
                user_id,
                position,
                employment_type,
                joined,
                familiar,
                confirmed_by,
                confirmed_at,
                contact,
                active,
                now,
                liaison_id,
            ],
        )
        audit.record(cur, actor, "update", "liaison", liaison_id, before=before, after=after)
        return liaison_id

    return get_db().write(tx)
