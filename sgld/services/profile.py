"""企业画像: one enterprise's basic information, licences, cases, pushes,
inspections and penalties on one timeline, newest first.

The timeline is gathered from **providers**: this module's own (licences,
cases, pushes, claims, inspections, penalties) and those listed in
``sgld.services.registry``: ``profile_events(actor, enterprise_id) -> list[dict]``
(e.g. the revocation requests of the revocation issue) and
``profile_flags(actor, enterprise_id) -> list[dict]`` (e.g. warning-list
status: ``{"label": "警示名单", "text": "...", "level": "error"}``).  An event is
``{"at": datetime|date, "kind": "检查", "title": str, "detail": str,
"status": str|None, "link": {"page": "pages/…py", "params": {...}}|None,
"may_open": bool, "why_not": str}`` (``may_open``: the actor may open the
link; set here by the detail views' rules unless the provider set it).

Data scope (``sgld.policy``): approvers, leaders and admins see every
enterprise; a supervisor sees the enterprises their department supervises
(the ``item_department`` of the enterprise's cases or licences) or has inspected.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from db.connection import get_db
from sgld import likes, policy, uscc
from sgld.errors import NotFound, PermissionDenied
from sgld.likes import ESC
from sgld.security import Actor, require
from sgld.services import registry

log = logging.getLogger(__name__)

PAGE_PUSH = "pages/1_审批推送.py"
PAGE_SUPERVISE = "pages/2_监管录入.py"
PAGE_PROFILE = "pages/5_企业画像.py"


# ``enterprise_id = CAST(? AS INTEGER)``: a Python int is bound as BIGINT, and
# comparing an INTEGER column with a BIGINT casts the column, which keeps
# DuckDB from using the index on it (a full scan of 1.4M inspections at
# scale 100 instead of an index lookup).
_EID = "CAST(? AS INTEGER)"


def _placeholders(values) -> str:
    return ", ".join("?" * len(values))


# a subquery of the enterprise ids a supervision department may see
scope_sql = policy.enterprise_sql


def can_view(actor: Actor, enterprise_id: int) -> bool:
    return int(enterprise_id) in viewable(actor, [enterprise_id])


def viewable(actor: Actor, enterprise_ids) -> set[int]:
    """Of ``enterprise_ids``, those whose profile the actor may open: every
    one for a city-wide reader, for a supervisor those of their department's
    scope (``policy.enterprise_exists``), one query for a whole list of hits."""
    ids = sorted({int(i) for i in enterprise_ids})
    if not ids or policy.sees_all_departments(actor):
        return set(ids)
    if not actor.has("supervisor"):
        return set()
    cond, params = policy.enterprise_exists("e.id", actor.department_id)
    marks = ",".join("?" * len(ids))
    sql = f"SELECT e.id FROM enterprise e WHERE e.id IN ({marks}) AND {cond}"
    return {r[0] for r in get_db().all(sql, [*ids, *params])}


def search(actor: Actor, text: str, limit: int = 50) -> list[dict]:
    """Enterprises by name (partial) or code (prefix) within the actor's scope."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查询企业画像")
    q = (text or "").strip()
    if not q:
        return []
    norm = uscc.normalise(q)
    sql = f"SELECT id, uscc, name, legal_rep, address FROM enterprise WHERE (name LIKE ?{ESC} OR uscc LIKE ?{ESC})"
    where, sp = policy.enterprise_filter(actor, "id")
    sql += where
    params: list = [likes.contains(q), likes.prefix(norm), *sp]
    sql += " ORDER BY (uscc = ?) DESC, length(name), name LIMIT ?"
    return get_db().dicts(sql, params + [norm, int(limit)])


def _link(page: str, **params) -> dict:
    return {"page": page, "params": {k: str(v) for k, v in params.items()}}


# -- built-in providers ---------------------------------------------------------
def _licences(eid: int) -> list[dict]:
    return get_db().dicts(
        "SELECT l.id, l.licence_no, l.kind, l.issued_on, l.valid_until, l.status, l.case_id,"
        " i.name AS item_name FROM licence l LEFT JOIN item i ON i.id = l.item_id"
        f" WHERE l.enterprise_id = {_EID} ORDER BY l.issued_on DESC NULLS LAST, l.id DESC",
        [eid],
    )


def _cases(eid: int) -> list[dict]:
    return get_db().dicts(
        "SELECT c.id, c.case_no, c.project_no, c.stage, i.name AS item_name, c.decided_on AS at"
        f" FROM approval_case c LEFT JOIN item i ON i.id = c.item_id WHERE c.enterprise_id = {_EID}"
        " ORDER BY c.id DESC",
        [eid],
    )


