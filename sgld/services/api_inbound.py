"""Inbound calls of the HTTP API, composed from the features' own service
functions (no rule is reimplemented here):

* the approval platform's results → :func:`sgld.services.push.record_case`
  / :func:`~sgld.services.push.conclude_case` / ``add_scans``;
* the 行权系统's penalties → :func:`sgld.services.penalty.import_records`
  (the file import's pipeline);
* a department system's 签收 / 领取 → ``push.sign_pushes`` /
  ``push.claim_results``; inspections → :func:`sgld.services.inspection.record`;
  revocation requests → :func:`sgld.services.revocation.file_request`.

Each runs as the client's actor (:func:`sgld.services.api_clients.actor_of`).

**Idempotency.**  A case is idempotent by (case number, stage): the first
answer is stored with a hash of the request in the *same* transaction as the
case (the service's write joins the unit's transaction), so a retry gets the
first answer and creates nothing, and another payload for the same key is
refused (:class:`Conflict`, 409).  Other writes are idempotent by an
``Idempotency-Key`` header when the client sends one (the answer is stored
right after the call; penalties and sign/claim are in addition naturally
idempotent: a penalty is stored once per source and 决定书文号, a signed push
stays signed).
"""

from __future__ import annotations

import hashlib
import json

from db.connection import get_db
from sgld import clock
from sgld import validate as v
from sgld.errors import NotFound, SgldError, ValidationError
from sgld.security import require
from sgld.services import api_clients as ac
from sgld.services import push

MAX_PAGE = 500


