"""Departments, users, item catalogue, business settings and the audit log
(administration).  Every write checks the actor and is audited in the same
transaction."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pandas as pd

from db.connection import get_db
from sgld import audit, clock, tabular
from sgld import validate as v
from sgld.errors import NotFound, ValidationError
from sgld.security import DEPT_KINDS, ROLES, Actor, require
from sgld.services.accounts import generate_password, hash_password

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")

# business settings an administrator edits at run time: key -> (default, label)
BUSINESS_SETTINGS: dict[str, tuple[str, str]] = {
    "default_sign_limit_days": ("3", "推送签收默认时限（工作日）"),
    # revocation requests and the warning list (sgld/services/revocation.py, warning.py)
    "revocation_decision_days": ("20", "协同处理申请办理时限（工作日）"),
    "warning_fine_wan": ("10", "警示名单：单笔罚款达到（万元，0 表示不启用）"),
    "warning_penalty_categories": ("吊销,责令停产停业", "警示名单：处罚类别包含（逗号分隔，“无”表示不启用）"),
    "warning_penalty_count": ("3", "警示名单：期间内处罚次数达到（次，0 表示不启用）"),
    "warning_penalty_months": ("12", "警示名单：处罚次数统计期间（月）"),
    "warning_inspection_results": ("立案查处", "警示名单：检查结果（逗号分隔，“无”表示不启用）"),
    "warning_revoked_licence": ("1", "警示名单：证照被撤销或吊销即列入（1 是，0 否）"),
}

# numeric settings: (lowest, highest) accepted value (the same limits as the forms that set them)
NUMERIC_BOUNDS: dict[str, tuple[int, int]] = {
    "default_sign_limit_days": (1, 60),
    "revocation_decision_days": (1, 365),
    "warning_fine_wan": (0, 1_000_000),
    "warning_penalty_count": (0, 100),
    "warning_penalty_months": (1, 120),
    "warning_revoked_licence": (0, 1),
}


# -- departments ----------------------------------------------------------
def list_departments(actor: Actor, *, kind: str | None = None, include_inactive: bool = False) -> list[dict]:
    require(actor, *ROLES, action="查看部门")
    sql = (
        "SELECT d.id, d.name, d.kind, d.parent_id, p.name AS parent_name, d.active"
        " FROM department d LEFT JOIN department p ON p.id = d.parent_id WHERE 1=1"
    )
    params: list = []
    if kind:
        sql += " AND d.kind = ?"
        params.append(kind)
    if not include_inactive:
        sql += " AND d.active"
    rows = get_db().dicts(sql + " ORDER BY d.kind, d.id", params)
    for r in rows:
        r["kind_label"] = DEPT_KINDS[r["kind"]]
    return rows


def get_department(department_id: int) -> dict:
    rows = get_db().dicts("SELECT id, name, kind, parent_id, active FROM department WHERE id = ?", [department_id])
    if not rows:
        raise NotFound("部门不存在。")
    return rows[0]


def _check_dept_fields(name, kind, parent_id):
    name = v.text(name, "部门名称", max_len=60)
    kind = v.choice(kind, list(DEPT_KINDS), "部门类型")
    if parent_id is not None:
        try:
            parent_id = v.integer(parent_id, "上级部门")
            get_department(parent_id)
        except (ValidationError, NotFound):
            raise ValidationError("上级部门无效。", field="parent_id") from None
    return name, kind, parent_id


def create_department(actor: Actor, name: str, kind: str, parent_id: int | None = None) -> int:
    require(actor, "admin", action="维护部门")
    name, kind, parent_id = _check_dept_fields(name, kind, parent_id)

    db = get_db()

    def tx(cur):
        # the unique index on name is the duplicate check (one statement, not two)
        try:
            new_id = cur.execute(
                "INSERT INTO department (name, kind, parent_id, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                [name, kind, parent_id, clock.now()],
            ).fetchone()[0]
        except db.constraint_error:
            raise ValidationError(f"部门“{name}”已存在。", field="name") from None
        audit.record(
            cur, actor, "create", "department", new_id, after={"name": name, "kind": kind, "parent_id": parent_id}
        )
        return new_id

    return db.write(tx)


def update_department(
    actor: Actor, department_id: int, *, name: str, kind: str, parent_id: int | None = None, active: bool = True
) -> None:
    require(actor, "admin", action="维护部门")
    before = get_department(department_id)
    name, kind, parent_id = _check_dept_fields(name, kind, parent_id)
    if parent_id == department_id:
        raise ValidationError("上级部门不能是本部门。")

    def tx(cur):
        if cur.execute("SELECT 1 FROM department WHERE name = ? AND id <> ?", [name, department_id]).fetchone():
            raise ValidationError(f"部门“{name}”已存在。", field="name")
        if (
            not active
            and cur.execute(
                "SELECT count(*) FROM app_user WHERE department_id = ? AND active", [department_id]
            ).fetchone()[0]
        ):
            raise ValidationError("该部门仍有在用账号，不能停用。")
        cur.execute(
            "UPDATE department SET name = ?, kind = ?, parent_id = ?, active = ? WHERE id = ?",
            [name, kind, parent_id, active, department_id],
        )
        audit.record(
            cur,
            actor,
            "update",
            "department",
            department_id,
            before=before,
            after={"name": name, "kind": kind, "parent_id": parent_id, "active": active},
        )

    get_db().write(tx)


# -- users ----------------------------------------------------------------
def list_users(actor: Actor) -> list[dict]:
    require(actor, "admin", action="管理用户")
    rows = get_db().dicts(
        "SELECT u.id, u.username, u.display_name, u.department_id, d.name AS department,"
        " u.active, u.failed_attempts, u.locked_until, u.phone,"
        " coalesce(string_agg(r.role, ',' ORDER BY r.role), '') AS roles"
        " FROM app_user u JOIN department d ON d.id = u.department_id"
        " LEFT JOIN user_role r ON r.user_id = u.id"
        # API clients' backing rows are managed under 接口管理, never as people
        " WHERE u.id NOT IN (SELECT user_id FROM api_client)"
        " GROUP BY u.id, u.username, u.display_name, u.department_id, d.name, u.active,"
        " u.failed_attempts, u.locked_until, u.phone ORDER BY u.id"
    )
    now = clock.now()
    for r in rows:
        r["roles"] = [x for x in r["roles"].split(",") if x]
        r["locked"] = r["locked_until"] is not None and r["locked_until"] > now
        if r["locked_until"] is not None and not r["locked"]:
            r["failed_attempts"] = 0  # the lock ran out: the next failure starts a fresh count
    return rows


def _user_row(cur, user_id: int) -> dict:
    row = cur.execute(
        "SELECT id, username, display_name, department_id, active, phone"
        " FROM app_user WHERE id = ?"
        " AND id NOT IN (SELECT user_id FROM api_client)",
        [user_id],
    ).fetchone()
    if row is None:
        raise NotFound("用户不存在。")
    roles = sorted(r[0] for r in cur.execute("SELECT role FROM user_role WHERE user_id = ?", [user_id]).fetchall())
    return dict(zip(("id", "username", "display_name", "department_id", "active", "phone"), row)) | {"roles": roles}


def _check_user_fields(display_name, department_id, roles):
    display_name = v.text(display_name, "姓名", max_len=40)
    roles = sorted(set(roles or []))
    if not roles:
        raise ValidationError("请至少选择一个角色。", field="roles")
    for r in roles:
        if r not in ROLES:
            raise ValidationError(f"角色“{r}”无效。", field="roles")
    try:
        dept = get_department(int(department_id))
    except (TypeError, ValueError, NotFound):
        raise ValidationError("所属部门无效。", field="department_id") from None
    if not dept["active"]:
        raise ValidationError(f"部门“{dept['name']}”已停用。", field="department_id")
    return display_name, int(department_id), roles


def _active_admins_other_than(cur, user_id: int) -> int:
    return cur.execute(
        "SELECT count(*) FROM app_user u JOIN user_role r ON r.user_id = u.id"
        " WHERE r.role = 'admin' AND u.active AND u.id <> ?",
        [user_id],
    ).fetchone()[0]


def create_user(
    actor: Actor | None,
    username: str,
    display_name: str,
    department_id: int,
    roles: list[str],
    password: str | None = None,
    phone: str | None = None,
    *,
    bootstrap: bool = False,
) -> tuple[int, str]:
    """Create an account; returns (id, initial password).  A generated password
    is returned once and never stored in clear.  ``bootstrap`` is for the
    command line's first admin only."""
    if not bootstrap:
        require(actor, "admin", action="创建用户")
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "用户名应以小写字母开头，由 2–32 位小写字母、数字、下划线、点或连字符组成。", field="username"
        )
    display_name, department_id, roles = _check_user_fields(display_name, department_id, roles)
    phone = v.text(phone, "联系电话", required=False, max_len=30)
    from sgld.validate import password_problem

    if password is None:
        password = generate_password()
    elif why := password_problem(password):
        raise ValidationError(f"密码强度不足：{why}。", field="password")
    pw_hash = hash_password(password)

    def tx(cur):
        if cur.execute("SELECT 1 FROM app_user WHERE username = ?", [username]).fetchone():
            raise ValidationError(f"用户名“{username}”已被使用。", field="username")
        now = clock.now()
        uid = cur.execute(
            "INSERT INTO app_user (username, display_name, department_id, password_hash, phone,"
            " session_valid_from, created_at, updated_at, must_change_password)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            # a password an admin issued must be changed at first login; the
            # command line's first admin chose (or was shown) their own
            [username, display_name, department_id, pw_hash, phone, now, now, now, not bootstrap],
        ).fetchone()[0]
        cur.executemany("INSERT INTO user_role VALUES (?, ?)", [[uid, r] for r in roles])
        audit.record(
            cur,
            actor,
            "create",
            "user",
            uid,
            after={"username": username, "display_name": display_name, "department_id": department_id, "roles": roles},
        )
        return uid

    return get_db().write(tx), password


