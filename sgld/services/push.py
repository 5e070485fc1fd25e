"""审批推送: approval results → licence and project libraries → push–sign / claim.

Attachment 1 (二) of the notice: at each step that needs a supervision
department, and when a case is concluded (办结), the bureau stores the
approval information (item, enterprise, project number, reply, licence,
scans) in the licence library (证照批文库) and the project library (项目库) —
here that happens inside :func:`record_case` / :func:`conclude_case`, so
nothing is typed twice — and

* for items centralised in the bureau, pushes the result to every
  supervising department of the item (``push``: 待签收 → 已签收; signer and
  time are taken from the session and the clock, never typed);
* for items of other licensing departments, opens the result to the
  departments concerned, who claim it (``claim``: 待领取 → 已领取).

Each push is due ``item.sign_limit_days`` working days after it was made
(:mod:`sgld.workdays`, official calendar with 调休 plus the admin's
overrides); unsigned after that it is overdue for both sides
(:func:`reminders`).

Functions for other features, usable inside their own transaction:
:func:`change_licence_status`, :func:`push_case_result`,
:func:`add_case_event`.

Read side (archive, libraries, lists) is in :mod:`sgld.services.push_query`;
bulk import in :mod:`sgld.services.cases_import`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from db.connection import get_db
from sgld import attachments, audit, clock, followup, policy, workdays, workflows
from sgld import validate as v
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.reminders import Reminder
from sgld.security import Actor, require
from sgld.services import enterprises, outbox

STAGES = ("需监管部门参与环节", "办结")
STAGE_INVOLVE, STAGE_DONE = STAGES
LICENCE_KINDS = ("许可证", "批文", "营业执照")
LICENCE_STATUSES = ("有效", "已撤销", "已吊销", "已注销", "已过期")
PUSH_STATUSES = ("待签收", "已签收")
CLAIM_STATUSES = ("待领取", "已领取")
MAX_FILES = 20


# -- permission helpers ---------------------------------------------------
def require_writer(actor: Actor | None, *roles: str, action: str) -> Actor:
    """Leaders are read-only: every write of this feature refuses them."""
    if actor is not None and actor.has("leader"):
        raise PermissionDenied(f"领导账号为只读账号，不能{action}。")
    return require(actor, *roles, action=action)


def scoped(actor: Actor) -> bool:
    """True when the actor sees only their own department's pushes/claims."""
    return not policy.sees_all_departments(actor)


def case_in_scope(cur, actor: Actor, case_id: int) -> bool:
    if not scoped(actor):
        return True
    return cur.execute(
        "SELECT EXISTS (SELECT 1 FROM push WHERE case_id = ? AND department_id = ?)"
        " OR EXISTS (SELECT 1 FROM claim WHERE case_id = ? AND department_id = ?)",
        [case_id, actor.department_id, case_id, actor.department_id],
    ).fetchone()[0]


def cases_in_scope(cur, actor: Actor, case_ids) -> set[int]:
    """Of ``case_ids``, those :func:`case_in_scope` admits, in one query."""
    ids = sorted({int(i) for i in case_ids})
    if not ids or not scoped(actor):
        return set(ids)
    marks = ",".join("?" * len(ids))
    return {
        r[0]
        for r in cur.execute(
            f"SELECT case_id FROM push WHERE case_id IN ({marks}) AND department_id = ?"
            f" UNION SELECT case_id FROM claim WHERE case_id IN ({marks}) AND department_id = ?",
            [*ids, actor.department_id, *ids, actor.department_id],
        ).fetchall()
    }


def require_case_visible(cur, actor: Actor, case_id: int) -> None:
    require(actor, "admin", "leader", "approver", "supervisor", action="查看审批办件")
    if not cur.execute("SELECT 1 FROM approval_case WHERE id = ?", [case_id]).fetchone():
        raise NotFound("审批办件不存在。")
    if not case_in_scope(cur, actor, case_id):
        raise PermissionDenied(
            f"您没有权限查看该办件：只能查看推送给或开放给本部门（{actor.department_name}）的审批结果。"
        )


