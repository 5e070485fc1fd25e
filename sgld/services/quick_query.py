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
(``policy.enterprise_sql``), their department's revocation requests and the
special reviews it takes part in; a liaison finds only their own review
assignments.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from db.connection import get_db
from sgld import policy, uscc
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
    title: str  # the number or name that matched
    detail: str  # one line of context
    page: str  # page file to open
    params: dict  # query parameters naming the record
    link_label: str
    profile: dict | None = None  # {"enterprise": id} when the enterprise profile applies
    may_open: bool = True  # the record's detail view opens for the actor
    why_not: str | None = None  # shown instead of the link when it does not
    profile_open: bool = True  # the enterprise profile opens for the actor


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # more than LIMIT matched


def _is_code(code: str) -> bool:
    """Could ``code`` (normalised) be (the beginning of) a 统一社会信用代码?"""
    return bool(code) and code.isascii() and code.isalnum()


@dataclass(frozen=True)
class _Ctx:
    q: str  # the text as typed (trimmed)
    code: str  # normalised for 统一社会信用代码
    everything: bool  # no data scope
    dept: int | None


# -- data scope, checked from the (few) hits outward -------------------------------
# Each returns a SQL condition on a hit row, with its parameters; the hit set is
# found first and only its rows are checked, so the department's whole scope is
# never built (issue 9: a supervisor's query costs about what a leader's does).
def _case_scope(col: str, dept: int) -> tuple[str, list]:
    return (
        f"(EXISTS (SELECT 1 FROM push s WHERE s.case_id = {col} AND s.department_id = ?)"
        f" OR EXISTS (SELECT 1 FROM claim s WHERE s.case_id = {col} AND s.department_id = ?))",
        [dept, dept],
    )


def _scoped(
    exact: bool,
    sql_hits: str,
    params: list,
    cond: tuple[str, list] | None,
    order: str,
    select: str,
    joins: str = "",
    order_params: list | None = None,
) -> tuple[str, list]:
    """The kind's rows: the hits (``sql_hits``) within the scope (``cond`` on
    ``h``), ordered, cut at LIMIT + 1, then joined to names (``joins``)."""
    where, wp = cond if cond else ("TRUE", [])
    op = order_params or []
    if exact:
        # a handful of rows: no Top-N, which would turn the index lookup into a scan
        return (f"SELECT {select} FROM ({sql_hits}) h {joins} WHERE {where} ORDER BY {order}", params + wp + op)
    # filter, order and cut first; only the kept rows are joined to names
    return (
        f"SELECT {select} FROM (SELECT * FROM ({sql_hits}) h WHERE {where}"
        f" ORDER BY {order} LIMIT {LIMIT + 1}) h {joins} ORDER BY {order}",
        params + wp + op + op,
    )


# -- the kinds ----------------------------------------------------------------------
# Each kind is (match, params) -> (sql, params) of its rows and a function turning
# rows into a Group.  ``match`` is the hit condition: an exact number (an index
# point lookup) or the partial rule (name and 决定书文号: contains; the other
# numbers and the code: prefix).
def _q_enterprise(ctx: _Ctx, exact: bool):
    if exact:
        if not _is_code(ctx.code):
            return None
        hit, hp = "e.uscc = ?", [ctx.code]
    elif _is_code(ctx.code):
        hit, hp = "(strpos(e.name, ?) > 0 OR starts_with(e.uscc, ?))", [ctx.q, ctx.code]
    else:
        hit, hp = "strpos(e.name, ?) > 0", [ctx.q]
    sql = f"SELECT e.id, e.name, e.uscc, e.legal_rep FROM enterprise e WHERE {hit}"
    cond = None if ctx.everything else policy.enterprise_exists("h.id", ctx.dept)
    return _scoped(
        exact,
        sql,
        hp,
        cond,
        "(h.uscc = ?) DESC, length(h.name), h.name",
        "h.id, h.name, h.uscc, h.legal_rep",
        order_params=[ctx.code],
    )


def _g_enterprise(rows, more):
    return Group(
        "enterprise",
        "企业",
        [
            Hit(
                name,
                f"统一社会信用代码 {code_}" + (f" · 法定代表人 {rep}" if rep else ""),
                PAGE_PROFILE,
                {"enterprise": str(eid)},
                "企业画像",
                {"enterprise": eid},
            )
            for eid, name, code_, rep in rows
        ],
        more,
    )