def update_user(
    actor: Actor, user_id: int, *, display_name: str, department_id: int, roles: list[str], phone: str | None = None
) -> None:
    require(actor, "admin", action="修改用户")
    display_name, department_id, roles = _check_user_fields(display_name, department_id, roles)
    phone = v.text(phone, "联系电话", required=False, max_len=30)

    def tx(cur):
        before = _user_row(cur, user_id)
        if user_id == actor.user_id and "admin" in before["roles"] and "admin" not in roles:
            # another admin must do it: one slip of the finger cannot lock oneself out
            raise ValidationError("不能取消自己的系统管理员角色，请由其他系统管理员操作。", field="roles")
        if (
            "admin" in before["roles"]
            and "admin" not in roles
            and before["active"]
            and _active_admins_other_than(cur, user_id) == 0
        ):
            raise ValidationError("不能取消最后一位在用系统管理员的管理员角色。")
        cur.execute(
            "UPDATE app_user SET display_name = ?, department_id = ?, phone = ?, updated_at = ? WHERE id = ?",
            [display_name, department_id, phone, clock.now(), user_id],
        )
        cur.execute("DELETE FROM user_role WHERE user_id = ?", [user_id])
        cur.executemany("INSERT INTO user_role VALUES (?, ?)", [[user_id, r] for r in roles])
        audit.record(
            cur,
            actor,
            "update",
            "user",
            user_id,
            before=before,
            after={
                **before,
                "display_name": display_name,
                "phone": phone,
                "department_id": department_id,
                "roles": roles,
            },
        )

    get_db().write(tx)