# -- working days ---------------------------------------------------------
def due_on(pushed_at: datetime | date, limit: int) -> date:
    """The date by which a push made at ``pushed_at`` must be signed."""
    return workdays.add_workdays(pushed_at, int(limit))


def due_table(days, limits) -> dict[tuple[date, int], date]:
    """Due dates for many (day, limit) pairs at once (bulk import, demo)."""
    return {(d, n): workdays.add_workdays(d, int(n)) for d, n in set(zip(days, limits))}


# -- input checks ---------------------------------------------------------
@dataclass(frozen=True)
class LicenceInput:
    licence_no: str
    kind: str
    issued_on: date
    valid_until: date | None


def check_licence(licence_no, kind, issued_on, valid_until) -> LicenceInput:
    no = v.text(licence_no, "证照编号", max_len=60)
    kind = v.choice(kind, LICENCE_KINDS, "证照类型")
    issued = v.parse_date(issued_on, "发证日期", not_future=True)
    until = v.parse_date(valid_until, "有效期至", required=False)
    if until is not None and until < issued:
        raise ValidationError(
            f"“有效期至”（{until.isoformat()}）不能早于“发证日期”（{issued.isoformat()}）。", field="有效期至"
        )
    return LicenceInput(no, kind, issued, until)


def check_files(files) -> list[attachments.Checked]:
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError(f"一次最多上传 {MAX_FILES} 个扫描件。", field="file")
    return [f if isinstance(f, attachments.Checked) else attachments.check_upload(f[0], f[1]) for f in files]


def _item(cur, item_id) -> dict:
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise ValidationError("请选择审批事项。", field="事项") from None
    row = cur.execute(
        "SELECT id, code, name, centralised, sign_limit_days, active FROM item WHERE id = ?", [item_id]
    ).fetchone()
    if row is None:
        raise ValidationError("审批事项不存在。", field="事项")
    item = dict(zip(("id", "code", "name", "centralised", "sign_limit_days", "active"), row))
    if not item["active"]:
        raise ValidationError(f"事项“{item['name']}”已停用，不能再登记办件。", field="事项")
    item["department_ids"] = [
        r[0]
        for r in cur.execute(
            "SELECT x.department_id FROM item_department x JOIN department d ON d.id = x.department_id"
            " WHERE x.item_id = ? AND d.active ORDER BY 1",
            [item_id],
        ).fetchall()
    ]
    return item


# -- libraries ------------------------------------------------------------
def _upsert_project(cur, actor, project_no: str, name: str | None, enterprise_id: int, fallback_name: str) -> None:
    row = cur.execute("SELECT name FROM project WHERE project_no = ?", [project_no]).fetchone()
    now = clock.now()
    if row is None:
        name = name or fallback_name
        cur.execute(
            "INSERT INTO project (project_no, name, enterprise_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [project_no, name, enterprise_id, now, now],
        )
        audit.record(cur, actor, "create", "project", project_no, after={"name": name, "enterprise_id": enterprise_id})
    else:
        cur.execute("UPDATE project SET updated_at = ? WHERE project_no = ?", [now, project_no])


