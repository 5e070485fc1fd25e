"""协同处理: revocation requests from supervision departments (attachment 1,
sections 三 and 四 of the notice).

A supervision department files a 协同处理申请单 against one of an
enterprise's valid licences — requested action (撤销许可决定 / 吊销许可证 /
吊销营业执照), facts, legal basis, evidence (its inspections, the
enterprise's penalties, uploaded files).  The request becomes a to-do of the
bureau's window staff for the item (the approvers who handle the item's
category in ``user_category``; a category nobody handles goes to every
approver), due ``revocation_decision_days`` working days after filing.

States: 已提交 → 核实中 → 已撤销 | 不予撤销, and 已撤回 (the department may
withdraw until the bureau starts verifying); the table is
``workflows.REVOCATION`` (drawn in docs/workflows.md).

* **Revoke**: in one transaction the licence status changes in the library
  (:func:`sgld.services.push.change_licence_status`, history kept, the
  request number as reference), the result is pushed again
  (:func:`sgld.services.push.push_case_result`) to the item's supervising
  departments and the requesting department as new pushes needing sign-off,
  and the warning list is recomputed.
* **Refuse**: the written explanation (书面说明) is rendered as an official
  letter (.docx), stored as an attachment of the request, and listed for the
  department, which signs for it.

Both decisions re-check the status inside the write transaction; the
process-wide write lock serialises two approvers deciding at once, so
exactly one wins and the other gets a clear message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd

from db.connection import get_db
from sgld import attachments, audit, clock, likes, policy, settings, workdays, workflows
from sgld import validate as v
from sgld.documents import Letter, cn_date, render
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.likes import ESC
from sgld.reminders import Reminder
from sgld.security import Actor, require
from sgld.services import outbox, push

ACTIONS = ("撤销许可决定", "吊销许可证", "吊销营业执照")
STATUSES = ("已提交", "核实中", "已撤销", "不予撤销", "已撤回")
OPEN = ("已提交", "核实中")
DECIDED = ("已撤销", "不予撤销")
SOURCES = ("企业画像", "日常检查", "行政处罚")
NEW_STATUS = {"撤销许可决定": "已撤销", "吊销许可证": "已吊销", "吊销营业执照": "已吊销"}
KIND_FOR_ACTION = {"吊销许可证": "许可证", "吊销营业执照": "营业执照"}
MAX_FILES = 20
OWNER = "revocation_request"
WORKFLOW = workflows.REVOCATION  # the states and transitions (sgld/workflows.py)
PAGE_PUSH = "pages/1_审批推送.py"
PAGE_SUPERVISE = "pages/2_监管录入.py"


# -- settings & helpers -----------------------------------------------------------
def decision_days() -> int:
    from sgld.services.org import get_setting

    try:
        return max(1, int(float(get_setting("revocation_decision_days"))))
    except (TypeError, ValueError):
        return 20


def _writer(actor: Actor | None, *roles: str, action: str) -> Actor:
    return push.require_writer(actor, *roles, action=action)


def _effective_status(status: str, valid_until, today) -> str:
    if status == "有效" and valid_until is not None and valid_until < today:
        return "已过期"
    return status


def _user_name(cur, user_id) -> str:
    if user_id is None:
        return "—"
    row = cur.execute("SELECT display_name FROM app_user WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else "（未知）"


# -- who handles which item category ------------------------------------------------
_APPROVERS_SQL = (
    "SELECT u.id FROM app_user u JOIN user_role r ON r.user_id = u.id WHERE r.role = 'approver' AND u.active"
)


def assignees(cur, category: str) -> list[int]:
    """Approvers who handle ``category``; every active approver when none does."""
    ids = [
        r[0]
        for r in cur.execute(
            f"SELECT uc.user_id FROM user_category uc WHERE uc.category = ?"
            f" AND uc.user_id IN ({_APPROVERS_SQL}) ORDER BY 1",
            [category],
        ).fetchall()
    ]
    if ids:
        return ids
    return [r[0] for r in cur.execute(_APPROVERS_SQL + " ORDER BY u.id").fetchall()]


def _todo_cond(alias: str = "q") -> str:
    """SQL condition: the request is assigned to approver ``?``."""
    return (
        f"({alias}.category IN (SELECT category FROM user_category WHERE user_id = ?)"
        f" OR NOT EXISTS (SELECT 1 FROM user_category uc WHERE uc.category = {alias}.category"
        f"  AND uc.user_id IN ({_APPROVERS_SQL})))"
    )


def list_user_categories(actor: Actor) -> pd.DataFrame:
    require(actor, "admin", action="维护窗口事项分工")
    return get_db().df(
        "SELECT u.id AS user_id, u.username AS 用户名, u.display_name AS 姓名, d.name AS 部门,"
        " coalesce((SELECT string_agg(category, '、' ORDER BY category) FROM user_category uc"
        "  WHERE uc.user_id = u.id), '') AS 负责事项分类"
        " FROM app_user u JOIN department d ON d.id = u.department_id"
        " WHERE u.active AND u.id IN (SELECT user_id FROM user_role WHERE role = 'approver')"
        " ORDER BY u.id"
    )


def user_categories(user_id: int) -> list[str]:
    return [r[0] for r in get_db().all("SELECT category FROM user_category WHERE user_id = ? ORDER BY 1", [user_id])]


def set_user_categories(actor: Actor, user_id: int, categories) -> None:
    """The item categories an approver handles (replaces the previous set)."""
    require(actor, "admin", action="维护窗口事项分工")
    cats = sorted({str(c).strip() for c in (categories or []) if str(c).strip()})

    def tx(cur):
        if not cur.execute(
            "SELECT 1 FROM user_role r JOIN app_user u ON u.id = r.user_id WHERE r.user_id = ? AND r.role = 'approver'",
            [user_id],
        ).fetchone():
            raise ValidationError("只能为审批局经办人（窗口工作人员）分配事项分类。")
        known = {r[0] for r in cur.execute("SELECT DISTINCT category FROM item").fetchall()}
        bad = [c for c in cats if c not in known]
        if bad:
            raise ValidationError(f"事项分类“{'、'.join(bad)}”不存在。")
        before = [
            r[0]
            for r in cur.execute(
                "SELECT category FROM user_category WHERE user_id = ? ORDER BY 1", [user_id]
            ).fetchall()
        ]
        if before == cats:
            return
        cur.execute("DELETE FROM user_category WHERE user_id = ?", [user_id])
        if cats:
            cur.executemany("INSERT INTO user_category VALUES (?, ?)", [[user_id, c] for c in cats])
        audit.record(
            cur, actor, "update", "user_category", user_id, before={"categories": before}, after={"categories": cats}
        )

    get_db().write(tx)


# -- filing ---------------------------------------------------------------------------
def filing_options(actor: Actor, enterprise_id: int) -> dict:
    """What a supervisor may file against for one enterprise: its licences
    (with whether each can be the object of a request), the department's
    inspections of it and its penalties."""
    require(actor, "supervisor", action="提请协同处理")
    from sgld.services import profile

    db = get_db()
    ent = db.dicts("SELECT id, uscc, name FROM enterprise WHERE id = ?", [enterprise_id])
    if not ent:
        raise NotFound("企业不存在。")
    if not profile.can_view(actor, enterprise_id):
        raise PermissionDenied("您没有权限对该企业提请协同处理：只能针对本部门监管或检查过的企业。")
    today = clock.today()
    lic = db.dicts(
        "SELECT l.id, l.licence_no, l.kind, l.status, l.valid_until, l.issued_on, i.name AS item,"
        " i.category, (SELECT request_no FROM revocation_request q WHERE q.licence_id = l.id"
        "  AND q.status IN ('已提交', '核实中') LIMIT 1) AS open_request"
        " FROM licence l JOIN item i ON i.id = l.item_id WHERE l.enterprise_id = ?"
        " ORDER BY l.issued_on DESC, l.id DESC",
        [enterprise_id],
    )
    for r in lic:
        r["status"] = _effective_status(r["status"], r["valid_until"], today)
        r["fileable"] = r["status"] == "有效" and not r["open_request"]
    ins = db.dicts(
        "SELECT id, inspected_at, result, place FROM inspection WHERE enterprise_id = ?"
        " AND department_id = ? ORDER BY inspected_at DESC LIMIT 200",
        [enterprise_id, actor.department_id],
    )
    pen = db.dicts(
        "SELECT id, decision_no, decision_date, category, fine_wan, authority FROM penalty"
        " WHERE enterprise_id = ? ORDER BY decision_date DESC LIMIT 200",
        [enterprise_id],
    )
    return {"enterprise": ent[0], "licences": lic, "inspections": ins, "penalties": pen}


def _ids(values, what: str) -> list[int]:
    # the shared rule: whole numbers in the BIGINT range (int(3.7) and
    # int("9" * 30) used to pass here and fail later, or pick the wrong row)
    return v.id_list(values or [], what)


def _next_no(cur, year: int) -> str:
    n = (
        cur.execute(
            "SELECT max(CAST(split_part(request_no, '-', 2) AS INTEGER)) FROM revocation_request"
            " WHERE request_no LIKE ?",
            [f"XT{year}-%"],
        ).fetchone()[0]
        or 0
    )
    return f"XT{year}-{n + 1:04d}"


def file_request(
    actor: Actor,
    *,
    licence_id: int,
    requested_action: str,
    facts: str,
    legal_basis: str,
    inspection_ids=(),
    penalty_ids=(),
    files=(),
    source_kind: str = "企业画像",
    department_id: int | None = None,
) -> int:
    """A supervision department files a request against a valid licence;
    returns the request id."""
    _writer(actor, "supervisor", action="提请协同处理")
    if (
        department_id is not None
        and v.integer(department_id, "提请部门", minimum=-v.MAX_ID - 1, maximum=v.MAX_ID) != actor.department_id
    ):
        raise PermissionDenied(f"不能代其他部门提请协同处理：申请只能以本部门（{actor.department_name}）名义提交。")
    action = v.choice(requested_action, ACTIONS, "提请事项")
    facts = v.text(facts, "事实与理由", max_len=4000, multiline=True)
    basis = v.text(legal_basis, "法律依据", max_len=1000, multiline=True)
    source_kind = v.choice(source_kind, SOURCES, "申请来源")
    ins_ids, pen_ids = _ids(inspection_ids, "检查记录"), _ids(penalty_ids, "行政处罚")
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError(f"一次最多上传 {MAX_FILES} 个证据材料。", field="file")
    checked = [f if isinstance(f, attachments.Checked) else attachments.check_upload(f[0], f[1]) for f in files]
    try:
        licence_id = v.integer(licence_id, "证照", minimum=1, maximum=v.MAX_ID)
    except ValidationError:
        raise ValidationError("请选择要提请处理的证照。", field="licence") from None

    def tx(cur):
        from sgld.services import profile

        row = cur.execute(
            "SELECT l.licence_no, l.kind, l.status, l.valid_until, l.enterprise_id, l.item_id,"
            " l.case_id, i.category, e.name FROM licence l JOIN item i ON i.id = l.item_id"
            " JOIN enterprise e ON e.id = l.enterprise_id WHERE l.id = ?",
            [licence_id],
        ).fetchone()
        if row is None:
            raise NotFound("证照不存在。")
        no, kind, status, until, eid, item_id, case_id, category, ename = row
        if not profile.can_view(actor, eid):
            raise PermissionDenied("您没有权限对该企业提请协同处理：只能针对本部门监管或检查过的企业。")
        eff = _effective_status(status, until, clock.today())
        if eff != "有效":
            raise ValidationError(f"证照“{no}”当前状态为“{eff}”，只能对有效的证照提请协同处理。", field="licence")
        need = KIND_FOR_ACTION.get(action)
        if need and kind != need:
            raise ValidationError(
                f"证照“{no}”是{kind}，不能提请“{action}”；请选择“撤销许可决定”或选择{need}。", field="requested_action"
            )
        dup = cur.execute(
            "SELECT request_no, status FROM revocation_request WHERE licence_id = ? AND status IN ('已提交', '核实中')",
            [licence_id],
        ).fetchone()
        if dup:
            raise ValidationError(
                f"证照“{no}”已有正在办理的协同处理申请（{dup[0]}，{dup[1]}），请勿重复提请。", field="licence"
            )
        if ins_ids:
            ok = cur.execute(
                f"SELECT count(*) FROM inspection WHERE id IN ({','.join('?' * len(ins_ids))})"
                " AND enterprise_id = ? AND department_id = ?",
                [*ins_ids, eid, actor.department_id],
            ).fetchone()[0]
            if ok != len(ins_ids):
                raise ValidationError("所选检查记录不存在、不属于该企业或不是本部门的检查。", field="inspections")
        if pen_ids:
            ok = cur.execute(
                f"SELECT count(*) FROM penalty WHERE id IN ({','.join('?' * len(pen_ids))}) AND enterprise_id = ?",
                [*pen_ids, eid],
            ).fetchone()[0]
            if ok != len(pen_ids):
                raise ValidationError("所选行政处罚不存在或不属于该企业。", field="penalties")
        now = clock.now()
        req_no = _next_no(cur, now.year)
        deadline = workdays.add_workdays(now, decision_days())
        rid = cur.execute(
            "INSERT INTO revocation_request (request_no, licence_id, enterprise_id, item_id, category,"
            " department_id, requested_action, facts, legal_basis, source_kind, status, filed_by,"
            " filed_at, deadline, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '已提交', ?, ?, ?, ?)"
            " RETURNING id",
            [
                req_no,
                licence_id,
                eid,
                item_id,
                category,
                actor.department_id,
                action,
                facts,
                basis,
                source_kind,
                actor.user_id,
                now,
                deadline,
                now,
            ],
        ).fetchone()[0]
        ev = [[rid, "inspection", i] for i in ins_ids] + [[rid, "penalty", p] for p in pen_ids]
        if ev:
            cur.executemany("INSERT INTO revocation_evidence VALUES (?, ?, ?)", ev)
        audit.record(
            cur,
            actor,
            "create",
            OWNER,
            rid,
            after={
                "request_no": req_no,
                "licence_id": licence_id,
                "licence_no": no,
                "enterprise_id": eid,
                "requested_action": action,
                "facts": facts,
                "legal_basis": basis,
                "inspection_ids": ins_ids,
                "penalty_ids": pen_ids,
                "deadline": deadline,
                "department_id": actor.department_id,
                "source_kind": source_kind,
            },
        )
        for f in checked:
            attachments.attach(cur, actor, OWNER, rid, f)
        push.add_case_event(
            cur, actor, case_id, "协同处理申请", f"{actor.department_name}提请对证照 {no} {action}（{req_no}）"
        )
        return rid

    return get_db().write(tx)


def _load(cur, request_id: int) -> dict:
    cur.execute("SELECT * FROM revocation_request WHERE id = ?", [request_id])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise NotFound("协同处理申请不存在。")
    return dict(zip(cols, row))


def withdraw(actor: Actor, request_id: int, reason: str | None = None) -> None:
    """The requesting department withdraws its request (only while 已提交)."""
    _writer(actor, "supervisor", action="撤回协同处理申请")
    reason = v.text(reason, "撤回原因", required=False, max_len=500, multiline=True)

    def tx(cur):
        r = _load(cur, request_id)
        if r["department_id"] != actor.department_id:
            raise PermissionDenied("只能撤回本部门提交的协同处理申请。")
        workflows.check(
            WORKFLOW,
            "withdraw",
            r["status"],
            actor,
            refused={
                "核实中": lambda: f"审批局已于 {r['verify_started_at']:%Y-%m-%d %H:%M} 开始核实，申请不能再撤回。"
            },
        )
        now = clock.now()
        cur.execute(
            "UPDATE revocation_request SET status = '已撤回', withdrawn_by = ?, withdrawn_at = ?,"
            " withdraw_reason = ?, updated_at = ? WHERE id = ? AND status = '已提交'",
            [actor.user_id, now, reason, now, request_id],
        )
        audit.record(
            cur,
            actor,
            "withdraw",
            OWNER,
            request_id,
            before={"status": "已提交"},
            after={"status": "已撤回", "reason": reason},
        )

    get_db().write(tx)


# -- bureau: verification and decision -------------------------------------------------
def _require_assigned(cur, actor: Actor, r: dict) -> None:
    ids = assignees(cur, r["category"])
    if actor.user_id not in ids:
        names = "、".join(_user_name(cur, i) for i in ids[:5]) or "—"
        raise PermissionDenied(f"该申请的事项属于“{r['category']}”类，由负责该类事项的窗口工作人员（{names}）办理。")


def _decided(cur, r: dict) -> dict[str, str | Callable[[], str]]:
    """The refusal of a second decision, for each decided state."""

    def msg() -> str:
        return (
            f"该申请已于 {r['decided_at']:%Y-%m-%d %H:%M} 由 {_user_name(cur, r['decided_by'])}"
            f" 作出决定（{r['status']}），不能重复决定。"
        )

    return dict.fromkeys(DECIDED, msg)


def start_verification(actor: Actor, request_id: int, notes: str | None = None) -> None:
    """已提交 → 核实中 (from now on the department can no longer withdraw)."""
    _writer(actor, "approver", action="核实协同处理申请")
    notes = v.text(notes, "核实情况", required=False, max_len=4000, multiline=True)

    def tx(cur):
        r = _load(cur, request_id)
        _require_assigned(cur, actor, r)
        workflows.check(
            WORKFLOW,
            "start_verification",
            r["status"],
            actor,
            refused={
                **_decided(cur, r),
                "已撤回": "该申请已由提请部门撤回，无需核实。",
                "核实中": lambda: (
                    f"该申请已于 {r['verify_started_at']:%Y-%m-%d %H:%M} 由 "
                    f"{_user_name(cur, r['verifier_id'])} 开始核实。"
                ),
            },
        )
        now = clock.now()
        cur.execute(
            "UPDATE revocation_request SET status = '核实中', verifier_id = ?,"
            " verify_started_at = ?, verification_notes = coalesce(?, verification_notes),"
            " updated_at = ? WHERE id = ? AND status = '已提交'",
            [actor.user_id, now, notes, now, request_id],
        )
        audit.record(
            cur,
            actor,
            "start_verification",
            OWNER,
            request_id,
            before={"status": "已提交"},
            after={"status": "核实中", "notes": notes},
        )

    get_db().write(tx)


def save_notes(actor: Actor, request_id: int, notes: str) -> None:
    """Record (or update) the verification notes while 核实中."""
    _writer(actor, "approver", action="记录核实情况")
    notes = v.text(notes, "核实情况", max_len=4000, multiline=True)

    def tx(cur):
        r = _load(cur, request_id)
        _require_assigned(cur, actor, r)
        workflows.check(
            WORKFLOW,
            "save_notes",
            r["status"],
            actor,
            refused={s: f"该申请当前状态为“{s}”，只有核实中的申请可以记录核实情况。" for s in STATUSES},
        )
        cur.execute(
            "UPDATE revocation_request SET verification_notes = ?, updated_at = ? WHERE id = ?",
            [notes, clock.now(), request_id],
        )
        audit.record(
            cur,
            actor,
            "update_notes",
            OWNER,
            request_id,
            before={"notes": r["verification_notes"]},
            after={"notes": notes},
        )

    get_db().write(tx)


def _explanation(cur, handler: str, r: dict, notes: str, reason: str, issued=None) -> tuple[str, bytes]:
    lic = cur.execute(
        "SELECT l.licence_no, l.kind, i.name FROM licence l JOIN item i ON i.id = l.item_id WHERE l.id = ?",
        [r["licence_id"]],
    ).fetchone()
    ent = cur.execute("SELECT name, uscc FROM enterprise WHERE id = ?", [r["enterprise_id"]]).fetchone()
    dept = cur.execute("SELECT name FROM department WHERE id = ?", [r["department_id"]]).fetchone()[0]
    today = issued or clock.today()
    seq = int(r["request_no"].split("-")[1])
    action = r["requested_action"]
    body = [
        f"你单位于{cn_date(r['filed_at'].date())}提交的协同处理申请单（编号 {r['request_no']}）收悉。"
        f"你单位提请对{ent[0]}（统一社会信用代码：{ent[1]}）的{lic[2]}（{lic[1]}编号：{lic[0]}）"
        f"作出“{action}”的处理。",
        f"我局收到申请后，依照《南通市相对集中行政许可权事项审批与监管信息交流制度（试行）》，"
        f"对撤销理由进行了核实。核实情况如下：\n{notes}",
        f"经核实，该申请不符合{action}的情形，我局决定不予{action}。理由如下：\n{reason}",
        "如你单位掌握新的事实和证据，可重新提出协同处理申请。",
        "特此说明。",
    ]
    letter = Letter(
        issuer=settings.get().bureau_name,
        title=f"关于{ent[0]}协同处理申请的书面说明",
        body=body,
        issued_on=today,
        addressee=dept,
        doc_no=f"审批协说〔{today.year}〕{seq}号",
        headings={1: "一、核实情况", 2: "二、处理意见及理由"},
        signer_note=f"（经办人：{handler}）",
    )
    return f"书面说明-{r['request_no']}.docx", render(letter)


def decide(actor: Actor, request_id: int, *, revoke: bool, reason: str, notes: str | None = None) -> dict:
    """Decide a request: revoke (licence status, re-push, warning list) or
    refuse (written explanation).  ``notes`` (核实情况) are required unless
    already recorded.  Returns {"status", "pushes"?, "attachment_id"?}."""
    _writer(actor, "approver", action="作出协同处理决定")
    label = "撤销（吊销）理由" if revoke else "不予撤销的理由"
    reason = v.text(reason, label, max_len=4000, multiline=True)
    notes = v.text(notes, "核实情况", required=False, max_len=4000, multiline=True)

    def tx(cur):
        r = _load(cur, request_id)
        _require_assigned(cur, actor, r)
        workflows.check(
            WORKFLOW,
            "revoke" if revoke else "refuse",
            r["status"],
            actor,
            refused={**_decided(cur, r), "已撤回": "该申请已由提请部门撤回，不能作出决定。"},
        )
        the_notes = notes or r["verification_notes"]
        if not the_notes:
            raise ValidationError("请填写“核实情况”：审批局须对撤销理由进行核实后再作决定。", field="核实情况")
        now = clock.now()
        result: dict = {}
        if revoke:
            lic = cur.execute(
                "SELECT status, valid_until, licence_no, case_id FROM licence WHERE id = ?", [r["licence_id"]]
            ).fetchone()
            eff = _effective_status(lic[0], lic[1], clock.today())
            if eff != "有效":
                raise StateError(
                    f"证照“{lic[2]}”当前状态为“{eff}”，不能再{r['requested_action']}；请作出不予撤销决定并说明情况。"
                )
            new_status = NEW_STATUS[r["requested_action"]]
            item = cur.execute(
                "SELECT department_id FROM item_department x JOIN department d"
                " ON d.id = x.department_id WHERE x.item_id = ? AND d.active",
                [r["item_id"]],
            ).fetchall()
            depts = sorted({d[0] for d in item} | {r["department_id"]})
            # the departments the result is synced to again hear of the change too
            push.change_licence_status(
                cur,
                actor,
                r["licence_id"],
                new_status,
                f"{r['requested_action']}：{reason}",
                ref=r["request_no"],
                notify=depts,
            )
            made = push.push_case_result(
                cur, actor, lic[3], depts, f"证照 {lic[2]} {new_status}（协同处理申请 {r['request_no']}）"
            )
            status = "已撤销"
            cur.execute(
                "UPDATE revocation_request SET status = '已撤销', new_licence_status = ?,"
                " decision_reason = ?, verification_notes = ?, decided_by = ?, decided_at = ?,"
                " verifier_id = coalesce(verifier_id, ?),"
                " verify_started_at = coalesce(verify_started_at, ?), updated_at = ?"
                " WHERE id = ? AND status IN ('已提交', '核实中')",
                [new_status, reason, the_notes, actor.user_id, now, actor.user_id, now, now, request_id],
            )
            result = {"status": status, "licence_status": new_status, "pushes": made, "departments": depts}
        else:
            name, data = _explanation(cur, actor.display_name, r, the_notes, reason)
            aid = attachments.attach(cur, actor, OWNER, request_id, attachments.generated(name, data))
            status = "不予撤销"
            cur.execute(
                "UPDATE revocation_request SET status = '不予撤销', decision_reason = ?,"
                " verification_notes = ?, decided_by = ?, decided_at = ?,"
                " explanation_attachment_id = ?, verifier_id = coalesce(verifier_id, ?),"
                " verify_started_at = coalesce(verify_started_at, ?), updated_at = ?"
                " WHERE id = ? AND status IN ('已提交', '核实中')",
                [reason, the_notes, actor.user_id, now, aid, actor.user_id, now, now, request_id],
            )
            case_id = cur.execute("SELECT case_id FROM licence WHERE id = ?", [r["licence_id"]]).fetchone()[0]
            push.add_case_event(
                cur,
                actor,
                case_id,
                "协同处理决定",
                f"协同处理申请 {r['request_no']}：不予{r['requested_action']}，已出具书面说明",
            )
            result = {"status": status, "attachment_id": aid}
        outbox.emit_decision(cur, request_id)  # to the requesting department (issue 18)
        audit.record(
            cur,
            actor,
            "decide",
            OWNER,
            request_id,
            before={"status": r["status"]},
            after={
                "status": status,
                "reason": reason,
                "notes": the_notes,
                **{k: v_ for k, v_ in result.items() if k != "pushes"},
            },
        )
        from sgld.services import warning

        warning.recompute(cur, actor)
        return result

    return get_db().write(tx)


def sign_explanation(actor: Actor, request_id: int) -> datetime:
    """The requesting department signs for the written explanation (签收);
    signer and time are recorded by the system."""
    _writer(actor, "supervisor", action="签收书面说明")

    def tx(cur):
        r = _load(cur, request_id)
        if r["department_id"] != actor.department_id:
            raise PermissionDenied("只能签收发给本部门的书面说明。")
        workflows.check(
            WORKFLOW,
            "sign_explanation",
            r["status"],
            actor,
            refused={s: "该申请没有需要签收的书面说明。" for s in STATUSES},
        )
        if r["explanation_attachment_id"] is None:
            raise StateError("该申请没有需要签收的书面说明。")
        if r["explanation_signed_at"] is not None:
            raise StateError(
                f"该书面说明已于 {r['explanation_signed_at']:%Y-%m-%d %H:%M} 由 "
                f"{_user_name(cur, r['explanation_signed_by'])} 签收，不能重复签收。"
            )
        now = clock.now()
        cur.execute(
            "UPDATE revocation_request SET explanation_signed_by = ?, explanation_signed_at = ?,"
            " updated_at = ? WHERE id = ? AND explanation_signed_at IS NULL",
            [actor.user_id, now, now, request_id],
        )
        audit.record(
            cur, actor, "sign_explanation", OWNER, request_id, after={"signed_by": actor.user_id, "signed_at": now}
        )
        return now

    return get_db().write(tx)


# -- reading -----------------------------------------------------------------------------
LIST_COLUMNS = {
    "request_no": "申请编号",
    "enterprise": "企业名称",
    "uscc": "统一社会信用代码",
    "licence_no": "证照编号",
    "licence_kind": "证照类型",
    "item": "事项",
    "category": "事项分类",
    "department": "提请部门",
    "requested_action": "提请事项",
    "status": "状态",
    "filed_at": "提交时间",
    "deadline": "办理期限",
    "time_state": "时限",
    "decider": "决定人",
    "decided_at": "决定时间",
    "explanation": "书面说明",
}


def _read(actor: Actor, action: str = "查看协同处理申请") -> None:
    require(actor, "admin", "leader", "approver", "supervisor", action=action)


def list_requests(
    actor: Actor,
    *,
    todo: bool = False,
    status: str | None = None,
    text: str | None = None,
    overdue_only: bool = False,
    to_sign_only: bool = False,
    limit: int = 5000,
) -> pd.DataFrame:
    """Requests newest first.  Supervisors: their department's; ``todo``:
    the open requests assigned to the approver (oldest deadline first)."""
    _read(actor)
    today = clock.today()
    where, params = [], []
    if not policy.sees_all_departments(actor):
        where.append("q.department_id = ?")
        params.append(actor.department_id)
    if todo:
        require(actor, "approver", action="查看协同处理待办")
        where.append("q.status IN ('已提交', '核实中') AND " + _todo_cond())
        params.append(actor.user_id)
    if status:
        v.choice(status, STATUSES, "状态")
        where.append("q.status = ?")
        params.append(status)
    if overdue_only:
        where.append("q.status IN ('已提交', '核实中') AND q.deadline < ?")
        params.append(today)
    if to_sign_only:
        where.append("q.status = '不予撤销' AND q.explanation_signed_at IS NULL")
    t = (text or "").strip()
    if t:
        where.append(
            f"(e.name LIKE ?{ESC} OR e.uscc LIKE ?{ESC} OR q.request_no LIKE ?{ESC} OR l.licence_no LIKE ?{ESC})"
        )
        params += [likes.contains(t), likes.prefix(t.upper()), likes.contains(t.upper()), likes.contains(t)]
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    order = "q.deadline, q.id" if todo else "q.filed_at DESC, q.id DESC"
    sql = (
        "SELECT q.id AS request_id, q.request_no, e.name AS enterprise, e.uscc, l.licence_no,"
        " l.kind AS licence_kind, i.name AS item, q.category, d.name AS department,"
        " q.requested_action, q.status, q.filed_at, q.deadline,"
        " CASE WHEN q.status IN ('已提交', '核实中') AND q.deadline < ? THEN '已超时'"
        "      WHEN q.status IN ('已提交', '核实中') THEN '未超时'"
        "      WHEN q.decided_at IS NOT NULL AND CAST(q.decided_at AS DATE) > q.deadline THEN '逾期办结'"
        "      WHEN q.decided_at IS NOT NULL THEN '按时办结' ELSE '' END AS time_state,"
        " u.display_name AS decider, q.decided_at,"
        " CASE WHEN q.status = '不予撤销' THEN CASE WHEN q.explanation_signed_at IS NULL"
        "   THEN '待签收' ELSE '已签收' END ELSE '' END AS explanation"
        " FROM revocation_request q JOIN enterprise e ON e.id = q.enterprise_id"
        " JOIN licence l ON l.id = q.licence_id JOIN item i ON i.id = q.item_id"
        " JOIN department d ON d.id = q.department_id LEFT JOIN app_user u ON u.id = q.decided_by"
        f"{cond} ORDER BY {order} LIMIT {int(limit)}"
    )
    return get_db().df(sql, [today] + params).rename(columns=LIST_COLUMNS)


def get_request(actor: Actor, request_id: int) -> dict:
    """One request with its licence, evidence, files, assignees and history."""
    _read(actor)
    db = get_db()
    today = clock.today()
    with db.cursor() as cur:
        r = _load(cur, request_id)
        if not policy.can_see_department(actor, r["department_id"]):
            raise PermissionDenied("您没有权限查看其他部门的协同处理申请。")
        cur.execute(
            "SELECT l.id, l.licence_no, l.kind, l.status, l.issued_on, l.valid_until, l.case_id,"
            " c.case_no, i.code AS item_code, i.name AS item, e.name AS enterprise, e.uscc,"
            " e.legal_rep, e.address, d.name AS department FROM licence l"
            " JOIN item i ON i.id = l.item_id JOIN enterprise e ON e.id = l.enterprise_id"
            " JOIN approval_case c ON c.id = l.case_id JOIN department d ON d.id = ?"
            " WHERE l.id = ?",
            [r["department_id"], r["licence_id"]],
        )
        cols = [x[0] for x in cur.description]
        info = dict(zip(cols, cur.fetchone()))
        info["status"] = _effective_status(info["status"], info["valid_until"], today)
        ins = cur.execute(
            "SELECT n.id, n.inspected_at, n.result, n.place, n.findings, d.name FROM revocation_evidence x"
            " JOIN inspection n ON n.id = x.record_id JOIN department d ON d.id = n.department_id"
            " WHERE x.request_id = ? AND x.record_type = 'inspection' ORDER BY n.inspected_at DESC",
            [request_id],
        ).fetchall()
        pen = cur.execute(
            "SELECT p.id, p.decision_no, p.decision_date, p.category, p.fine_wan, p.authority,"
            " p.violation_type FROM revocation_evidence x JOIN penalty p ON p.id = x.record_id"
            " WHERE x.request_id = ? AND x.record_type = 'penalty' ORDER BY p.decision_date DESC",
            [request_id],
        ).fetchall()
        names = {
            k: _user_name(cur, r[k])
            for k in ("filed_by", "verifier_id", "decided_by", "explanation_signed_by", "withdrawn_by")
        }
        who = [_user_name(cur, i) for i in assignees(cur, r["category"])]
        assigned = actor.has("approver") and actor.user_id in assignees(cur, r["category"])
        pushes = []
        if r["status"] == "已撤销":
            cur.execute(
                "SELECT p.id, d.name AS department, p.pushed_at, p.due_on, p.status,"
                " u.display_name AS signer, p.signed_at FROM push p JOIN department d"
                " ON d.id = p.department_id LEFT JOIN app_user u ON u.id = p.signed_by"
                f" WHERE p.case_id = ? AND p.reason LIKE ?{ESC} ORDER BY p.id",
                [info["case_id"], likes.contains(r["request_no"])],
            )
            pc = [x[0] for x in cur.description]
            pushes = [dict(zip(pc, x)) for x in cur.fetchall()]
    files = [f for f in attachments.list_for(OWNER, request_id) if f["id"] != r["explanation_attachment_id"]]
    r["overdue"] = r["status"] in OPEN and r["deadline"] < today
    can_act = not actor.has("leader")
    can = workflows.allowed(WORKFLOW, r["status"], actor) if can_act else set()
    own = r["department_id"] == actor.department_id
    return {
        "request": r,
        "licence": info,
        "names": names,
        "assignees": who,
        "inspections": [dict(zip(("id", "inspected_at", "result", "place", "findings", "department"), x)) for x in ins],
        "penalties": [
            dict(zip(("id", "decision_no", "decision_date", "category", "fine_wan", "authority", "violation_type"), x))
            for x in pen
        ],
        "files": files,
        "repushes": pushes,
        "can_withdraw": own and "withdraw" in can,
        "can_sign": own and "sign_explanation" in can and r["explanation_signed_at"] is None,
        "can_verify": assigned and "start_verification" in can,
        "can_decide": assigned and bool({"revoke", "refuse"} & can),
    }


def read_file(actor: Actor, request_id: int, attachment_id: int) -> tuple[dict, bytes]:
    """An evidence file or the written explanation, after the scope check."""
    get_request(actor, request_id)
    meta, data = attachments.read(attachment_id)
    if meta["owner_type"] != OWNER or meta["owner_id"] != str(request_id):
        raise NotFound("文件不存在。")
    return meta, data


def explanation(actor: Actor, request_id: int) -> tuple[dict, bytes]:
    d = get_request(actor, request_id)
    r = d["request"]
    aid = r["explanation_attachment_id"]
    if aid is not None:
        return read_file(actor, request_id, aid)
    if r["status"] != "不予撤销":
        raise NotFound("该申请没有书面说明。")
    # decided before documents were stored (imported history): rendered from the record
    with get_db().cursor() as cur:
        name, data = _explanation(
            cur,
            d["names"]["decided_by"],
            r,
            r["verification_notes"] or "",
            r["decision_reason"] or "",
            issued=r["decided_at"].date(),
        )
    return ({"file_name": name, "file_type": "docx", "size_bytes": len(data), "mime": attachments.MIME["docx"]}, data)


def todo_counts(actor: Actor) -> tuple[int, int]:
    """(open to-dos assigned to the approver, of which overdue)."""
    if not actor.has("approver"):
        return 0, 0
    row = get_db().one(
        "SELECT count(*), count(*) FILTER (WHERE q.deadline < ?) FROM revocation_request q"
        " WHERE q.status IN ('已提交', '核实中') AND " + _todo_cond(),
        [clock.today(), actor.user_id],
    )
    return int(row[0]), int(row[1])


def to_sign_count(actor: Actor) -> int:
    if not actor.has("supervisor"):
        return 0
    return int(
        get_db().scalar(
            "SELECT count(*) FROM revocation_request WHERE department_id = ? AND status = '不予撤销'"
            " AND explanation_signed_at IS NULL",
            [actor.department_id],
        )
        or 0
    )


def statistics(actor: Actor) -> pd.DataFrame:
    """Requests by requesting department and status (分类统计)."""
    _read(actor)
    where, params = policy.department_sql(actor, "q.department_id", prefix=" WHERE ")
    frame = get_db().df(
        "SELECT d.name AS 部门, q.status AS 状态, count(*) AS n FROM revocation_request q"
        f" JOIN department d ON d.id = q.department_id{where} GROUP BY 1, 2",
        params,
    )
    if frame.empty:
        return pd.DataFrame(columns=["部门", *STATUSES, "合计"])
    out = frame.pivot_table(index="部门", columns="状态", values="n", aggfunc="sum", fill_value=0)
    out = out.reindex(columns=list(STATUSES), fill_value=0)
    out["合计"] = out.sum(axis=1)
    return out.reset_index()


# -- reminders and the enterprise profile ---------------------------------------------------
def reminders(actor: Actor) -> list[Reminder]:
    out: list[Reminder] = []
    if actor.has("approver"):
        n, late = todo_counts(actor)
        out.append(Reminder("revocation_todo", "协同处理待办", n, "push", late))
    if actor.has("supervisor"):
        n = to_sign_count(actor)
        if n or actor.department_kind == "supervision":
            out.append(Reminder("explanation_to_sign", "待签收书面说明", n, "supervise"))
    return out


def profile_events(actor: Actor, enterprise_id: int) -> list[dict]:
    sql = (
        "SELECT q.id, q.request_no, q.requested_action, q.status, q.filed_at, q.decided_at,"
        " d.name AS department, l.licence_no FROM revocation_request q"
        " JOIN department d ON d.id = q.department_id JOIN licence l ON l.id = q.licence_id"
        " WHERE q.enterprise_id = ?"
    )
    where, dp = policy.department_sql(actor, "q.department_id")
    sql += where
    params: list = [enterprise_id, *dp]
    page = PAGE_PUSH if policy.sees_all_departments(actor) else PAGE_SUPERVISE
    out = []
    for r in get_db().dicts(sql, params):
        out.append(
            {
                "at": r["decided_at"] or r["filed_at"],
                "kind": "协同处理",
                "title": f"协同处理申请 {r['request_no']}：{r['department']}提请{r['requested_action']}",
                "detail": f"证照 {r['licence_no']}；提交于 {r['filed_at']:%Y-%m-%d}",
                "status": r["status"],
                "link": {"page": page, "params": {"xt": str(r["id"])}},
            }
        )
    return out