def set_user_active(actor: Actor, user_id: int, active: bool) -> None:
    require(actor, "admin", action="停用或启用用户")

    def tx(cur):
        before = _user_row(cur, user_id)
        if before["active"] == active:
            return
        if not active and user_id == actor.user_id:
            raise ValidationError("不能停用自己的账号，请由其他系统管理员操作。")
        if not active and "admin" in before["roles"] and _active_admins_other_than(cur, user_id) == 0:
            raise ValidationError("不能停用最后一位在用的系统管理员。")
        now = clock.now()
        cur.execute(
            "UPDATE app_user SET active = ?, session_valid_from = ?, updated_at = ? WHERE id = ?",
            [active, now, now, user_id],
        )
        audit.record(
            cur,
            actor,
            "activate" if active else "deactivate",
            "user",
            user_id,
            before={"active": before["active"]},
            after={"active": active},
        )

    get_db().write(tx)


def reset_password(actor: Actor, user_id: int) -> str:
    """Give the user a new random password (returned once) and end their sessions."""
    require(actor, "admin", action="重置密码")
    password = generate_password()
    pw_hash = hash_password(password)

    def tx(cur):
        _user_row(cur, user_id)
        now = clock.now()
        cur.execute(
            "UPDATE app_user SET password_hash = ?, session_valid_from = ?,"
            " failed_attempts = 0, locked_until = NULL, updated_at = ?,"
            " must_change_password = TRUE WHERE id = ?",
            [pw_hash, now, now, user_id],
        )
        audit.record(cur, actor, "reset_password", "user", user_id)

    get_db().write(tx)
    return password


def unlock_user(actor: Actor, user_id: int) -> None:
    require(actor, "admin", action="解锁账号")

    def tx(cur):
        before = _user_row(cur, user_id)
        cur.execute("UPDATE app_user SET failed_attempts = 0, locked_until = NULL WHERE id = ?", [user_id])
        audit.record(cur, actor, "unlock", "user", user_id, before={"username": before["username"]})

    get_db().write(tx)