def _add_licence(cur, actor, case_id: int, enterprise_id: int, item_id: int, lic: LicenceInput) -> int:
    if cur.execute("SELECT 1 FROM licence WHERE licence_no = ?", [lic.licence_no]).fetchone():
        raise ValidationError(f"证照编号“{lic.licence_no}”已在证照批文库中，不能重复登记。", field="证照编号")
    now = clock.now()
    lid = cur.execute(
        "INSERT INTO licence (licence_no, kind, case_id, enterprise_id, item_id, issued_on,"
        " valid_until, status, status_changed_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, '有效', ?, ?) RETURNING id",
        [lic.licence_no, lic.kind, case_id, enterprise_id, item_id, lic.issued_on, lic.valid_until, now, now],
    ).fetchone()[0]
    cur.execute(
        "INSERT INTO licence_event (licence_id, from_status, to_status, reason, actor_id,"
        " created_at) VALUES (?, NULL, '有效', '审批办结，证照入库', ?, ?)",
        [lid, getattr(actor, "user_id", None), now],
    )
    audit.record(
        cur,
        actor,
        "create",
        "licence",
        lid,
        after={
            "licence_no": lic.licence_no,
            "kind": lic.kind,
            "case_id": case_id,
            "issued_on": lic.issued_on,
            "valid_until": lic.valid_until,
        },
    )
    return lid


def add_case_event(cur, actor, case_id: int, kind: str, detail: str | None = None) -> None:
    """Append a line to a case's timeline (other features: revocation, reviews…)."""
    cur.execute(
        "INSERT INTO case_event (case_id, kind, detail, actor_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [case_id, kind, detail, getattr(actor, "user_id", None), clock.now()],
    )


# -- push / claim creation ------------------------------------------------
def _publish(cur, actor, case_id: int, item: dict, stage: str, department_ids: list[int], reason: str | None) -> dict:
    """Push (centralised item) or open for claiming (other licensing
    department) the case's result at ``stage`` to ``department_ids``.
    A stage publication (reason None) happens once per department."""
    now = clock.now()
    made = {"push": [], "claim": []}
    table = "push" if item["centralised"] else "claim"
    for dept in department_ids:
        if (
            reason is None
            and cur.execute(
                f"SELECT 1 FROM {table} WHERE case_id = ? AND department_id = ? AND stage = ? AND reason IS NULL",
                [case_id, dept, stage],
            ).fetchone()
        ):
            continue
        if table == "push":
            pid = cur.execute(
                "INSERT INTO push (case_id, department_id, stage, pushed_at, pushed_by, due_on,"
                " status, reason) VALUES (?, ?, ?, ?, ?, ?, '待签收', ?) RETURNING id",
                [
                    case_id,
                    dept,
                    stage,
                    now,
                    getattr(actor, "user_id", None),
                    due_on(now, item["sign_limit_days"]),
                    reason,
                ],
            ).fetchone()[0]
        else:
            pid = cur.execute(
                "INSERT INTO claim (case_id, department_id, stage, status, available_at, reason)"
                " VALUES (?, ?, ?, '待领取', ?, ?) RETURNING id",
                [case_id, dept, stage, now, reason],
            ).fetchone()[0]
        made[table].append(pid)
    if made[table]:
        # the department systems' events, in this transaction (issue 18)
        if table == "push":
            outbox.emit_pushes(cur, made[table])
        else:
            outbox.emit_claims(cur, made[table])
        audit.record(
            cur,
            actor,
            "push" if table == "push" else "open_claim",
            "case",
            case_id,
            after={"stage": stage, "department_ids": department_ids, "reason": reason, f"{table}_ids": made[table]},
        )
    return made


def push_case_result(
    cur, actor, case_id: int, department_ids: list[int] | None = None, reason: str | None = None
) -> dict:
    """Inside the caller's transaction: push the case's current result again
    (e.g. after a licence was revoked) to ``department_ids`` (default: the
    item's departments and every department the case was pushed or opened
    to).  Returns {"push": [ids], "claim": [ids]}."""
    require_writer(actor, "approver", action="推送审批结果")
    reason = v.text(reason, "推送原因", max_len=200)
    row = cur.execute("SELECT item_id, stage FROM approval_case WHERE id = ?", [case_id]).fetchone()
    if row is None:
        raise NotFound("审批办件不存在。")
    item = _item_any(cur, row[0])
    if department_ids is None:
        ids = set(item["department_ids"])
        ids |= {
            r[0]
            for r in cur.execute(
                "SELECT department_id FROM push WHERE case_id = ?"
                " UNION SELECT department_id FROM claim WHERE case_id = ?",
                [case_id, case_id],
            ).fetchall()
        }
        department_ids = sorted(ids)
    department_ids = v.id_list(department_ids, "部门")
    if not department_ids:
        raise ValidationError("没有可推送的部门。")
    known = {
        r[0]
        for r in cur.execute(
            f"SELECT id FROM department WHERE active AND kind IN ('supervision', 'licensing')"
            f" AND id IN ({','.join('?' * len(department_ids))})",
            department_ids,
        ).fetchall()
    }
    if known != set(department_ids):
        raise ValidationError("推送部门不存在、已停用或不是监管（许可）部门。")
    made = _publish(cur, actor, case_id, item, row[1], department_ids, reason)
    add_case_event(cur, actor, case_id, "再次推送", reason)
    return made