def _q_project(ctx: _Ctx, exact: bool):
    hit = "pr.project_no = ?" if exact else "starts_with(pr.project_no, ?)"
    sql = f"SELECT pr.project_no, pr.name, pr.enterprise_id FROM project pr WHERE {hit}"
    cond = None
    if not ctx.everything:
        scope, sp = _case_scope("c.id", ctx.dept)
        cond = (f"EXISTS (SELECT 1 FROM approval_case c WHERE c.project_no = h.project_no AND {scope})", sp)
    return _scoped(
        exact,
        sql,
        [ctx.q],
        cond,
        "h.project_no",
        "h.project_no, h.name, e.name, e.id",
        "LEFT JOIN enterprise e ON e.id = h.enterprise_id",
    )


def _g_project(rows, more):
    return Group(
        "project",
        "项目",
        [
            Hit(no, f"{name} · {ent or ''}", PAGE_PUSH, {"project": no}, "项目库", {"enterprise": eid} if eid else None)
            for no, name, ent, eid in rows
        ],
        more,
    )


def _q_case(ctx: _Ctx, exact: bool):
    hit = "c.case_no = ?" if exact else "starts_with(c.case_no, ?)"
    sql = f"SELECT c.id, c.case_no, c.item_id, c.enterprise_id, c.stage, c.decided_on FROM approval_case c WHERE {hit}"
    cond = None if ctx.everything else _case_scope("h.id", ctx.dept)
    return _scoped(
        exact,
        sql,
        [ctx.q],
        cond,
        "h.decided_on DESC, h.id DESC",
        "h.id, h.case_no, i.name, e.name, h.stage, h.decided_on, e.id",
        "JOIN item i ON i.id = h.item_id JOIN enterprise e ON e.id = h.enterprise_id",
    )


def _g_case(rows, more):
    return Group(
        "case",
        "审批办件",
        [
            Hit(no, f"{item} · {ent} · {stage} · {d}", PAGE_PUSH, {"case": str(cid)}, "办件档案", {"enterprise": eid})
            for cid, no, item, ent, stage, d, eid in rows
        ],
        more,
    )


def _q_licence(ctx: _Ctx, exact: bool):
    hit = "l.licence_no = ?" if exact else "starts_with(l.licence_no, ?)"
    sql = (
        "SELECT l.id, l.licence_no, l.kind, l.status, l.enterprise_id, l.issued_on, l.case_id"
        f" FROM licence l WHERE {hit}"
    )
    cond = None if ctx.everything else _case_scope("h.case_id", ctx.dept)
    return _scoped(
        exact,
        sql,
        [ctx.q],
        cond,
        "h.issued_on DESC, h.id DESC",
        "h.id, h.licence_no, h.kind, h.status, e.name, h.issued_on, e.id",
        "JOIN enterprise e ON e.id = h.enterprise_id",
    )


def _g_licence(rows, more):
    return Group(
        "licence",
        "证照批文",
        [
            Hit(
                no,
                f"{kind} · {status} · {ent} · 发证 {d}",
                PAGE_PUSH,
                {"licence": str(lid)},
                "证照批文库",
                {"enterprise": eid},
            )
            for lid, no, kind, status, ent, d, eid in rows
        ],
        more,
    )


def _q_penalty(ctx: _Ctx, exact: bool):
    code = _is_code(ctx.code)
    if exact:
        hit, hp = "p.decision_no = ?", [ctx.q]
        if code:
            hit, hp = "(p.decision_no = ? OR p.uscc = ?)", [ctx.q, ctx.code]
    else:
        hit, hp = "strpos(p.decision_no, ?) > 0", [ctx.q]
        if code:
            hit, hp = "(strpos(p.decision_no, ?) > 0 OR starts_with(p.uscc, ?))", [ctx.q, ctx.code]
    sql = (
        "SELECT p.id, p.decision_no, p.entity_name, p.category, p.decision_date,"
        f" p.enterprise_id FROM penalty p WHERE {hit}"
    )
    cond = None if ctx.everything else policy.enterprise_exists("h.enterprise_id", ctx.dept)
    return _scoped(exact, sql, hp, cond, "h.decision_date DESC, h.id DESC", "h.*")