# -- item catalogue -------------------------------------------------------
def list_items(actor: Actor, *, include_inactive: bool = False) -> list[dict]:
    require(actor, *ROLES, action="查看事项目录")
    rows = get_db().dicts(
        "SELECT i.id, i.code, i.name, i.category, i.centralised, i.sign_limit_days, i.active,"
        " coalesce(array_agg(d.name ORDER BY d.id) FILTER (WHERE d.name IS NOT NULL),"
        "  ARRAY[]::VARCHAR[]) AS departments,"
        " coalesce(array_agg(d.id ORDER BY d.id) FILTER (WHERE d.id IS NOT NULL),"
        "  ARRAY[]::INTEGER[]) AS department_ids"
        " FROM item i LEFT JOIN item_department x ON x.item_id = i.id"
        " LEFT JOIN department d ON d.id = x.department_id"
        + ("" if include_inactive else " WHERE i.active")
        + " GROUP BY i.id, i.code, i.name, i.category, i.centralised, i.sign_limit_days, i.active"
        " ORDER BY i.category, i.code"
    )
    return rows


def item_categories() -> list[str]:
    return [r[0] for r in get_db().all("SELECT DISTINCT category FROM item ORDER BY 1")]


def _check_item(code, name, category, centralised, sign_limit_days, department_ids):
    code = v.text(code, "事项编码", max_len=40)
    name = v.text(name, "事项名称", max_len=120)
    category = v.text(category, "事项分类", max_len=40)
    limit = v.integer(sign_limit_days, "签收时限（工作日）", minimum=1, maximum=60)
    # ids come from callers (form, import, API): anything but whole numbers is refused
    ids = v.id_list(department_ids, "监管（或领取）部门")
    if not ids:
        raise ValidationError("请至少选择一个监管（或领取）部门。", field="department_ids")
    db = get_db()
    found = dict(db.all(f"SELECT id, kind FROM department WHERE active AND id IN ({','.join('?' * len(ids))})", ids))
    if len(found) != len(ids):
        raise ValidationError("所选部门不存在或已停用。", field="department_ids")
    allowed = {"supervision", "licensing"}
    if any(k not in allowed for k in found.values()):
        raise ValidationError("事项的关联部门只能是监管部门或其他许可部门。", field="department_ids")
    return code, name, category, bool(centralised), limit, ids


def save_item(
    actor: Actor,
    *,
    code: str,
    name: str,
    category: str,
    centralised: bool,
    sign_limit_days: int,
    department_ids: list[int],
    item_id: int | None = None,
    active: bool = True,
) -> int:
    """Create (item_id None) or update an item of the catalogue."""
    require(actor, "admin", action="维护事项目录")
    fields = _check_item(code, name, category, centralised, sign_limit_days, department_ids)

    def tx(cur):
        return _save_item(cur, actor, fields, item_id, active)

    return get_db().write(tx)


def _save_item(cur, actor, fields, item_id, active):
    code, name, category, centralised, limit, ids = fields
    now = clock.now()
    dup = cur.execute("SELECT id FROM item WHERE code = ?", [code]).fetchone()
    if dup and dup[0] != item_id:
        raise ValidationError(f"事项编码“{code}”已存在。", field="code")
    after = {
        "code": code,
        "name": name,
        "category": category,
        "centralised": centralised,
        "sign_limit_days": limit,
        "department_ids": ids,
        "active": active,
    }
    if item_id is None:
        item_id = cur.execute(
            "INSERT INTO item (code, name, category, centralised, sign_limit_days, active,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [code, name, category, centralised, limit, active, now, now],
        ).fetchone()[0]
        before = None
    else:
        old = cur.execute(
            "SELECT code, name, category, centralised, sign_limit_days, active FROM item WHERE id = ?", [item_id]
        ).fetchone()
        if old is None:
            raise NotFound("事项不存在。")
        before = dict(zip(("code", "name", "category", "centralised", "sign_limit_days", "active"), old))
        before["department_ids"] = [
            r[0]
            for r in cur.execute(
                "SELECT department_id FROM item_department WHERE item_id = ? ORDER BY 1", [item_id]
            ).fetchall()
        ]
        cur.execute(
            "UPDATE item SET code = ?, name = ?, category = ?, centralised = ?,"
            " sign_limit_days = ?, active = ?, updated_at = ? WHERE id = ?",
            [code, name, category, centralised, limit, active, now, item_id],
        )
        cur.execute("DELETE FROM item_department WHERE item_id = ?", [item_id])
    cur.executemany("INSERT INTO item_department VALUES (?, ?)", [[item_id, d] for d in ids])
    audit.record(cur, actor, "create" if before is None else "update", "item", item_id, before=before, after=after)
    return item_id


ITEM_COLUMNS = {
    "事项编码": "code",
    "事项名称": "name",
    "事项分类": "category",
    "是否集中审批": "centralised",
    "签收时限": "sign_limit_days",
    "关联部门": "departments",
}


# an error's field (from _check_item) as the sheet's column header
_ITEM_FIELD_COLUMN = {
    "code": "事项编码",
    "签收时限（工作日）": "签收时限",
    "监管（或领取）部门": "关联部门",
    "department_ids": "关联部门",
}