def _item_any(cur, item_id: int) -> dict:
    """Item facts for a push, also for an item deactivated after the case."""
    row = cur.execute(
        "SELECT id, code, name, centralised, sign_limit_days FROM item WHERE id = ?", [item_id]
    ).fetchone()
    item = dict(zip(("id", "code", "name", "centralised", "sign_limit_days"), row))
    item["department_ids"] = [
        r[0]
        for r in cur.execute(
            "SELECT x.department_id FROM item_department x JOIN department d ON d.id = x.department_id"
            " WHERE x.item_id = ? AND d.active ORDER BY 1",
            [item_id],
        ).fetchall()
    ]
    return item


# -- recording ------------------------------------------------------------
def record_case(
    actor: Actor,
    *,
    case_no,
    item_id,
    uscc,
    enterprise_name=None,
    project_no,
    project_name=None,
    stage,
    reply,
    decided_on,
    licence: dict | None = None,
    files=(),
) -> int:
    """Record an approval result (form entry): stores the case, the enterprise
    (created when its code is unknown), the project and the licence in the
    libraries, the scans, and pushes / opens the result.  One transaction."""
    require_writer(actor, "approver", action="录入审批结果")
    case_no = v.text(case_no, "办件编号", max_len=40)
    stage = v.choice(stage, STAGES, "办理环节")
    project_no = v.text(project_no, "项目编号", max_len=60)
    project_name = v.text(project_name, "项目名称", required=False, max_len=120)
    reply = v.text(reply, "批复信息", max_len=2000, multiline=True)
    decided = v.parse_date(decided_on, "决定日期", not_future=True)
    lic = check_licence(**licence) if licence else None
    if lic and lic.issued_on < decided - timedelta(days=3650):
        raise ValidationError("“发证日期”与“决定日期”相差超过十年，请核对。", field="发证日期")
    checked = check_files(files)

    def tx(cur):
        item = _item(cur, item_id)
        if cur.execute("SELECT 1 FROM approval_case WHERE case_no = ?", [case_no]).fetchone():
            raise ValidationError(f"办件编号“{case_no}”已存在，不能重复登记。", field="办件编号")
        eid = enterprises.ensure(cur, actor, uscc, enterprise_name)
        ename = cur.execute("SELECT name FROM enterprise WHERE id = ?", [eid]).fetchone()[0]
        _upsert_project(cur, actor, project_no, project_name, eid, f"{ename}{item['name']}项目")
        now = clock.now()
        cid = cur.execute(
            "INSERT INTO approval_case (case_no, item_id, enterprise_id, project_no, stage, reply,"
            " handler_id, division_id, decided_on, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'form', ?, ?) RETURNING id",
            [case_no, item["id"], eid, project_no, stage, reply, actor.user_id, actor.department_id, decided, now, now],
        ).fetchone()[0]
        audit.record(
            cur,
            actor,
            "create",
            "case",
            cid,
            after={
                "case_no": case_no,
                "item_id": item["id"],
                "enterprise_id": eid,
                "project_no": project_no,
                "stage": stage,
                "reply": reply,
                "decided_on": decided,
            },
        )
        add_case_event(cur, actor, cid, "登记", f"登记审批结果（{stage}）")
        if lic:
            _add_licence(cur, actor, cid, eid, item["id"], lic)
        for f in checked:
            attachments.attach(cur, actor, "case", cid, f)
        _publish(cur, actor, cid, item, stage, item["department_ids"], None)
        return cid

    return get_db().write(tx)