class Conflict(SgldError):
    """409: the call conflicts with an earlier one (``code`` says how)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _replayed(cur, caller, op: str, key: str, req_hash: str):
    prior = ac.stored_answer(cur, caller.client.id, op, key)
    if prior is None:
        return None
    if prior[0] != req_hash:
        raise Conflict(
            "IDEMPOTENCY_CONFLICT",
            f"幂等键“{key}”已用于一次内容不同的请求：同一键只能重试完全相同的请求，"
            "内容有变化时请使用新的键（或新的办件编号、环节）。",
        )
    return prior[1], prior[2]


def _idempotent(caller, op: str, key: str | None, req_hash: str, call) -> tuple[int, dict, bool]:
    """Run ``call() -> (status, answer)`` once per key (see the module
    docstring); returns (status, answer, replayed)."""
    db = get_db()
    if key is None:
        status, answer = call()
        db.write(lambda cur: ac.store_nonce(cur, caller))
        return status, answer, False
    key = v.text(key, "Idempotency-Key", max_len=120)
    with ac.key_lock(caller.client.id, op, key):
        with db.cursor() as cur:
            prior = _replayed(cur, caller, op, key, req_hash)
        if prior is not None:
            db.write(lambda cur: ac.store_nonce(cur, caller))
            return prior[0], prior[1], True
        status, answer = call()

        def save(cur):
            ac.store_answer(cur, caller.client.id, op, key, req_hash, status, answer)
            ac.store_nonce(cur, caller)

        db.write(save)
        return status, answer, False


# -- cases ----------------------------------------------------------------------
def _case_answer(cur, case_id: int, case_no: str, stage: str, *, with_files: bool = True) -> dict:
    # single-table reads: on DuckDB a join costs more than a second point read
    rows = cur.execute(
        "SELECT 'push', id, department_id, due_on FROM push WHERE case_id = ? AND stage = ?"
        " AND reason IS NULL UNION ALL SELECT 'claim', id, department_id, NULL FROM claim"
        " WHERE case_id = ? AND stage = ? AND reason IS NULL ORDER BY 1 DESC, 2",
        [case_id, stage, case_id, stage],
    ).fetchall()
    names = {}
    if rows:
        depts = sorted({r[2] for r in rows})
        names = dict(
            cur.execute(f"SELECT id, name FROM department WHERE id IN ({','.join('?' * len(depts))})", depts).fetchall()
        )
    pushes = [{"push_id": r[1], "department": names[r[2]], "due_on": r[3].isoformat()} for r in rows if r[0] == "push"]
    claims = [{"claim_id": r[1], "department": names[r[2]]} for r in rows if r[0] == "claim"]
    licences, scans = [], []
    if with_files:  # only when the call brought a licence or scans: two reads fewer otherwise
        licences = [
            r[0]
            for r in cur.execute("SELECT licence_no FROM licence WHERE case_id = ? ORDER BY id", [case_id]).fetchall()
        ]
        scans = [
            r[0]
            for r in cur.execute(
                "SELECT id FROM attachment WHERE owner_type = 'case' AND owner_id = ? ORDER BY id", [str(case_id)]
            ).fetchall()
        ]
    return {
        "case_id": case_id,
        "case_no": case_no,
        "stage": stage,
        "pushes": pushes,
        "claims": claims,
        "licences": licences,
        "scan_ids": scans,
    }


def post_case(caller, data: dict, req_hash: str) -> tuple[int, dict, bool]:
    """Record (or, at 办结 of a case recorded at 需监管部门参与环节, conclude)
    an approval result; idempotent by (case number, stage)."""
    actor = caller.actor
    push.require_writer(actor, "approver", action="推送审批结果")
    case_no = v.text(data.get("case_no"), "办件编号", max_len=40)
    stage = v.choice(data.get("stage"), push.STAGES, "办理环节")
    key = f"{case_no}|{stage}"
    files = data.get("scans") or []

    def unit(cur):
        # an earlier answer for the key, the case, the item's id: three point
        # reads (cheaper on DuckDB than one statement joining them)
        hit = cur.execute(
            "SELECT 1 FROM api_idempotency WHERE client_id = ? AND operation = 'case' AND idem_key = ?",
            [caller.client.id, key],
        ).fetchone()
        if hit is not None:
            prior = _replayed(cur, caller, "case", key, req_hash)
            ac.store_nonce(cur, caller)
            return prior[0], prior[1], True
        row = cur.execute("SELECT id, stage FROM approval_case WHERE case_no = ?", [case_no]).fetchone()
        if row is None:
            item_id = cur.execute(
                "SELECT id FROM item WHERE upper(code) = upper(?)", [str(data.get("item_code") or "")]
            ).fetchone()
            item_id = item_id[0] if item_id else None
            if item_id is None:
                raise ValidationError(f"事项编码“{data.get('item_code')}”不在事项目录中。", field="item_code")
            cid = push.record_case(
                actor,
                case_no=case_no,
                item_id=item_id,
                uscc=data.get("uscc"),
                enterprise_name=data.get("enterprise_name"),
                project_no=data.get("project_no"),
                project_name=data.get("project_name"),
                stage=stage,
                reply=data.get("reply"),
                decided_on=data.get("decided_on"),
                licence=data.get("licence"),
                files=files,
            )
        elif stage == push.STAGE_DONE and row[1] == push.STAGE_INVOLVE:
            cid = row[0]
            known = cur.execute(
                "SELECT i.code, e.uscc FROM approval_case c JOIN item i ON i.id = c.item_id"
                " JOIN enterprise e ON e.id = c.enterprise_id WHERE c.id = ?",
                [cid],
            ).fetchone()
            if (
                data.get("item_code")
                and str(data["item_code"]).upper() != known[0].upper()
                or data.get("uscc")
                and data["uscc"] != known[1]
            ):
                raise Conflict(
                    "CASE_MISMATCH",
                    f"办件“{case_no}”已登记的事项或统一社会信用代码与本次推送不一致，不能办结；请核对办件编号。",
                )
            push.conclude_case(
                actor,
                cid,
                reply=data.get("reply"),
                decided_on=data.get("decided_on"),
                licence=data.get("licence"),
                files=files,
            )
        else:
            raise Conflict(
                "CASE_EXISTS",
                f"办件编号“{case_no}”已在“{row[1]}”环节登记，"
                f"不能再以“{stage}”环节登记（重试请发送与首次完全相同的请求）。",
            )
        answer = _case_answer(
            cur, cid, case_no, stage, with_files=bool(data.get("licence") or files or row is not None)
        )
        ac.store_answer(cur, caller.client.id, "case", key, req_hash, 201, answer)
        ac.store_nonce(cur, caller)
        return 201, answer, False

    return get_db().write(unit)


MAX_BATCH = 500
_IMPORT_FIELDS = {
    "case_no": "case_no",
    "item": "item_code",
    "uscc": "uscc",
    "enterprise_name": "enterprise_name",
    "project_no": "project_no",
    "project_name": "project_name",
    "stage": "stage",
    "reply": "reply",
    "decided_on": "decided_on",
}
_LICENCE_FIELDS = {
    "licence_no": "licence_no",
    "licence_kind": "kind",
    "issued_on": "issued_on",
    "valid_until": "valid_until",
}
_FIELD_CODES = {
    "统一社会信用代码": "USCC_INVALID",
    "决定日期": "DATE_INVALID",
    "发证日期": "DATE_INVALID",
    "有效期至": "DATE_INVALID",
}


def _text(value) -> str:
    return "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))


def post_cases_batch(caller, items: list[dict], hashes: list[str]) -> tuple[int, dict, bool]:
    """Several new approval results in one call, through the bulk import
    (:mod:`sgld.services.cases_import`: the same checks, libraries, pushes
    and claims, one audit row for the batch).  Each case is idempotent by
    (case number, stage) exactly as with ``POST /cases``; each gets its own
    result: 201 created, 200 replayed, 409 or 422 refused (the others are
    still written)."""
    import pandas as pd

    from sgld.services import cases_import

    actor = caller.actor
    push.require_writer(actor, "approver", action="批量推送审批结果")
    if not items:
        raise ValidationError("请提供至少一个办件。")
    if len(items) > MAX_BATCH:
        raise ValidationError(f"一次最多推送 {MAX_BATCH} 个办件（当前 {len(items)} 个），请分批推送。")
    frame = pd.DataFrame(
        [
            {k: _text(it.get(src)) for k, src in _IMPORT_FIELDS.items()}
            | {k: _text((it.get("licence") or {}).get(src)) for k, src in _LICENCE_FIELDS.items()}
            for it in items
        ]
    )
    rows, err = cases_import.check_frame(frame)
    keys = [f"{_text(it.get('case_no')).strip()}|{_text(it.get('stage'))}" for it in items]
    name = f"接口批量推送（{caller.client.name}）"
    sha = hashlib.sha256("".join(hashes).encode()).hexdigest()

    def unit(cur):
        marks = ",".join("?" * len(keys))
        stored = {
            r[0]: (r[1], r[2], json.loads(r[3]))
            for r in cur.execute(
                f"SELECT idem_key, request_hash, status, response FROM api_idempotency"
                f" WHERE client_id = ? AND operation = 'case' AND idem_key IN ({marks})",
                [caller.client.id, *keys],
            ).fetchall()
        }
        results: list[dict | None] = [None] * len(items)
        seen = pd.Series(False, index=range(len(items)))
        for i, k in enumerate(keys):
            if k in stored:
                seen[i] = True
                h, status, answer = stored[k]
                results[i] = (
                    {"status": 200, "replayed": True, "case": answer}
                    if h == hashes[i]
                    else {
                        "status": 409,
                        "error": {
                            "code": "IDEMPOTENCY_CONFLICT",
                            "message": f"办件“{k.split('|')[0]}”在该环节已推送过，但本次内容与首次不同。",
                        },
                    }
                )
        e = cases_import._Errors(len(items))
        e.parts, e.bad = list(err.parts), err.bad | seen
        good, e2, _ = cases_import.write_rows(cur, actor, rows, e, name, sha)
        answers = {}
        if not good.empty:
            nos = list(good["case_no"])
            m2 = ",".join("?" * len(nos))
            for no, cid, stage, kind, xid, dept, due in cur.execute(
                f"SELECT c.case_no, c.id, c.stage, 'push', p.id, d.name, p.due_on FROM approval_case c"
                f" LEFT JOIN push p ON p.case_id = c.id LEFT JOIN department d ON d.id = p.department_id"
                f" WHERE c.case_no IN ({m2}) UNION ALL SELECT c.case_no, c.id, c.stage, 'claim', x.id,"
                f" d.name, NULL FROM approval_case c JOIN claim x ON x.case_id = c.id"
                f" JOIN department d ON d.id = x.department_id WHERE c.case_no IN ({m2})"
                f" ORDER BY 1, 4 DESC, 5",
                [*nos, *nos],
            ).fetchall():
                a = answers.setdefault(
                    no,
                    {
                        "case_id": cid,
                        "case_no": no,
                        "stage": stage,
                        "pushes": [],
                        "claims": [],
                        "licences": [],
                        "scan_ids": [],
                    },
                )
                if kind == "push" and xid is not None:
                    a["pushes"].append({"push_id": xid, "department": dept, "due_on": due.isoformat()})
                elif kind == "claim":
                    a["claims"].append({"claim_id": xid, "department": dept})
            for no, lic in cur.execute(
                f"SELECT c.case_no, l.licence_no FROM licence l JOIN approval_case c"
                f" ON c.id = l.case_id WHERE c.case_no IN ({m2}) ORDER BY l.id",
                nos,
            ).fetchall():
                answers[no]["licences"].append(lic)
        problems = e2.frame()
        by_row = {}
        for i, fld, why in zip(problems["_i"], problems["字段"], problems["原因"]):
            by_row.setdefault(int(i), []).append((fld, why))
        to_store = []
        for i in range(len(items)):
            if results[i] is not None:
                continue
            no = rows.at[i, "case_no"]
            if i not in by_row and no in answers:
                results[i] = {"status": 201, "case": answers[no]}
                to_store.append(
                    [
                        caller.client.id,
                        "case",
                        keys[i],
                        hashes[i],
                        201,
                        json.dumps(answers[no], ensure_ascii=False),
                        clock.now(),
                    ]
                )
                continue
            found = by_row.get(i, [("办件编号", "未导入")])
            code = next((_FIELD_CODES[f] for f, _ in found if f in _FIELD_CODES), None) or (
                "CASE_EXISTS" if any("已存在" in w for _, w in found) else "VALIDATION_FAILED"
            )
            results[i] = {
                "status": 409 if code == "CASE_EXISTS" else 422,
                "error": {"code": code, "message": "；".join(f"{f}：{w}" for f, w in found) + "。"},
            }
        if to_store:  # one statement, a list per column (as the audit rows)
            cur.execute(
                "INSERT INTO api_idempotency SELECT " + ", ".join(["unnest(?)"] * 7), [list(c) for c in zip(*to_store)]
            )
        ac.store_nonce(cur, caller)
        for r, k in zip(results, keys):
            r["case_no"], r["stage"] = k.split("|", 1)
        return results

    results = get_db().write(unit)
    count = {s: sum(1 for r in results if r["status"] == s) for s in (201, 200)}
    return (
        200,
        {
            "created": count[201],
            "replayed": count[200],
            "refused": len(results) - count[201] - count[200],
            "results": results,
        },
        False,
    )


def _case_id(case_no: str) -> int:
    cid = get_db().scalar("SELECT id FROM approval_case WHERE case_no = ?", [v.text(case_no, "办件编号", max_len=40)])
    if cid is None:
        raise NotFound(f"办件“{case_no}”不存在。")
    return cid


def add_scans(caller, case_no: str, files, idem_key: str | None, req_hash: str):
    push.require_writer(caller.actor, "approver", action="上传扫描件")

    def call():
        ids = push.add_scans(caller.actor, _case_id(case_no), files)
        return 201, {"case_no": case_no, "scan_ids": ids}

    return _idempotent(caller, "scans", idem_key, req_hash, call)


# -- penalties ------------------------------------------------------------------
def post_penalties(caller, records: list[dict], batch_id: str | None, req_hash: str | None):
    from sgld.services import penalty

    def call(also=None):
        r = penalty.import_records(caller.actor, records, source=f"接口-{caller.client.name}", also=also)
        return 201, {
            k: r[k]
            for k in (
                "run_id",
                "source",
                "status",
                "rows_read",
                "imported",
                "duplicates",
                "quarantined",
                "enterprises_created",
            )
        }

    if batch_id is None:
        # no key to record: the call's nonce is committed with the import
        # itself (one transaction fewer per call; a failed call keeps its
        # nonce through the API layer)
        status, answer = call(also=lambda cur: ac.store_nonce(cur, caller))
        return status, answer, False
    return _idempotent(caller, "penalties", batch_id, req_hash, call)


# -- pushes and claims ------------------------------------------------------------
def _page(
    actor, table: str, status: str | None, after: int, limit: int, case_no: str | None = None
) -> tuple[list[dict], int | None]:
    require(actor, "supervisor", action="查看推送给本部门的审批结果")
    limit = v.integer(limit, "limit", minimum=1, maximum=MAX_PAGE)
    statuses = push.PUSH_STATUSES if table == "push" else push.CLAIM_STATUSES
    if status is not None:
        status = v.choice(status, statuses, "status")
    who, when = ("signed_by", "signed_at") if table == "push" else ("claimed_by", "claimed_at")
    extra = ", x.pushed_at AS pushed_at, x.due_on AS due_on" if table == "push" else ", x.available_at AS available_at"
    rows = get_db().dicts(
        f"SELECT x.id, c.case_no, x.stage, x.status, i.code AS item_code, i.name AS item_name,"
        f" e.uscc, e.name AS enterprise_name, c.project_no, c.reply, c.decided_on, x.reason,"
        f" x.{when} AS done_at, u.display_name AS done_by{extra},"
        f" (SELECT string_agg(l.licence_no, ',' ORDER BY l.id) FROM licence l WHERE l.case_id = c.id)"
        f"  AS licences"
        f" FROM {table} x JOIN approval_case c ON c.id = x.case_id JOIN item i ON i.id = c.item_id"
        f" JOIN enterprise e ON e.id = c.enterprise_id LEFT JOIN app_user u ON u.id = x.{who}"
        f" WHERE x.department_id = ? AND x.id > ? AND (? IS NULL OR x.status = ?)"
        f" AND (? IS NULL OR c.case_no = ?)"
        f" ORDER BY x.id LIMIT ?",
        [actor.department_id, after, status, status, case_no, case_no, limit + 1],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        r["licences"] = [x for x in (r["licences"] or "").split(",") if x]
        for k, val in list(r.items()):
            if hasattr(val, "isoformat"):
                r[k] = val.isoformat()
    return rows, (rows[-1]["id"] if more else None)


def list_pushes(actor, status, after: int, limit: int, case_no: str | None = None):
    return _page(actor, "push", status, after, limit, case_no)


def list_claims(actor, status, after: int, limit: int, case_no: str | None = None):
    return _page(actor, "claim", status, after, limit, case_no)


def _iso(d: dict) -> dict:
    return {k: (val.isoformat() if hasattr(val, "isoformat") else val) for k, val in d.items()}


def sign(caller, ids, idem_key, req_hash):
    return _idempotent(caller, "sign", idem_key, req_hash, lambda: (200, _iso(push.sign_pushes(caller.actor, ids))))


def claim(caller, ids, idem_key, req_hash):
    return _idempotent(caller, "claim", idem_key, req_hash, lambda: (200, _iso(push.claim_results(caller.actor, ids))))


# -- inspections and revocation requests ----------------------------------------
def file_inspection(caller, data: dict, idem_key, req_hash):
    from sgld.services import inspection

    def call():
        iid = inspection.record(
            caller.actor,
            uscc_code=data.get("uscc"),
            entity_name=data.get("entity_name"),
            inspected_at=data.get("inspected_at"),
            place=data.get("place"),
            result=data.get("result"),
            findings=data.get("findings"),
            inspectors=data.get("inspectors"),
            files=data.get("evidence") or [],
        )
        return 201, {"inspection_id": iid}

    return _idempotent(caller, "inspection", idem_key, req_hash, call)


def file_revocation(caller, data: dict, idem_key, req_hash):
    from sgld.services import revocation

    def call():
        lid = get_db().scalar(
            "SELECT id FROM licence WHERE licence_no = ?", [v.text(data.get("licence_no"), "证照编号", max_len=60)]
        )
        if lid is None:
            raise NotFound(f"证照“{data.get('licence_no')}”不存在。")
        rid = revocation.file_request(
            caller.actor,
            licence_id=lid,
            requested_action=data.get("requested_action"),
            facts=data.get("facts"),
            legal_basis=data.get("legal_basis"),
            inspection_ids=data.get("inspection_ids") or [],
            penalty_ids=data.get("penalty_ids") or [],
            files=data.get("evidence") or [],
            source_kind=data.get("source_kind") or "企业画像",
        )
        no = get_db().scalar("SELECT request_no FROM revocation_request WHERE id = ?", [rid])
        return 201, {"request_id": rid, "request_no": no}

    return _idempotent(caller, "revocation", idem_key, req_hash, call)


def whoami(caller) -> dict:
    c = caller.client
    return {
        "client": c.name,
        "key_id": c.key_id,
        "department": c.department_name,
        "department_id": c.department_id,
        "roles": sorted(c.roles),
        "scopes": sorted(c.scopes),
        "rate_per_minute": c.rate_per_minute,
        "server_time": clock.now().isoformat(),
    }