def import_items(actor: Actor, frame: pd.DataFrame, *, commit: bool) -> dict:
    """Import the catalogue from a sheet with the ITEM_COLUMNS headers.
    Returns {"ok": n, "errors": [(row, field, reason)]}; with ``commit`` the
    good rows are written in one transaction (new codes created, known
    codes updated), otherwise nothing is written (preview)."""
    require(actor, "admin", action="导入事项目录")
    missing = [h for h in ITEM_COLUMNS if h not in frame.columns]
    if missing:
        raise ValidationError(f"表头缺少：{'、'.join(missing)}。应包含：{'、'.join(ITEM_COLUMNS)}")
    dept_ids = {r[1]: r[0] for r in get_db().all("SELECT id, name FROM department WHERE active")}
    good, errors = [], []
    seen = set()
    for idx, raw in enumerate(frame.to_dict("records"), start=2):
        try:
            names = [x.strip() for x in re.split(r"[，,、;；]", str(raw["关联部门"] or "")) if x.strip()]
            unknown = [n for n in names if n not in dept_ids]
            if unknown:
                raise ValidationError(f"部门不存在：{'、'.join(unknown)}", field="关联部门")
            flag = str(raw["是否集中审批"]).strip()
            if flag not in ("是", "否", "True", "False", "1", "0"):
                raise ValidationError("“是否集中审批”应填“是”或“否”", field="是否集中审批")
            fields = _check_item(
                raw["事项编码"],
                raw["事项名称"],
                raw["事项分类"],
                flag in ("是", "True", "1"),
                raw["签收时限"],
                [dept_ids[n] for n in names],
            )
            if fields[0] in seen:
                raise ValidationError(f"事项编码“{fields[0]}”在文件中重复", field="事项编码")
            seen.add(fields[0])
            good.append(fields)
        except ValidationError as exc:
            label = _ITEM_FIELD_COLUMN.get(exc.field or "", exc.field or "")
            errors.append(
                {
                    "行号": idx,
                    "字段": label,
                    "原因": tabular.field_reason(label, tabular.field_reason(exc.field or "", exc.message)),
                }
            )
    if commit and good:

        def tx(cur):
            known = dict(cur.execute("SELECT code, id FROM item").fetchall())
            for f in good:
                _save_item(cur, actor, f, known.get(f[0]), True)

        get_db().write(tx)
    return {"ok": len(good), "errors": errors}


# -- business settings ----------------------------------------------------
def get_setting(key: str) -> str:
    value = get_db().scalar("SELECT value FROM setting WHERE key = ?", [key])
    if value is not None:
        return value
    if key in BUSINESS_SETTINGS:
        return BUSINESS_SETTINGS[key][0]
    raise KeyError(key)


# the warning-list rules are set in one place only, with their recomputation
# (系统管理 → 协同处理与警示规则, sgld/services/warning.py save_rules)
WARNING_RULE_KEYS = tuple(k for k in BUSINESS_SETTINGS if k.startswith("warning_"))


def list_settings(actor: Actor) -> list[dict]:
    """The business settings edited in 系统设置 (not the warning-list rules)."""
    require(actor, "admin", action="查看系统设置")
    return [
        {"key": k, "label": label, "value": get_setting(k), "default": default}
        for k, (default, label) in BUSINESS_SETTINGS.items()
        if k not in WARNING_RULE_KEYS
    ]


def _check_setting(key: str, value) -> str:
    if key not in BUSINESS_SETTINGS:
        raise ValidationError(f"未知的设置项：{key}")
    label = BUSINESS_SETTINGS[key][1]
    value = v.text(value, label, max_len=200)
    if BUSINESS_SETTINGS[key][0].lstrip("-").replace(".", "", 1).isdigit():
        try:
            number = float(value)
        except ValueError:
            raise ValidationError(f"“{label}”应为数字。", field=key) from None
        low, high = NUMERIC_BOUNDS.get(key, (0, 1_000_000))
        if not low <= number <= high:  # also refuses NaN and infinity
            raise ValidationError(f"“{label}”应在 {low} 至 {high} 之间。", field=key)
        if BUSINESS_SETTINGS[key][0].isdigit() and not number.is_integer():
            raise ValidationError(f"“{label}”应为整数。", field=key)
    return value