def conclude_case(actor: Actor, case_id: int, *, reply, decided_on, licence: dict | None = None, files=()) -> None:
    """A case at 需监管部门参与环节 is concluded (办结): new reply, optional
    licence and scans go to the libraries and the result is pushed again."""
    require_writer(actor, "approver", action="办结审批办件")
    reply = v.text(reply, "批复信息", max_len=2000, multiline=True)
    decided = v.parse_date(decided_on, "决定日期", not_future=True)
    lic = check_licence(**licence) if licence else None
    checked = check_files(files)

    def tx(cur):
        row = cur.execute(
            "SELECT item_id, enterprise_id, stage, reply, decided_on FROM approval_case WHERE id = ?", [case_id]
        ).fetchone()
        if row is None:
            raise NotFound("审批办件不存在。")
        item_id, eid, stage, old_reply, old_decided = row
        if stage == STAGE_DONE:
            raise StateError("该办件已办结，不能重复办结。")
        if decided < old_decided:
            raise ValidationError(f"办结日期不能早于上一环节的日期（{old_decided.isoformat()}）。", field="决定日期")
        cur.execute(
            "UPDATE approval_case SET stage = ?, reply = ?, decided_on = ?, updated_at = ? WHERE id = ?",
            [STAGE_DONE, reply, decided, clock.now(), case_id],
        )
        audit.record(
            cur,
            actor,
            "conclude",
            "case",
            case_id,
            before={"stage": stage, "reply": old_reply, "decided_on": old_decided},
            after={"stage": STAGE_DONE, "reply": reply, "decided_on": decided},
        )
        add_case_event(cur, actor, case_id, "办结", "审批办结")
        if lic:
            _add_licence(cur, actor, case_id, eid, item_id, lic)
        for f in checked:
            attachments.attach(cur, actor, "case", case_id, f)
        item = _item_any(cur, item_id)
        _publish(cur, actor, case_id, item, STAGE_DONE, item["department_ids"], None)

    get_db().write(tx)


def add_scans(actor: Actor, case_id: int, files) -> list[int]:
    """Add scanned files to a recorded case (the approver who records results)."""
    require_writer(actor, "approver", action="上传扫描件")
    checked = check_files(files)
    if not checked:
        raise ValidationError("请选择要上传的扫描件。", field="file")

    def tx(cur):
        if not cur.execute("SELECT 1 FROM approval_case WHERE id = ?", [case_id]).fetchone():
            raise NotFound("审批办件不存在。")
        ids = [attachments.attach(cur, actor, "case", case_id, f) for f in checked]
        add_case_event(cur, actor, case_id, "补充扫描件", "、".join(f.name for f in checked))
        return ids

    return get_db().write(tx)