def _pushes(eid: int, case_ids: list[int] | None = None) -> list[dict]:
    """The pushes of the enterprise's cases: looked up by the case ids (the
    index on push.case_id) rather than joining the whole push table."""
    db = get_db()
    if case_ids is None:
        case_ids = [r[0] for r in db.all(f"SELECT id FROM approval_case WHERE enterprise_id = {_EID}", [eid])]
    if not case_ids:
        return []
    rows = db.dicts(
        "SELECT p.id, p.case_id, p.department_id, p.stage, p.pushed_at, p.due_on, p.status, p.signed_by,"
        f" p.signed_at FROM push p WHERE p.case_id IN ({_placeholders(case_ids)})",
        case_ids,
    )
    if not rows:
        return []
    case_no = dict(db.all(f"SELECT id, case_no FROM approval_case WHERE id IN ({_placeholders(case_ids)})", case_ids))
    deps = sorted({r["department_id"] for r in rows if r["department_id"] is not None})
    dep_name = (
        dict(db.all(f"SELECT id, name FROM department WHERE id IN ({_placeholders(deps)})", deps)) if deps else {}
    )

    def user_id(signed_by) -> int | None:  # signed_by is text (TRY_CAST of before)
        text = "" if signed_by is None else str(signed_by).strip()
        return int(text) if text.lstrip("-").isdigit() else None

    signer_ids = sorted({u for u in (user_id(r["signed_by"]) for r in rows) if u is not None})
    signer = (
        dict(db.all(f"SELECT id, display_name FROM app_user WHERE id IN ({_placeholders(signer_ids)})", signer_ids))
        if signer_ids
        else {}
    )
    for r in rows:
        r["case_no"] = case_no.get(r["case_id"])
        r["department"] = dep_name.get(r.pop("department_id"))
        r["signer"] = signer.get(user_id(r["signed_by"]))
    rows.sort(key=lambda r: (r["pushed_at"] is not None, r["pushed_at"] or datetime.min), reverse=True)
    return rows


def _inspections(eid: int) -> list[dict]:
    db = get_db()
    rows = db.dicts(
        "SELECT n.id, n.inspected_at, n.place, n.result, n.findings, n.inspectors, n.department_id"
        f" FROM inspection n WHERE n.enterprise_id = {_EID} ORDER BY n.inspected_at DESC",
        [eid],
    )
    if not rows:
        return []
    deps = sorted({r["department_id"] for r in rows})
    dep_name = dict(db.all(f"SELECT id, name FROM department WHERE id IN ({_placeholders(deps)})", deps))
    keys = [str(r["id"]) for r in rows]
    files = dict(
        db.all(
            "SELECT owner_id, count(*) FROM attachment WHERE owner_type = 'inspection'"
            f" AND owner_id IN ({_placeholders(keys)}) GROUP BY owner_id",
            keys,
        )
    )
    out = []
    for r in rows:
        if r["department_id"] not in dep_name:
            continue  # the inner join with department of before
        r["department"] = dep_name[r["department_id"]]
        r["files"] = files.get(str(r["id"]), 0)
        out.append(r)
    return out


def _penalties(eid: int, code: str) -> list[dict]:
    return get_db().dicts(
        "SELECT id, decision_no, violation_type, category, content, fine_wan, confiscation_wan,"
        f" decision_date, authority, source FROM penalty WHERE enterprise_id = {_EID}"
        " ORDER BY decision_date DESC, id DESC",
        [eid],
    )


def _own_events(data: dict) -> list[dict]:
    ev: list[dict] = []
    for r in data["licences"]:
        ev.append(
            {
                "at": r["issued_on"],
                "kind": "证照",
                "title": f"{r['kind'] or '证照'} {r['licence_no']}",
                "detail": r.get("item_name") or "",
                "status": r["status"],
                "link": _link(PAGE_PUSH, licence=r["id"]),
            }
        )
    for r in data["cases"]:
        ev.append(
            {
                "at": r.get("at"),
                "kind": "办件",
                "title": f"审批办件 {r['case_no']}",
                "detail": f"{r.get('item_name') or ''}；项目编号 {r.get('project_no') or '—'}",
                "status": r.get("stage"),
                "link": _link(PAGE_PUSH, case=r["id"]),
            }
        )
    for r in data["pushes"]:
        signed = (
            f"，{r['signer'] or r['signed_by']} 于 {r['signed_at']:%Y-%m-%d %H:%M} 签收" if r.get("signed_at") else ""
        )
        ev.append(
            {
                "at": r["pushed_at"],
                "kind": "推送",
                "title": f"推送至{r['department']}（办件 {r['case_no']}）",
                "detail": f"{r.get('stage') or ''}{signed}",
                "status": r["status"],
                "link": _link(PAGE_PUSH, case=r["case_id"]),
            }
        )
    for r in data["inspections"]:
        ev.append(
            {
                "at": r["inspected_at"],
                "kind": "检查",
                "title": f"{r['department']}日常检查：{r['result']}",
                "detail": f"{r['place']}；检查人员 {r['inspectors']}"
                + (f"；证据材料 {r['files']} 份" if r["files"] else ""),
                "status": r["result"],
                "link": _link(PAGE_SUPERVISE, inspection=r["id"]),
            }
        )
    for r in data["penalties"]:
        fine = f"；罚款 {float(r['fine_wan']):g} 万元" if r["fine_wan"] is not None else ""
        ev.append(
            {
                "at": r["decision_date"],
                "kind": "处罚",
                "title": f"行政处罚 {r['decision_no']}",
                "detail": f"{r['authority'] or ''}：{r['category'] or ''}{fine}",
                "status": r["category"],
                "link": _link(PAGE_SUPERVISE, penalty=r["id"]),
            }
        )
    return ev