def set_settings(actor: Actor, values: dict[str, str]) -> int:
    """Save a group of settings at once: all are checked first, then the
    changed ones written in one transaction (one audit row each).  Returns
    how many changed.  The warning-list rules are refused here: they are
    saved with their recomputation (warning.save_rules)."""
    require(actor, "admin", action="修改系统设置")
    checked = {}
    for key, value in values.items():
        if key in WARNING_RULE_KEYS:
            raise ValidationError(
                "警示名单列入规则请在“系统管理 → 协同处理与警示规则”中设置（保存时重新计算警示名单）。", field=key
            )
        checked[key] = _check_setting(key, value)

    def tx(cur):
        n = 0
        for key, value in checked.items():
            before = get_setting(key)
            if before == value:
                continue
            cur.execute(
                "INSERT INTO setting (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                [key, value, clock.now(), actor.username],
            )
            audit.record(cur, actor, "update", "setting", key, before={"value": before}, after={"value": value})
            n += 1
        return n

    return get_db().write(tx)


def set_setting(actor: Actor, key: str, value: str) -> None:
    set_settings(actor, {key: value})


# -- audit log ------------------------------------------------------------
# every action string passed to audit.record in sgld/ (tests/test_app_admin.py
# checks that none is missing) -> the name a person reads in 操作日志
ACTION_LABELS: dict[str, str] = {
    "acknowledge_discipline": "确认工作纪律",
    "follow_up": "落实会议决定",
    "activate": "启用",
    "approve": "审察同意",
    "attach": "上传附件",
    "change_password": "修改本人密码",
    "change_status": "变更证照状态",
    "check": "整改现场核查",
    "claim": "领取",
    "conclude": "办结",
    "create": "新建",
    "deactivate": "停用",
    "decide": "作出决定",
    "demo_load": "生成演示数据",
    "dismiss": "忽略（不导入）",
    "dispatch": "选派联络员",
    "feedback": "反馈派出部门",
    "government_decision": "市政府决定",
    "import": "批量导入",
    "issue_minutes": "印发纪要",
    "lift": "解除警示",
    "list_manual": "人工列入警示名单",
    "lock": "账号锁定",
    "login": "登录",
    "login_failed": "登录失败",
    "login_refused_locked": "锁定期间登录被拒",
    "logout": "退出登录",
    "name_attendees": "确定参会人员",
    "open_claim": "开放领取",
    "penalty_sync": "抽取行政处罚",
    "penalty_sync_failed": "抽取行政处罚失败",
    "propose": "提出审查议题",
    "push": "推送",
    "recompute": "重新计算警示名单",
    "record_meeting": "记录会议",
    "record_review": "填写审查记录",
    "redispatch": "更换联络员",
    "release": "修正并放行",
    "remove_calendar_day": "删除节假日设置",
    "reset_password": "重置密码",
    "reset_watermark": "重置增量位置",
    "restore": "恢复数据库",
    "retry": "重试投递",
    "resubmit": "重新提交审察",
    "send_back": "退回修改",
    "send_letter": "发出商请函",
    "set_calendar_day": "设置节假日",
    "sign": "签收",
    "sign_explanation": "签收书面说明",
    "sign_report": "签署现场审查情况报告",
    "sso_auto_create": "统一身份认证自动开通账号",
    "sso_bind": "绑定统一身份认证标识",
    "sso_login": "统一身份认证登录",
    "sso_refused": "统一身份认证登录被拒",
    "sso_unbind": "解除统一身份认证绑定",
    "start_verification": "开始核实",
    "submit_opinion": "提交意见",
    "unlock": "解锁账号",
    "update": "修改",
    "update_notes": "更新核实情况",
    "update_report": "修改审查报告",
    "withdraw": "撤回",
    "withdraw_letter": "撤回商请函",
    "api_auth_refused": "接口认证被拒绝",
    "rotate_secret": "更换接口密钥",
    "revoke": "吊销",
    "disable": "停用",
    "enable": "启用",
}
OBJECT_LABELS: dict[str, str] = {
    "attachment": "附件",
    "calendar_day": "节假日",
    "case": "办件",
    "claim": "领取",
    "database": "数据库",
    "department": "部门",
    "enterprise": "企业",
    "inspection": "检查记录",
    "inspection_result": "检查结果选项",
    "item": "事项",
    "liaison": "联络员",
    "liaison_discipline": "联络员工作纪律",
    "liaison_rectification": "整改事项",
    "liaison_request": "联络员商请",
    "liaison_review": "审查记录",
    "licence": "证照",
    "penalty_quarantine": "隔离数据",
    "penalty_run": "行政处罚抽取批次",
    "penalty_source": "行政处罚数据源",
    "project": "项目",
    "push": "推送",
    "revocation_request": "协同处理申请",
    "setting": "系统设置",
    "special_review": "专项审查",
    "special_review_minutes": "专项审查纪要",
    "user": "用户",
    "user_category": "窗口事项分工",
    "warning_entry": "警示名单记录",
    "warning_list": "警示名单",
    "webhook_subscription": "部门事件接收地址",
    "outbox_event": "推送事件",
    "api_client": "接口客户端",
}
# keys of the before/after records -> field names (unknown keys are shown as they are)
FIELD_LABELS: dict[str, str] = {
    "url": "接收地址",
    "secret_hint": "密钥指纹",
    "states": "投递状态",
    "state": "投递状态",
    "absence_reason": "缺席理由",
    "active": "在用",
    "address": "地址",
    "applicant_info": "申请人信息",
    "attachment_id": "附件编号",
    "attended": "出席",
    "attendees": "参会人员",
    "basis": "依据",
    "case_count": "办件数",
    "case_id": "办件编号",
    "case_no": "办件编号",
    "categories": "事项分类",
    "category": "分类",
    "centralised": "集中审批",
    "chair": "主持人",
    "claimed_at": "领取时间",
    "claimed_by": "领取人",
    "code": "编码",
    "column_mapping": "列映射",
    "comment": "说明",
    "conclusion": "结论",
    "confirmed_at": "确认时间",
    "confirmed_by": "确认人",
    "contact": "联系方式",
    "counts": "数量",
    "deadline": "期限",
    "decided_on": "决定日期",
    "decision": "决定",
    "deemed": "视为同意",
    "department": "部门",
    "department_id": "部门",
    "department_ids": "关联部门",
    "departments": "关联部门",
    "display_name": "姓名",
    "dissent": "不同意见",
    "employment_type": "用工性质",
    "enabled": "启用",
    "enterprise_id": "企业编号",
    "entity_name": "企业名称",
    "error": "错误",
    "facts": "事实",
    "failed_attempts": "连续失败次数",
    "familiar_confirmed": "熟悉监管（已确认）",
    "feedback_text": "反馈内容",
    "file": "文件",
    "file_name": "文件名",
    "fine_wan": "单笔罚款（万元）",
    "held_on": "会议日期",
    "imported": "导入",
    "is_workday": "调休上班",
    "issued_on": "发证日期",
    "joined_on": "进入部门日期",
    "kind": "类型",
    "legal_basis": "法律依据",
    "legal_rep": "法定代表人",
    "letter_no": "商请函编号",
    "liaison": "联络员",
    "liaison_id": "联络员编号",
    "licence_id": "证照编号",
    "licence_no": "证照编号",
    "listed": "新列入",
    "lifted": "解除",
    "location": "地址或目录",
    "locked_until": "锁定至",
    "months": "统计期间（月）",
    "count": "处罚次数",
    "minutes_no": "纪要编号",
    "must_change_password": "须修改密码",
    "name": "名称",
    "note": "说明",
    "notes": "核实情况",
    "opinion": "意见",
    "opinion_text": "意见",
    "outcome": "结果",
    "parent_id": "上级部门",
    "phone": "联系电话",
    "position": "职务",
    "problem": "问题",
    "project_no": "项目编号",
    "quarantined": "隔离",
    "reason": "原因",
    "recommendation": "建议",
    "record_text": "审查记录",
    "ref": "编号",
    "reply": "答复",
    "request_no": "申请编号",
    "requested_action": "申请事项",
    "requirement": "整改要求",
    "results": "检查结果",
    "review_date": "审查日期",
    "review_no": "审查编号",
    "revoked": "证照被撤销或吊销即列入",
    "roles": "角色",
    "rows_read": "读取行数",
    "rules": "规则",
    "signed_at": "签收时间",
    "signed_by": "签收人",
    "sign_limit_days": "签收时限（工作日）",
    "site_findings": "现场情况",
    "source": "数据源",
    "stage": "环节",
    "status": "状态",
    "subject": "议题",
    "table_name": "表名",
    "text": "内容",
    "trigger": "触发方式",
    "user_id": "用户编号",
    "username": "用户名",
    "uscc": "统一社会信用代码",
    "valid_until": "有效期至",
    "value": "值",
    "via": "方式",
    "watermark": "增量位置",
    "watermark_column": "增量字段",
    "push_ids": "推送编号",
    "hits_added": "新增列入依据",
    "listed_enterprise_ids": "新列入企业编号",
    "lifted_enterprise_ids": "解除企业编号",
    "enterprises_created": "新建企业",
    "duplicates": "重复",
    "mode": "方式",
    "source_kind": "来源",
    "sha256": "校验值",
    "size": "大小（字节）",
    "licence_status": "证照状态",
    "penalty_ids": "行政处罚编号",
    "inspection_ids": "检查记录编号",
    "penalty_id": "行政处罚编号",
    "request_id": "申请编号",
    "review_id": "审查编号",
    "scale": "规模",
    "app_user": "用户",
    "approval_case": "办件",
    "first_case_no": "首个办件编号",
    "last_case_no": "末个办件编号",
    "case_id_min": "最小办件编号",
    "case_id_max": "最大办件编号",
    "report_sha256": "报告校验值",
    "decision_no": "决定书文号",
    "scopes": "接口权限",
    "key_id": "客户端标识",
    "fingerprint": "密钥指纹",
    "rate_per_minute": "每分钟请求上限",
    "remote_address": "来源地址",
    "path": "接口路径",
    "count_this_minute": "本分钟次数",
}
EMPTY = "（空）"
AUDIT_LABELS = {
    "id": "序号",
    "logged_at": "时间",
    "actor": "操作人",
    "department": "部门",
    "action": "操作",
    "object_type": "对象类型",
    "object_id": "对象编号",
}