def read_scan(actor: Actor, attachment_id: int) -> tuple[dict, bytes]:
    """A case scan for viewing/download, after the data-scope check."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看扫描件")
    row = get_db().one("SELECT owner_type, owner_id FROM attachment WHERE id = ?", [attachment_id])
    if row is None or row[0] != "case":
        raise NotFound("文件不存在。")
    with get_db().cursor() as cur:
        require_case_visible(cur, actor, int(row[1]))
    return attachments.read(attachment_id)


# -- licence status (revocation feature calls this) -----------------------
def change_licence_status(
    cur, actor, licence_id: int, new_status: str, reason: str, ref: str | None = None, notify=()
) -> str:
    """Inside the caller's transaction: change a licence's status, writing
    its history row, the case timeline line, the audit record and the
    ``licence.status_changed`` events of the departments that see the case
    plus ``notify`` (those the result is re-pushed to).  Returns the
    previous status."""
    require_writer(actor, "approver", "admin", action="变更证照状态")
    new_status = v.choice(new_status, LICENCE_STATUSES, "证照状态")
    reason = v.text(reason, "变更原因", max_len=500, multiline=True)
    ref = v.text(ref, "依据文号", required=False, max_len=100)
    row = cur.execute("SELECT status, case_id, licence_no FROM licence WHERE id = ?", [licence_id]).fetchone()
    if row is None:
        raise NotFound("证照不存在。")
    old, case_id, no = row
    if old == new_status:
        raise StateError(f"证照“{no}”的状态已是“{old}”。")
    if old != "有效":
        raise StateError(f"证照“{no}”当前状态为“{old}”，不能再变更为“{new_status}”。")
    now = clock.now()
    cur.execute("UPDATE licence SET status = ?, status_changed_at = ? WHERE id = ?", [new_status, now, licence_id])
    le_id = cur.execute(
        "INSERT INTO licence_event (licence_id, from_status, to_status, reason, ref, actor_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [licence_id, old, new_status, reason, ref, getattr(actor, "user_id", None), now],
    ).fetchone()[0]
    outbox.emit_licence_change(cur, le_id, also=notify)
    audit.record(
        cur,
        actor,
        "change_status",
        "licence",
        licence_id,
        before={"status": old},
        after={"status": new_status, "reason": reason, "ref": ref},
    )
    add_case_event(cur, actor, case_id, "证照状态变更", f"证照 {no}：{old} → {new_status}（{reason}）")
    return old


# -- sign and claim -------------------------------------------------------
def _user_name(cur, user_id) -> str:
    row = cur.execute("SELECT display_name FROM app_user WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else "（未知）"


def _ids(values, what: str) -> list[int]:
    ids = v.id_list(values, what)  # NaN, infinity, text, numbers beyond BIGINT: refused
    if not ids:
        raise ValidationError(f"请选择要{what}的记录。")
    return ids


def sign_pushes(actor: Actor, push_ids) -> dict:
    """签收 one or several pushes of the actor's department.  Signer and time
    come from the session and the clock.  Pushes already signed keep their
    signer and time (idempotent); when none is left to sign a StateError
    says who signed when.  Another department's push: nothing is signed."""
    require_writer(actor, "supervisor", action="签收推送")
    ids = _ids(push_ids, "签收")

    def tx(cur):
        marks = ",".join("?" * len(ids))
        rows = cur.execute(
            f"SELECT id, department_id, status, signed_by, signed_at, case_id FROM push WHERE id IN ({marks})", ids
        ).fetchall()
        if len(rows) != len(ids):
            raise NotFound("所选推送不存在。")
        other = [r for r in rows if r[1] != actor.department_id]
        if other:
            raise PermissionDenied(
                f"您没有权限签收其他部门的推送：只能签收推送给本部门（{actor.department_name}）的审批结果。"
            )
        r = rows[0]
        pending = workflows.check_some(
            workflows.PUSH,
            "sign",
            rows,
            lambda x: x[2],
            actor,
            refused={
                "已签收": lambda: f"该推送已于 {r[4]:%Y-%m-%d %H:%M} 由 {_user_name(cur, r[3])} 签收，不能重复签收。"
            },
        )
        now = clock.now()
        pend_ids = [r[0] for r in pending]
        cur.execute(
            f"UPDATE push SET status = '已签收', signed_by = ?, signed_at = ?"
            f" WHERE status = '待签收' AND id IN ({','.join('?' * len(pend_ids))})",
            [actor.user_id, now, *pend_ids],
        )
        followup.signed(cur, pend_ids)
        for r in pending:
            audit.record(
                cur,
                actor,
                "sign",
                "push",
                r[0],
                before={"status": "待签收"},
                after={"status": "已签收", "case_id": r[5], "signed_by": actor.user_id, "signed_at": now},
            )
        return {"signed": len(pending), "already": len(rows) - len(pending), "signed_at": now}

    return get_db().write(tx)


