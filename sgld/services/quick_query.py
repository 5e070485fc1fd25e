"""快速查询: one search box on the landing page.

The text is looked up as an enterprise name (partial) or 统一社会信用代码
(prefix), a 项目编号, an approval case number, a licence number, a
行政处罚决定书文号, a revocation request number and a special review number;
the hits come back grouped by kind, each with a link to its record (or the
enterprise profile).

Data scope follows the feature services: approvers, leaders and admins see
everything; a supervisor sees the cases, licences and projects pushed or
opened for claim to their department (``push_query``), the enterprises and
penalties of the enterprises their department supervises or has inspected
(``profile.scope_sql``), their department's revocation requests and the
special reviews it takes part in; a liaison finds only their own review
assignments.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from db.connection import get_db
from sgld import uscc
from sgld import validate as v
from sgld.errors import ValidationError
from sgld.security import Actor, require

LIMIT = 10
PAGE_PUSH = "pages/1_审批推送.py"
PAGE_SUPERVISE = "pages/2_监管录入.py"
PAGE_REVIEW = "pages/3_专项审查.py"
PAGE_LIAISON = "pages/4_联络员.py"
PAGE_PROFILE = "pages/5_企业画像.py"
HINT = "企业名称、统一社会信用代码、项目编号、办件编号、证照编号、行政处罚决定书文号"


@dataclass
class Hit:
    title: str                 # the number or name that matched
    detail: str                # one line of context
    page: str                  # page file to open
    params: dict               # query parameters naming the record
    link_label: str
    profile: dict | None = None  # {"enterprise": id} when the enterprise profile applies


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False         # more than LIMIT matched


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _tables(cur) -> set[str]:
    return {r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _dept_cases_sql() -> str:
    return ("SELECT case_id FROM push WHERE department_id = ?"
            " UNION ALL SELECT case_id FROM claim WHERE department_id = ?")


def _enterprise_scope(dept: int, tables: set[str]) -> tuple[str, list]:
    """Enterprises a supervision department may see (the profile's rule)."""
    try:
        from sgld.services.profile import scope_sql
        return scope_sql(dept)
    except ImportError:  # pragma: no cover - the profile feature is part of the app
        parts, params = [], []
        if "inspection" in tables:
            parts.append("SELECT enterprise_id FROM inspection WHERE department_id = ?")
            params.append(dept)
        parts.append("SELECT c.enterprise_id FROM approval_case c JOIN item_department d"
                     " ON d.item_id = c.item_id WHERE d.department_id = ?")
        params.append(dept)
        return " UNION ".join(parts), params


def _rows(cur, sql: str, params: list) -> tuple[list[tuple], bool]:
    rows = cur.execute(sql + f" LIMIT {LIMIT + 1}", params).fetchall()
    return rows[:LIMIT], len(rows) > LIMIT


def search(actor: Actor, text: str) -> list[Group]:
    """Grouped hits for ``text`` within the actor's data scope (kinds with no
    hit are left out)."""
    require(actor, "admin", "leader", "approver", "supervisor", "liaison", action="使用快速查询")
    q = v.text(text, "查询内容", max_len=100)
    if len(q) < 2:
        raise ValidationError("请至少输入 2 个字符。", field="查询内容")
    if not actor.has("admin", "leader", "approver", "supervisor"):
        return _liaison_search(actor, q)
    everything = actor.sees_everything or actor.has("approver")
    dept = actor.department_id
    code = uscc.normalise(q)
    groups: list[Group] = []
    db = get_db()
    with db.cursor() as cur:
        tables = _tables(cur)
        has_push = {"approval_case", "push", "claim", "licence", "project"} <= tables

        # enterprises: name (partial) or code (prefix)
        sql = ("SELECT e.id, e.name, e.uscc, e.legal_rep FROM enterprise e"
               " WHERE (e.name LIKE ? ESCAPE '\\' OR e.uscc LIKE ? ESCAPE '\\')")
        params: list = [_like(q), _prefix(code)]
        if not everything:
            scope, sp = _enterprise_scope(dept, tables)
            sql += f" AND e.id IN ({scope})"
            params += sp
        rows, more = _rows(cur, sql + " ORDER BY (e.uscc = ?) DESC, length(e.name), e.name",
                           params + [code])
        if rows:
            groups.append(Group("enterprise", "企业", [
                Hit(name, f"统一社会信用代码 {code_}" + (f" · 法定代表人 {rep}" if rep else ""),
                    PAGE_PROFILE, {"enterprise": str(eid)}, "企业画像", {"enterprise": eid})
                for eid, name, code_, rep in rows], more))

        if has_push:
            scope_cases = "" if everything else f" AND c.id IN ({_dept_cases_sql()})"
            sp = [] if everything else [dept, dept]
            # projects
            sql = ("SELECT pr.project_no, pr.name, e.name, e.id FROM project pr"
                   " LEFT JOIN enterprise e ON e.id = pr.enterprise_id"
                   " WHERE pr.project_no LIKE ? ESCAPE '\\'")
            params = [_like(q)]
            if not everything:
                sql += (" AND pr.project_no IN (SELECT c.project_no FROM approval_case c WHERE"
                        f" c.id IN ({_dept_cases_sql()}))")
                params += sp
            rows, more = _rows(cur, sql + " ORDER BY pr.project_no", params)
            if rows:
                groups.append(Group("project", "项目", [
                    Hit(no, f"{name} · {ent or ''}", PAGE_PUSH, {"project": no}, "项目库",
                        {"enterprise": eid} if eid else None)
                    for no, name, ent, eid in rows], more))
            # cases
            sql = ("SELECT c.id, c.case_no, i.name, e.name, c.stage, c.decided_on, e.id"
                   " FROM approval_case c JOIN item i ON i.id = c.item_id"
                   " JOIN enterprise e ON e.id = c.enterprise_id"
                   f" WHERE c.case_no LIKE ? ESCAPE '\\'{scope_cases}")
            rows, more = _rows(cur, sql + " ORDER BY c.decided_on DESC, c.id DESC", [_like(q)] + sp)
            if rows:
                groups.append(Group("case", "审批办件", [
                    Hit(no, f"{item} · {ent} · {stage} · {d}", PAGE_PUSH, {"case": str(cid)},
                        "办件档案", {"enterprise": eid})
                    for cid, no, item, ent, stage, d, eid in rows], more))
            # licences
            sql = ("SELECT l.id, l.licence_no, l.kind, l.status, e.name, l.issued_on, e.id"
                   " FROM licence l JOIN enterprise e ON e.id = l.enterprise_id"
                   " WHERE l.licence_no LIKE ? ESCAPE '\\'"
                   + ("" if everything else f" AND l.case_id IN ({_dept_cases_sql()})"))
            rows, more = _rows(cur, sql + " ORDER BY l.issued_on DESC, l.id DESC", [_like(q)] + sp)
            if rows:
                groups.append(Group("licence", "证照批文", [
                    Hit(no, f"{kind} · {status} · {ent} · 发证 {d}", PAGE_PUSH,
                        {"licence": str(lid)}, "证照批文库", {"enterprise": eid})
                    for lid, no, kind, status, ent, d, eid in rows], more))

        # penalties: decision number (partial) or the enterprise's code (prefix)
        if "penalty" in tables:
            sql = ("SELECT p.id, p.decision_no, p.entity_name, p.category, p.decision_date,"
                   " p.enterprise_id FROM penalty p"
                   " WHERE (p.decision_no LIKE ? ESCAPE '\\' OR p.uscc LIKE ? ESCAPE '\\')")
            params = [_like(q), _prefix(code)]
            if not everything:
                scope, sp2 = _enterprise_scope(dept, tables)
                sql += f" AND p.enterprise_id IN ({scope})"
                params += sp2
            rows, more = _rows(cur, sql + " ORDER BY p.decision_date DESC, p.id DESC", params)
            if rows:
                groups.append(Group("penalty", "行政处罚", [
                    Hit(no, f"{name} · {cat or ''} · {d}", PAGE_SUPERVISE, {"penalty": str(pid)},
                        "行政处罚", {"enterprise": eid} if eid else None)
                    for pid, no, name, cat, d, eid in rows], more))

        # revocation requests by number
        if "revocation_request" in tables:
            sql = ("SELECT r.id, r.request_no, e.name, r.requested_action, r.status, e.id"
                   " FROM revocation_request r JOIN enterprise e ON e.id = r.enterprise_id"
                   " WHERE r.request_no LIKE ? ESCAPE '\\'")
            params = [_like(q)]
            if not everything:
                sql += " AND r.department_id = ?"
                params.append(dept)
            rows, more = _rows(cur, sql + " ORDER BY r.filed_at DESC", params)
            if rows:
                groups.append(Group("revocation", "协同处理申请", [
                    Hit(no, f"{ent} · {act} · {status}", PAGE_SUPERVISE if not everything
                        else PAGE_PUSH, {"xt": str(rid)}, "协同处理",
                        {"enterprise": eid})
                    for rid, no, ent, act, status, eid in rows], more))

    # special reviews: number, project or case number (the feature's own scope)
    if {"special_review"} <= tables:
        from sgld.services import special_review as sr
        # the review list's text filter is a LIKE without escapes: keep literal matches only
        needle = q.lower()
        rows = [r for r in sr.list_reviews(actor, text=q, limit=200)
                if any(needle in str(r.get(k) or "").lower()
                       for k in ("review_no", "title", "project_no", "project_name", "case_no"))]
        if rows:
            groups.append(Group("review", "专项审查", [
                Hit(r["review_no"], f"{r['title']} · {r['status']}", PAGE_REVIEW,
                    {"review": str(r["id"])}, "专项审查")
                for r in rows[:LIMIT]], len(rows) > LIMIT))
    return groups


def _liaison_search(actor: Actor, q: str) -> list[Group]:
    """A liaison finds their own assignments (applicant, case number, letter number)."""
    from sgld.services import liaison
    needle = q.lower()
    hits = []
    for r in liaison.list_letters(actor):
        hay = " ".join(str(r.get(k) or "") for k in ("applicant", "case_no", "letter_no", "title"))
        if needle in hay.lower():
            hits.append(Hit(r["letter_no"], f"{r['title']} · {r.get('applicant') or ''} · "
                                             f"审查日期 {r['review_date']} · {r['state']}",
                            PAGE_LIAISON, {"request": str(r["id"])}, "审查任务"))
    return [Group("liaison", "我的审查任务", hits[:LIMIT], len(hits) > LIMIT)] if hits else []