NOT_OWN_CASE = "非本部门办件"
NOT_OWN_INSPECTION = "非本部门检查记录"


def _mark_openable(actor: Actor, data: dict, events: list[dict]) -> None:
    """Set ``may_open`` (and ``why_not``) on each event by the rule its record's
    detail view applies, so the page offers 查看 only where it will open
    (issue 16.12): cases, licences and pushes by ``push.case_in_scope``,
    inspections by ``inspection.can_see``."""
    from sgld.services import inspection, push

    case_ok: dict[int, bool] = {}

    def case_open(case_id) -> bool:
        if case_id is None:
            return False
        if case_id not in case_ok:
            with get_db().cursor() as cur:
                case_ok[case_id] = bool(push.case_in_scope(cur, actor, int(case_id)))
        return case_ok[case_id]

    licence_case = {r["id"]: r.get("case_id") for r in data["licences"]}
    inspection_dept = {r["id"]: r["department_id"] for r in data["inspections"]}
    for e in events:
        link = e.get("link") or {}
        params = link.get("params") or {}
        ok, why = True, None
        if link.get("page") == PAGE_PUSH and "case" in params:
            ok, why = case_open(int(params["case"])), NOT_OWN_CASE
        elif link.get("page") == PAGE_PUSH and "licence" in params:
            ok, why = case_open(licence_case.get(int(params["licence"]))), NOT_OWN_CASE
        elif link.get("page") == PAGE_SUPERVISE and "inspection" in params:
            dept = inspection_dept.get(int(params["inspection"]))
            ok, why = dept is not None and inspection.can_see(actor, dept), NOT_OWN_INSPECTION
        e.setdefault("may_open", ok)
        if not e["may_open"]:
            e.setdefault("why_not", why or "无权查看")


def _providers(name: str):
    fns = {"profile_events": registry.PROFILE_EVENTS, "profile_flags": registry.PROFILE_FLAGS}[name]
    for fn in fns:
        yield fn.__module__.rsplit(".", 1)[-1], fn


def _sort_key(e: dict):
    at = e.get("at")
    if at is None:
        return datetime.min
    if isinstance(at, datetime):
        return at
    if isinstance(at, date):
        return datetime(at.year, at.month, at.day, 23, 59, 59)
    return datetime.min


def profile(actor: Actor, enterprise_id: int) -> dict:
    """Everything about one enterprise the actor may see."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看企业画像")
    rows = get_db().dicts(
        f"SELECT id, uscc, name, legal_rep, address, created_at FROM enterprise WHERE id = {_EID}", [enterprise_id]
    )
    if not rows:
        raise NotFound("企业不存在。")
    if not can_view(actor, enterprise_id):
        raise PermissionDenied("您没有权限查看该企业画像：只能查看本部门监管或检查过的企业。")
    ent = rows[0]
    cases = _cases(enterprise_id)
    data = {
        "enterprise": ent,
        "licences": _licences(enterprise_id),
        "cases": cases,
        "pushes": _pushes(enterprise_id, [c["id"] for c in cases]),
        "inspections": _inspections(enterprise_id),
        "penalties": _penalties(enterprise_id, ent["uscc"]),
        "flags": [],
    }
    events = _own_events(data)
    for name, fn in _providers("profile_events"):
        try:
            events.extend(fn(actor, enterprise_id) or [])
        except Exception:  # noqa: BLE001 - one provider must not break the profile
            log.exception("profile_events provider %s failed", name)
    for name, fn in _providers("profile_flags"):
        try:
            data["flags"].extend(fn(actor, enterprise_id) or [])
        except Exception:  # noqa: BLE001
            log.exception("profile_flags provider %s failed", name)
    _mark_openable(actor, data, events)
    events.sort(key=_sort_key, reverse=True)
    data["timeline"] = events
    data["counts"] = {
        "licences_valid": sum(1 for r in data["licences"] if r["status"] == "有效"),
        "licences": len(data["licences"]),
        "cases": len(data["cases"]),
        "pushes": len(data["pushes"]),
        "inspections": len(data["inspections"]),
        "penalties": len(data["penalties"]),
        "fines_wan": sum(float(r["fine_wan"] or 0) for r in data["penalties"]),
    }
    return data