def sign_push(actor: Actor, push_id: int) -> dict:
    return sign_pushes(actor, [push_id])


def claim_results(actor: Actor, claim_ids) -> dict:
    """领取 one or several results opened to the actor's department; claimer
    and time are recorded by the system; each is claimed once."""
    require_writer(actor, "supervisor", action="领取审批结果")
    ids = _ids(claim_ids, "领取")

    def tx(cur):
        marks = ",".join("?" * len(ids))
        rows = cur.execute(
            f"SELECT id, department_id, status, claimed_by, claimed_at, case_id FROM claim WHERE id IN ({marks})", ids
        ).fetchall()
        if len(rows) != len(ids):
            raise NotFound("所选待领取记录不存在。")
        if any(r[1] != actor.department_id for r in rows):
            raise PermissionDenied(
                f"您没有权限领取其他部门的审批结果：只能领取开放给本部门（{actor.department_name}）的结果。"
            )
        r = rows[0]
        pending = workflows.check_some(
            workflows.CLAIM,
            "claim",
            rows,
            lambda x: x[2],
            actor,
            refused={
                "已领取": lambda: (
                    f"该审批结果已于 {r[4]:%Y-%m-%d %H:%M} 由 {_user_name(cur, r[3])} 领取，不能重复领取。"
                )
            },
        )
        now = clock.now()
        pend_ids = [r[0] for r in pending]
        cur.execute(
            f"UPDATE claim SET status = '已领取', claimed_by = ?, claimed_at = ?"
            f" WHERE status = '待领取' AND id IN ({','.join('?' * len(pend_ids))})",
            [actor.user_id, now, *pend_ids],
        )
        for r in pending:
            audit.record(
                cur,
                actor,
                "claim",
                "claim",
                r[0],
                before={"status": "待领取"},
                after={"status": "已领取", "case_id": r[5], "claimed_by": actor.user_id, "claimed_at": now},
            )
        return {"claimed": len(pending), "already": len(rows) - len(pending), "claimed_at": now}

    return get_db().write(tx)


# -- reminders ------------------------------------------------------------
def _age_bucket_sql(today_param: str = "?") -> str:
    return (
        f"CASE WHEN due_on >= {today_param} THEN '未超时'"
        f" WHEN CAST({today_param} AS DATE) - due_on <= 3 THEN '超时 1–3 天'"
        f" WHEN CAST({today_param} AS DATE) - due_on <= 10 THEN '超时 4–10 天'"
        f" ELSE '超时 10 天以上' END"
    )


def reminders(actor: Actor) -> list[Reminder]:
    out: list[Reminder] = []
    db = get_db()
    today = clock.today()
    if actor.has("supervisor"):
        rows = db.all(
            f"SELECT {_age_bucket_sql()} AS bucket, count(*) FROM push"
            " WHERE department_id = ? AND status = '待签收' GROUP BY 1",
            [today, today, today, actor.department_id],
        )
        ages = dict(rows)
        total = sum(ages.values())
        overdue = total - ages.get("未超时", 0)
        if total or actor.department_kind == "supervision":
            out.append(Reminder("push_to_sign", "待签收推送", total, "push", overdue, ages))
        claims = db.scalar(
            "SELECT count(*) FROM claim WHERE department_id = ? AND status = '待领取'", [actor.department_id]
        )
        if claims or actor.department_kind == "licensing":
            out.append(Reminder("claim_to_take", "待领取审批结果", claims, "push"))
    if actor.has("approver"):  # their division's and own cases only (issue 16 item 21)
        from sgld.services.push_query import overdue_reminder

        out.append(overdue_reminder(actor))
    return out