def _g_penalty(rows, more):
    return Group(
        "penalty",
        "行政处罚",
        [
            Hit(
                no,
                f"{name} · {cat or ''} · {d}",
                PAGE_SUPERVISE,
                {"penalty": str(pid)},
                "行政处罚",
                {"enterprise": eid} if eid else None,
            )
            for pid, no, name, cat, d, eid in rows
        ],
        more,
    )


def _q_revocation(ctx: _Ctx, exact: bool):
    hit = "r.request_no = ?" if exact else "strpos(r.request_no, ?) > 0"
    sql = (
        "SELECT r.id, r.request_no, r.enterprise_id, r.requested_action, r.status,"
        f" r.filed_at, r.department_id FROM revocation_request r WHERE {hit}"
    )
    cond = None if ctx.everything else ("h.department_id = ?", [ctx.dept])
    return _scoped(
        exact,
        sql,
        [ctx.q],
        cond,
        "h.filed_at DESC",
        "h.id, h.request_no, e.name, h.requested_action, h.status, e.id",
        "JOIN enterprise e ON e.id = h.enterprise_id",
    )


def _g_revocation(everything: bool):
    def make(rows, more):
        return Group(
            "revocation",
            "协同处理申请",
            [
                Hit(
                    no,
                    f"{ent} · {act} · {status}",
                    PAGE_PUSH if everything else PAGE_SUPERVISE,
                    {"xt": str(rid)},
                    "协同处理",
                    {"enterprise": eid},
                )
                for rid, no, ent, act, status, eid in rows
            ],
            more,
        )

    return make


def _kinds(ctx: _Ctx) -> list[tuple]:
    """(kind, query builder, group maker) of every kind, in display order."""
    return [
        ("enterprise", _q_enterprise, _g_enterprise),
        ("project", _q_project, _g_project),
        ("case", _q_case, _g_case),
        ("licence", _q_licence, _g_licence),
        ("penalty", _q_penalty, _g_penalty),
        ("revocation", _q_revocation, _g_revocation(ctx.everything)),
    ]


def _run(db, sql: str, params: list) -> tuple[list[tuple], bool]:
    with db.cursor() as cur:
        rows = cur.execute(sql, params).fetchall()
    return rows[:LIMIT], len(rows) > LIMIT


def _reviews(actor: Actor, q: str) -> Group | None:
    """Special reviews: number, title, project or case number (the feature's own scope)."""
    from sgld.services import special_review as sr

    # the review list's text filter is a LIKE without escapes: keep literal matches only
    needle = q.lower()
    rows = [
        r
        for r in sr.list_reviews(actor, text=q, limit=200)
        if any(
            needle in str(r.get(k) or "").lower()
            for k in ("review_no", "title", "project_no", "project_name", "case_no")
        )
    ]
    if not rows:
        return None
    return Group(
        "review",
        "专项审查",
        [
            Hit(r["review_no"], f"{r['title']} · {r['status']}", PAGE_REVIEW, {"review": str(r["id"])}, "专项审查")
            for r in rows[:LIMIT]
        ],
        len(rows) > LIMIT,
    )


def _mark_openable(actor: Actor, groups: list[Group]) -> list[Group]:
    """Decide, by the detail views' own rules, which links open for the actor
    (issue 16.12): a case or licence by ``push.case_in_scope``, the enterprise
    profile by ``profile.can_view``; the page offers only those."""
    if policy.sees_all_departments(actor):
        return groups
    from sgld.services import profile, push

    db = get_db()
    lic_ids = [int(h.params["licence"]) for g in groups if g.kind == "licence" for h in g.hits]
    lic_case = (
        dict(db.all(f"SELECT id, case_id FROM licence WHERE id IN ({','.join('?' * len(lic_ids))})", lic_ids))
        if lic_ids
        else {}
    )
    case_of: dict[int, int | None] = {}
    for g in groups:
        for hit in g.hits:
            if g.kind == "case":
                case_of[id(hit)] = int(hit.params["case"])
            elif g.kind == "licence":
                case_of[id(hit)] = lic_case.get(int(hit.params["licence"]))
    with db.cursor() as cur:
        open_cases = push.cases_in_scope(cur, actor, [c for c in case_of.values() if c is not None])
    open_profiles = profile.viewable(
        actor,
        [
            (h.profile or {}).get("enterprise")
            for g in groups
            for h in g.hits
            if (h.profile or {}).get("enterprise") is not None
        ],
    )
    for g in groups:
        for hit in g.hits:
            if g.kind in ("case", "licence"):
                case_id = case_of.get(id(hit))
                hit.may_open = case_id is not None and case_id in open_cases
                if not hit.may_open:
                    hit.why_not = "非本部门办件"
            eid = (hit.profile or {}).get("enterprise")
            if eid is not None:
                hit.profile_open = int(eid) in open_profiles
    return groups