def _shown(value, key: str | None = None, names: dict | None = None) -> str:
    """One recorded value as a person reads it: never "None", true/false as
    是/否, roles and departments by name, lists joined with 、."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "roles" and isinstance(value, list):
        return "、".join(ROLES.get(str(r), str(r)) for r in value)
    if key in ("department_id", "parent_id", "department_ids", "departments") and names:
        ids = value if isinstance(value, list) else [value]
        return "、".join(names.get(i, str(i)) if isinstance(i, int) else str(i) for i in ids)
    if isinstance(value, list):
        return "、".join(_shown(x) for x in value)
    if isinstance(value, dict):
        return "；".join(f"{FIELD_LABELS.get(k, k)} {_shown(x, k, names)}" for k, x in value.items())
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T" and value[:4].isdigit():
        return value[:19].replace("T", " ")  # ISO timestamp
    return str(value)


def describe_change(before_json: str | None, after_json: str | None, names: dict | None = None) -> str:
    """Before/after records as 字段：旧值 → 新值 parts joined with ； (unchanged fields left out;
    a field only after: 字段：新值)."""
    import json

    def load(text):
        if not isinstance(text, str) or not text:  # NULL (NaN in a frame) or empty
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    before, after = load(before_json), load(after_json)
    if before is None and after is None:
        return ""
    if not isinstance(before, (dict, type(None))) or not isinstance(after, (dict, type(None))):
        old, new = _shown(before), _shown(after)
        return new if before is None else f"{old} → {new}"
    before, after = before or {}, after or {}
    lines = []
    for key in list(before) + [k for k in after if k not in before]:
        label = FIELD_LABELS.get(key, key)
        if key in before and key in after:
            if before[key] == after[key]:
                continue
            lines.append(f"{label}：{_shown(before[key], key, names)} → {_shown(after[key], key, names)}")
        elif key in after:
            lines.append(f"{label}：{_shown(after[key], key, names)}")
        else:
            lines.append(f"{label}：{_shown(before[key], key, names)} → {EMPTY}")
    return "；".join(lines)


def query_audit(
    actor: Actor,
    *,
    username: str | None = None,
    department: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """The log for people: Chinese action and object names, the change as
    字段：旧值 → 新值 lines (变更内容), no "None" anywhere."""
    require(actor, "admin", action="查看操作日志")
    if date_from and date_to and date_from > date_to:
        raise ValidationError("起始日期不能晚于结束日期。")
    sql = (
        "SELECT id, logged_at, actor, department, action, object_type, object_id, before_json,"
        " after_json FROM audit_log WHERE 1=1"
    )
    params: list = []
    for col, val in (
        ("actor", username),
        ("department", department),
        ("action", action),
        ("object_type", object_type),
        ("object_id", object_id),
    ):
        if val:
            sql += f" AND {col} = ?"
            params.append(val)
    if date_from:
        sql += " AND logged_at >= ?"
        params.append(datetime.combine(date_from, time.min))
    if date_to:
        sql += " AND logged_at <= ?"
        params.append(datetime.combine(date_to, time.max))
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(int(limit))
    db = get_db()
    frame = db.df(sql, params)
    names = dict(db.all("SELECT id, name FROM department"))
    frame["变更内容"] = [describe_change(b, a, names) for b, a in zip(frame["before_json"], frame["after_json"])]
    frame["action"] = frame["action"].map(lambda x: ACTION_LABELS.get(x, x))
    frame["object_type"] = frame["object_type"].map(lambda x: OBJECT_LABELS.get(x, x) if x else "")
    for col in ("actor", "department", "object_id"):
        frame[col] = frame[col].fillna("").astype(str)
    frame["logged_at"] = pd.to_datetime(frame["logged_at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    return frame.drop(columns=["before_json", "after_json"]).rename(columns=AUDIT_LABELS)


def audit_filter_options(actor: Actor) -> dict[str, list[str]]:
    require(actor, "admin", action="查看操作日志")
    db = get_db()
    return {
        c: [r[0] for r in db.all(f"SELECT DISTINCT {c} FROM audit_log WHERE {c} IS NOT NULL ORDER BY 1")]
        for c in ("actor", "department", "action", "object_type")
    }