def search(actor: Actor, text: str) -> list[Group]:
    """Grouped hits (see ``_search``), each marked with what the actor may open."""
    return _mark_openable(actor, _search(actor, text))


def _search(actor: Actor, text: str) -> list[Group]:
    """Grouped hits for ``text`` within the actor's data scope (kinds with no
    hit are left out).

    A complete number (统一社会信用代码, 项目编号, 办件编号, 证照编号,
    决定书文号, 协同处理申请编号) is first looked up exactly through the
    tables' indexes; when it names a record, that record (and, for a code,
    the enterprise's penalties) is the answer.  Otherwise the text is
    matched partially: enterprise names and 决定书文号 contain it, the other
    numbers and the code begin with it.  The kinds' queries run at once on
    their own cursors (DuckDB releases the GIL)."""
    require(actor, "admin", "leader", "approver", "supervisor", "liaison", action="使用快速查询")
    q = v.text(text, "查询内容", max_len=100)
    if len(q) < 2:
        raise ValidationError("请至少输入 2 个字符。", field="查询内容")
    if not actor.has("admin", "leader", "approver", "supervisor"):
        return _liaison_search(actor, q)
    db = get_db()
    ctx = _Ctx(q, uscc.normalise(q), policy.sees_all_departments(actor), actor.department_id)
    kinds = _kinds(ctx)

    # 1. exact numbers: index point lookups, cheap enough to run one after another;
    #    a number outside the actor's scope still answers the query (with nothing)
    unscoped = _Ctx(ctx.q, ctx.code, True, None)
    found: list[Group] = []
    exact_hit = False
    for _kind, build, make in kinds:
        spec = build(unscoped, True)
        if spec is None:
            continue
        rows, more = _run(db, *spec)
        if rows and not ctx.everything:
            rows, more = _run(db, *build(ctx, True))
            exact_hit = True
        if rows:
            exact_hit = True
            found.append(make(rows, more))
    if exact_hit:
        g = _reviews(actor, q)
        if g:
            found.append(g)
        return found

    # 2. partial matches, every kind at once
    if db.in_transaction:
        results = {kind: _run(db, *build(ctx, False)) for kind, build, _ in kinds}
        review = _reviews(actor, q)
    else:
        with ThreadPoolExecutor(max_workers=min(4, len(kinds) + 1)) as pool:
            jobs = {kind: pool.submit(_run, db, *build(ctx, False)) for kind, build, _ in kinds}
            rjob = pool.submit(_reviews, actor, q)
            results = {kind: job.result() for kind, job in jobs.items()}
            review = rjob.result()
    groups = []
    for kind, _, make in kinds:
        rows, more = results[kind]
        if rows:
            groups.append(make(rows, more))
    if review:
        groups.append(review)
    return groups


def _liaison_search(actor: Actor, q: str) -> list[Group]:
    """A liaison finds their own assignments (applicant, case number, letter number)."""
    from sgld.services import liaison

    needle = q.lower()
    hits = []
    for r in liaison.list_letters(actor):
        hay = " ".join(str(r.get(k) or "") for k in ("applicant", "case_no", "letter_no", "title"))
        if needle in hay.lower():
            hits.append(
                Hit(
                    r["letter_no"],
                    f"{r['title']} · {r.get('applicant') or ''} · 审查日期 {r['review_date']} · {r['state']}",
                    PAGE_LIAISON,
                    {"request": str(r["id"])},
                    "审查任务",
                )
            )
    return [Group("liaison", "我的审查任务", hits[:LIMIT], len(hits) > LIMIT)] if hits else []
