"""Transactional outbox and webhook subscriptions (issue 18, outbound side).

Every change a department system must learn of writes an ``outbox_event``
row **in the same transaction as the change** (``emit*`` below take the
caller's cursor): a rolled-back change leaves no event, a committed change
always has its events.  Events are written for every addressed department,
subscribed or not, because they are also the department's pull feed
(:mod:`sgld.services.feed`): one ordered stream per department, one id per
event, the same JSON whether pulled or pushed.

Kinds (``data`` of each documented in docs/webhooks.md):

* ``push.created`` — a result pushed to a supervision department (stage
  push, or a re-push after a revocation: ``reason`` says why);
* ``claim.opened`` — a result opened to a licensing department for 领取;
* ``licence.status_changed`` — a licence revoked / withdrawn …, to every
  department the case was pushed or opened to (and those it is re-pushed to);
* ``request.decided`` — a revocation request decided, to the requesting
  department; a refusal carries the written explanation (书面说明).

Delivery (:mod:`sgld.webhook`) reads the ``pending`` events of each active
subscription in id order and records each attempt here
(:func:`record_attempts`).  An event written while its department has no
webhook is ``skipped`` (pull only).  Admin functions: subscriptions (register,
change URL, rotate secret, pause/resume), events by state, retry.

Signing secrets are derived, not stored (see the migration and
:func:`_secret`): ``SGLD_WEBHOOK_KEY`` (production) or a random key in the
data folder (demo).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from db.connection import get_db
from sgld import audit, clock, settings
from sgld import validate as v
from sgld.errors import ConfigError, NotFound, StateError, ValidationError
from sgld.security import Actor, require

KINDS = {
    "push.created": "推送审批结果",
    "claim.opened": "开放领取审批结果",
    "licence.status_changed": "证照状态变更",
    "request.decided": "协同处理决定",
}
STATES = {"pending": "待投递", "delivered": "已投递", "failed": "投递失败", "skipped": "无订阅（仅供拉取）"}
TS = "%Y-%m-%dT%H:%M:%S"  # local time (Asia/Shanghai), as everywhere in the system

# set by every emit: the delivery worker wakes up at once instead of at its next poll
wake = threading.Event()
#: PostgreSQL: the channel on which every emit wakes the delivery worker of
#: another process (the leader's, sgld/leader.py; sgld/webhook.py listens)
CHANNEL = "sgld_outbox"


def wake_worker(cur=None) -> None:
    """Wake the delivery worker: this process's at once, and on PostgreSQL
    the one of whichever process leads, with a NOTIFY — inside ``cur``'s
    transaction it is delivered when that commits (collapsed to one per
    transaction by the server)."""
    wake.set()
    if cur is not None:
        if getattr(cur, "dialect", None) == "postgres":
            cur.execute(f"NOTIFY {CHANNEL}")
        return
    db = get_db()
    if db.dialect == "postgres":
        with db.cursor() as c:
            c.execute(f"NOTIFY {CHANNEL}")


# -- settings -------------------------------------------------------------------
def _num(name: str, default: str, *, minimum: float) -> float:
    raw = str(settings.get().get(name, default)).strip() or default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"配置项 SGLD_{name} 应为数字，当前为 {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"配置项 SGLD_{name} 不能小于 {minimum:g}")
    return value


def max_attempts() -> int:
    return int(_num("WEBHOOK_MAX_ATTEMPTS", "30", minimum=1))


def backoff_seconds(attempts: int) -> float:
    """Wait after the ``attempts``-th failed attempt: base · 2^(n−1), capped.
    Defaults 2 s … 300 s: with 30 attempts an event is retried for ~2 h
    before it is marked failed."""
    base = _num("WEBHOOK_BACKOFF_SECONDS", "2", minimum=0)
    cap = _num("WEBHOOK_BACKOFF_MAX_SECONDS", "300", minimum=0)
    return min(cap, base * (2 ** max(0, min(attempts, 60) - 1)))


# -- emitting (inside the caller's transaction) ---------------------------------------
_STATE_SQL = (
    "CASE WHEN EXISTS (SELECT 1 FROM webhook_subscription s WHERE s.department_id = {d})"
    " THEN 'pending' ELSE 'skipped' END"
)
_INSERT = "INSERT INTO outbox_event (department_id, kind, object_type, object_id, payload, created_at, state) "


def emit(cur, department_id: int, kind: str, payload: dict, *, object_type: str, object_id: int) -> int:
    """One event for one department, in the caller's transaction; its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    data = json.dumps(payload, ensure_ascii=False, default=_json_default, separators=(",", ":"))
    eid = cur.execute(
        _INSERT + "SELECT ?, ?, ?, ?, ?, ?, " + _STATE_SQL.format(d="?") + " RETURNING id",
        [department_id, kind, object_type, object_id, data, clock.now(), department_id],
    ).fetchone()[0]
    wake_worker(cur)
    return eid


def _json_default(o):
    if isinstance(o, datetime):
        return o.strftime(TS)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    return str(o)


def _licences_sql(case: str) -> str:
    return (
        "(SELECT coalesce(to_json(list(json_object('licence_id', l.id, 'licence_no',"
        " l.licence_no, 'kind', l.kind, 'status', l.status, 'issued_on',"
        " strftime(l.issued_on, '%Y-%m-%d'), 'valid_until', strftime(l.valid_until, '%Y-%m-%d'))"
        f" ORDER BY l.id)), '[]'::JSON) FROM licence l WHERE l.case_id = {case})"
    )


# The payload SQL is written in DuckDB's spelling; on PostgreSQL the same
# text with its function names (json_build_object, json_agg, to_char).
_PG_REWRITES = (
    (re.compile(r"to_json\(list\((json_object\(.*?\) ORDER BY l\.id)\)\)"), r"json_agg(\1)"),
    (re.compile(r"\bjson_object\("), "json_build_object("),
    (re.compile(r"strftime\(([\w.]+), '%Y-%m-%dT%H:%M:%S'\)"), "to_char(\\1, 'YYYY-MM-DD\"T\"HH24:MI:SS')"),
    (re.compile(r"strftime\(([\w.]+), '%Y-%m-%d'\)"), r"to_char(\1, 'YYYY-MM-DD')"),
)
_pg_texts: dict[str, str] = {}


def _dialect_sql(sql: str) -> str:
    """``sql`` for the open database's backend (cached per text)."""
    if get_db().dialect != "postgres":
        return sql
    out = _pg_texts.get(sql)
    if out is None:
        out = sql
        for pat, repl in _PG_REWRITES:
            out = pat.sub(repl, out)
        _pg_texts[sql] = out
    return out


def _case_fields(alias: str) -> str:
    return (
        f"'case_id', c.id, 'case_no', c.case_no, 'stage', {alias}.stage, 'item_code', i.code,"
        " 'item_name', i.name, 'enterprise_uscc', e.uscc, 'enterprise_name', e.name,"
        " 'project_no', c.project_no, 'reply', c.reply,"
        " 'decided_on', strftime(c.decided_on, '%Y-%m-%d'), 'licences', "
        + _licences_sql("c.id")
        + f", 'reason', {alias}.reason"
    )


_CASE_JOINS = (
    " JOIN approval_case c ON c.id = {a}.case_id JOIN item i ON i.id = c.item_id"
    " JOIN enterprise e ON e.id = c.enterprise_id"
)


def _published_select(table: str, where: str) -> str:
    """SELECT of (department_id, kind, object_type, object_id, payload,
    created_at) for the pushes / claims matching ``where`` (alias ``p``)."""
    if table == "push":
        kind, extra = (
            "push.created",
            (
                "'push_id', p.id, 'pushed_at', strftime(p.pushed_at, '%Y-%m-%dT%H:%M:%S'),"
                " 'due_on', strftime(p.due_on, '%Y-%m-%d')"
            ),
        )
        at = "p.pushed_at"
    else:
        kind, extra = (
            "claim.opened",
            ("'claim_id', p.id, 'available_at', strftime(p.available_at, '%Y-%m-%dT%H:%M:%S')"),
        )
        at = "p.available_at"
    return (
        f"SELECT p.department_id, '{kind}' AS kind, '{table}' AS object_type, p.id AS object_id,"
        f" CAST(json_object({extra}, {_case_fields('p')}) AS VARCHAR) AS payload, {at} AS created_at"
        f" FROM {table} p{_CASE_JOINS.format(a='p')} WHERE {where}"
    )


def _emit_published(cur, table: str, where: str, params: list) -> int:
    n = cur.execute(
        _dialect_sql(
            _INSERT + f"SELECT department_id, kind, object_type, object_id, payload, created_at,"
            f" {_STATE_SQL.format(d='q.department_id')} FROM ({_published_select(table, where)}) q"
            " ORDER BY object_id"
        ),
        params,
    ).fetchone()[0]
    if n:
        wake_worker(cur)
    return n


_LICENCE_SELECT = (
    "SELECT d.department_id, 'licence.status_changed' AS kind, 'licence_event' AS object_type,"
    " le.id AS object_id, CAST(json_object('licence_event_id', le.id, 'licence_id', le.licence_id,"
    " 'licence_no', l.licence_no, 'licence_kind', l.kind, 'from_status', le.from_status,"
    " 'to_status', le.to_status, 'reason', le.reason, 'ref', le.ref,"
    " 'changed_at', strftime(le.created_at, '%Y-%m-%dT%H:%M:%S'), 'case_id', l.case_id,"
    " 'case_no', c.case_no, 'enterprise_uscc', e.uscc, 'enterprise_name', e.name) AS VARCHAR) AS payload,"
    " le.created_at FROM licence_event le JOIN licence l ON l.id = le.licence_id"
    " JOIN approval_case c ON c.id = l.case_id JOIN enterprise e ON e.id = l.enterprise_id"
    " JOIN (SELECT case_id, department_id FROM push UNION SELECT case_id, department_id FROM claim) d"
    " ON d.case_id = l.case_id WHERE le.from_status IS NOT NULL AND {where}"
)

_DECISION_SELECT = (
    "SELECT q.department_id, 'request.decided' AS kind, 'revocation_request' AS object_type,"
    " q.id AS object_id, CAST(json_object('request_id', q.id, 'request_no', q.request_no,"
    " 'status', q.status, 'requested_action', q.requested_action, 'licence_id', q.licence_id,"
    " 'licence_no', l.licence_no, 'new_licence_status', q.new_licence_status,"
    " 'decision_reason', q.decision_reason, 'decided_at', strftime(q.decided_at, '%Y-%m-%dT%H:%M:%S'),"
    " 'enterprise_uscc', e.uscc, 'enterprise_name', e.name,"
    " 'explanation', CASE WHEN q.status = '不予撤销' THEN json_object('attachment_id', a.id,"
    "  'file_name', a.file_name, 'sha256', a.sha256, 'verification_notes', q.verification_notes,"
    "  'reason', q.decision_reason) END) AS VARCHAR) AS payload, q.decided_at AS created_at"
    " FROM revocation_request q JOIN licence l ON l.id = q.licence_id"
    " JOIN enterprise e ON e.id = q.enterprise_id"
    " LEFT JOIN attachment a ON a.id = q.explanation_attachment_id"
    " WHERE q.status IN ('已撤销', '不予撤销') AND q.decided_at IS NOT NULL AND {where}"
)

_RANK = "CASE kind WHEN 'licence.status_changed' THEN 0 WHEN 'request.decided' THEN 2 ELSE 1 END"


def _missing(object_type: str, alias: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM outbox_event o WHERE o.object_type = '{object_type}' AND o.object_id = {alias}.id)"
    )


def backfill(cur) -> int:
    """Events for the pushes, claims, licence status changes and decided
    requests that have none (recorded before the outbox existed, or by the
    demo loader), in time order, as ``skipped``: they complete the pull
    feed and are not delivered to webhooks.  Idempotent; returns the count."""
    parts = [
        _published_select("push", _missing("push", "p")),
        _published_select("claim", _missing("claim", "p")),
        _LICENCE_SELECT.format(where=_missing("licence_event", "le")),
        _DECISION_SELECT.format(where=_missing("revocation_request", "q")),
    ]
    return cur.execute(
        _dialect_sql(
            _INSERT + "SELECT department_id, kind, object_type, object_id, payload, created_at, 'skipped'"
            f" FROM ({' UNION ALL '.join(parts)}) q ORDER BY created_at, {_RANK}, object_id,"
            " department_id"
        )
    ).fetchone()[0]


def backfill_once() -> int:
    """:func:`backfill` the first time the server starts on a database
    (after the upgrade that added the outbox, or after the demo data was
    loaded); later starts do nothing.  Returns the events written."""
    db = get_db()
    if db.scalar("SELECT count(*) FROM outbox_backfill"):
        return 0

    def tx(cur):
        if cur.execute("SELECT count(*) FROM outbox_backfill").fetchone()[0]:
            return 0
        n = backfill(cur)
        # bookkeeping like a migration (not audited): the outbox_backfill row records it
        cur.execute("INSERT INTO outbox_backfill VALUES (1, ?, ?)", [clock.now(), n])
        return n

    return db.write(tx)


def _emit_few(cur, table: str, ids: list[int]) -> int:
    """The events of a few pushes / claims of one case (a form write): the
    same ``data`` as :func:`_emit_published`, read by primary key instead of
    joining whole tables (measured at demo scale on the 2-core test machine
    under load: one push's event 30–44 ms set-based, 12 ms this way)."""
    case_cols = (
        "case_id",
        "case_no",
        "item_code",
        "item_name",
        "enterprise_uscc",
        "enterprise_name",
        "project_no",
        "reply",
        "decided_on",
    )
    cases: dict[int, dict] = {}
    n = 0
    for pid in ids:
        if table == "push":
            row = cur.execute(
                "SELECT id, department_id, case_id, stage, reason, pushed_at, due_on FROM push WHERE id = ?", [pid]
            ).fetchone()
            head = {"push_id": row[0], "pushed_at": row[5], "due_on": row[6]}
        else:
            row = cur.execute(
                "SELECT id, department_id, case_id, stage, reason, available_at FROM claim WHERE id = ?", [pid]
            ).fetchone()
            head = {"claim_id": row[0], "available_at": row[5]}
        if row[2] not in cases:
            c = cur.execute(
                "SELECT id, case_no, item_id, enterprise_id, project_no, reply, decided_on"
                " FROM approval_case WHERE id = ?",
                [row[2]],
            ).fetchone()
            i = cur.execute("SELECT code, name FROM item WHERE id = ?", [c[2]]).fetchone()
            e = cur.execute("SELECT uscc, name FROM enterprise WHERE id = ?", [c[3]]).fetchone()
            lic = [
                dict(zip(("licence_id", "licence_no", "kind", "status", "issued_on", "valid_until"), r))
                for r in cur.execute(
                    "SELECT id, licence_no, kind, status, issued_on, valid_until"
                    " FROM licence WHERE case_id = ? ORDER BY id",
                    [c[0]],
                ).fetchall()
            ]
            cases[row[2]] = dict(zip(case_cols, (c[0], c[1], i[0], i[1], e[0], e[1], c[4], c[5], c[6]))) | {
                "licences": lic
            }
        data = head | cases[row[2]] | {"stage": row[3], "reason": row[4]}
        emit(
            cur,
            row[1],
            "push.created" if table == "push" else "claim.opened",
            data,
            object_type=table,
            object_id=row[0],
        )
        n += 1
    return n


FEW = 8  # up to this many ids: by primary key (form writes); more: one set-based statement


def emit_pushes(cur, push_ids: list[int]) -> int:
    """``push.created`` for each push id."""
    if not push_ids:
        return 0
    if len(push_ids) <= FEW:
        return _emit_few(cur, "push", list(push_ids))
    return _emit_published(cur, "push", "p.id IN (SELECT unnest(?::BIGINT[]))", [list(push_ids)])


def emit_claims(cur, claim_ids: list[int]) -> int:
    """``claim.opened`` for each claim id."""
    if not claim_ids:
        return 0
    if len(claim_ids) <= FEW:
        return _emit_few(cur, "claim", list(claim_ids))
    return _emit_published(cur, "claim", "p.id IN (SELECT unnest(?::BIGINT[]))", [list(claim_ids)])


def emit_for_cases(cur, case_table: str) -> int:
    """Bulk import: the events of every push and claim of the cases listed
    in the (temporary) table ``case_table`` (column ``id``), set-based."""
    where = f"p.case_id IN (SELECT id FROM {case_table})"
    return _emit_published(cur, "push", where, []) + _emit_published(cur, "claim", where, [])


def case_departments(cur, case_id: int) -> list[int]:
    """The departments that see a case (it was pushed or opened to them)."""
    return [
        r[0]
        for r in cur.execute(
            "SELECT department_id FROM push WHERE case_id = ? UNION"
            " SELECT department_id FROM claim WHERE case_id = ? ORDER BY 1",
            [case_id, case_id],
        ).fetchall()
    ]


def emit_licence_change(cur, licence_event_id: int, also=()) -> int:
    """``licence.status_changed`` to the departments that see the licence's
    case, plus ``also`` (departments the result is being re-pushed to in
    the same transaction)."""
    row = cur.execute(
        "SELECT le.id, le.licence_id, l.licence_no, l.kind, le.from_status, le.to_status, le.reason,"
        " le.ref, le.created_at, l.case_id, c.case_no, e.uscc, e.name FROM licence_event le"
        " JOIN licence l ON l.id = le.licence_id JOIN approval_case c ON c.id = l.case_id"
        " JOIN enterprise e ON e.id = l.enterprise_id WHERE le.id = ?",
        [licence_event_id],
    ).fetchone()
    if row is None:
        raise NotFound("证照状态变更记录不存在。")
    data = dict(
        zip(
            (
                "licence_event_id",
                "licence_id",
                "licence_no",
                "licence_kind",
                "from_status",
                "to_status",
                "reason",
                "ref",
                "changed_at",
                "case_id",
                "case_no",
                "enterprise_uscc",
                "enterprise_name",
            ),
            row,
        )
    )
    depts = sorted(set(case_departments(cur, data["case_id"])) | {int(d) for d in also})
    for d in depts:
        emit(cur, d, "licence.status_changed", data, object_type="licence_event", object_id=licence_event_id)
    return len(depts)


def emit_decision(cur, request_id: int) -> int:
    """``request.decided`` to the requesting department (a refusal carries
    the written explanation: notes, reason, the letter's attachment)."""
    cur.execute(
        "SELECT q.id AS request_id, q.request_no, q.department_id, q.status, q.requested_action,"
        " q.licence_id, l.licence_no, q.new_licence_status, q.decision_reason, q.verification_notes,"
        " q.decided_at, q.explanation_attachment_id, a.file_name, a.sha256, e.uscc AS enterprise_uscc,"
        " e.name AS enterprise_name FROM revocation_request q JOIN licence l ON l.id = q.licence_id"
        " JOIN enterprise e ON e.id = q.enterprise_id"
        " LEFT JOIN attachment a ON a.id = q.explanation_attachment_id WHERE q.id = ?",
        [request_id],
    )
    cols = [c[0] for c in cur.description]
    row = cur.fetchone()
    if row is None:
        raise NotFound("协同处理申请不存在。")
    r = dict(zip(cols, row))
    dept = r.pop("department_id")
    aid, name, sha = (r.pop("explanation_attachment_id"), r.pop("file_name"), r.pop("sha256"))
    notes = r.pop("verification_notes")
    r["explanation"] = (
        None
        if r["status"] != "不予撤销"
        else {
            "attachment_id": aid,
            "file_name": name,
            "sha256": sha,
            "verification_notes": notes,
            "reason": r["decision_reason"],
        }
    )
    emit(cur, dept, "request.decided", r, object_type="revocation_request", object_id=request_id)
    return 1


# -- signing secrets ------------------------------------------------------------------
def master_key() -> str:
    key = str(settings.get().get("WEBHOOK_KEY", "")).strip()
    if key:
        if len(key) < 32:
            raise ConfigError("SGLD_WEBHOOK_KEY 至少需要 32 个字符")
        return key
    cfg = settings.get()
    if not cfg.demo:
        raise ConfigError(
            "生产模式向部门系统推送事件须设置 SGLD_WEBHOOK_KEY（签名密钥的主密钥，至少 32 个字符，不得存入数据库）。"
        )
    from sgld.settings import _demo_cookie_key

    return _demo_cookie_key(cfg.data_dir, ".webhook_key")


def _secret(subscription_id: int, salt: str) -> str:
    mac = hmac.new(
        master_key().encode("utf-8"), f"sgld-webhook|{subscription_id}|{salt}".encode(), hashlib.sha256
    ).digest()
    return "whsec_" + base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def _hint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]


def secret_of(subscription: dict) -> str:
    """The signing secret of a subscription row (id, secret_salt)."""
    return _secret(int(subscription["id"]), subscription["secret_salt"])


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-SGLD-Signature`` value: HMAC-SHA256 over ``timestamp.body``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def envelope(row: dict) -> dict:
    """The JSON object of an event, as delivered and as pulled."""
    return {
        "id": int(row["id"]),
        "kind": row["kind"],
        "department_id": int(row["department_id"]),
        "created_at": row["created_at"].strftime(TS),
        "data": json.loads(row["payload"]),
    }


def body_of(row: dict) -> bytes:
    return json.dumps(envelope(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- admin: subscriptions ----------------------------------------------------------------
def _admin(actor, action: str) -> Actor | None:
    """``None`` is the command line (``manage.py webhook``, run by whoever
    operates the server); audit rows then name the system."""
    if actor is None:
        return None
    return require(actor, "admin", action=action)


def _uid(actor) -> int | None:
    return getattr(actor, "user_id", None)


def check_url(url) -> str:
    url = v.text(url, "接收地址", max_len=500)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("“接收地址”应为 http:// 或 https:// 开头的完整网址。", field="接收地址")
    if parts.username or parts.password:
        raise ValidationError("“接收地址”中不能包含用户名或密码；接收方请用签名校验请求来源。", field="接收地址")
    if parts.fragment:
        raise ValidationError("“接收地址”不能包含 # 片段。", field="接收地址")
    return url


def _department(cur, department_id) -> tuple[int, str]:
    try:
        did = v.integer(department_id, "部门", minimum=1, maximum=v.MAX_ID)
    except ValidationError:
        raise ValidationError("请选择部门。", field="部门") from None
    row = cur.execute("SELECT id, name, kind, active FROM department WHERE id = ?", [did]).fetchone()
    if row is None:
        raise ValidationError("部门不存在。", field="部门")
    if row[2] not in ("supervision", "licensing"):
        raise ValidationError(f"“{row[1]}”不是监管部门或其他许可部门，不接收推送。", field="部门")
    return row[0], row[1]


def list_subscriptions(actor: Actor | None) -> list[dict]:
    """Every supervision / licensing department with its webhook (if any)
    and its event counts by state."""
    _admin(actor, "查看推送队列")
    return get_db().dicts(
        "SELECT d.id AS department_id, d.name AS department, d.kind, d.active AS department_active,"
        " s.id AS subscription_id, s.url, s.active, s.secret_hint, s.updated_at,"
        " coalesce(c.pending, 0) AS pending, coalesce(c.failed, 0) AS failed,"
        " coalesce(c.delivered, 0) AS delivered, coalesce(c.skipped, 0) AS skipped,"
        " c.last_delivered_at, c.oldest_pending_at"
        " FROM department d LEFT JOIN webhook_subscription s ON s.department_id = d.id"
        " LEFT JOIN (SELECT department_id, count(*) FILTER (WHERE state = 'pending') AS pending,"
        "  count(*) FILTER (WHERE state = 'failed') AS failed,"
        "  count(*) FILTER (WHERE state = 'delivered') AS delivered,"
        "  count(*) FILTER (WHERE state = 'skipped') AS skipped,"
        "  max(delivered_at) AS last_delivered_at,"
        "  min(created_at) FILTER (WHERE state IN ('pending', 'failed')) AS oldest_pending_at"
        "  FROM outbox_event GROUP BY 1) c ON c.department_id = d.id"
        " WHERE d.kind IN ('supervision', 'licensing') ORDER BY d.kind DESC, d.id"
    )


def register_webhook(actor: Actor | None, department_id, url) -> str:
    """Register (or change the URL of) a department's webhook and activate
    it.  A new subscription gets a new signing secret, returned here **once**
    (the admin hands it to the department); a URL change keeps the secret
    and returns ``""``.  Events still pending are delivered to the new URL."""
    _admin(actor, "登记事件接收地址")
    url = check_url(url)
    master_key()  # refuses before anything is written when no key is configured

    def tx(cur):
        did, name = _department(cur, department_id)
        now = clock.now()
        old = cur.execute("SELECT id, url, active FROM webhook_subscription WHERE department_id = ?", [did]).fetchone()
        if old is not None:
            if old[1] == url and old[2]:
                raise StateError(f"“{name}”的事件接收地址已是该地址且在用，无需重复登记。")
            cur.execute(
                "UPDATE webhook_subscription SET url = ?, active = TRUE, updated_by = ?, updated_at = ? WHERE id = ?",
                [url, _uid(actor), now, old[0]],
            )
            audit.record(
                cur,
                actor,
                "update",
                "webhook_subscription",
                old[0],
                before={"url": old[1], "active": old[2]},
                after={"department_id": did, "url": url, "active": True},
            )
            return ""
        salt = secrets.token_hex(16)
        sid = cur.execute("SELECT nextval('seq_webhook_subscription')").fetchone()[0]
        secret = _secret(sid, salt)
        cur.execute(
            "INSERT INTO webhook_subscription (id, department_id, url, secret_salt, secret_hint,"
            " active, created_by, created_at, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?, ?)",
            [sid, did, url, salt, _hint(secret), _uid(actor), now, _uid(actor), now],
        )
        audit.record(
            cur,
            actor,
            "create",
            "webhook_subscription",
            sid,
            after={"department_id": did, "url": url, "secret_hint": _hint(secret)},
        )
        return secret

    return get_db().write(tx)


def rotate_secret(actor: Actor | None, department_id) -> str:
    """A new signing secret for the department's webhook (returned once);
    the old one stops working at once."""
    _admin(actor, "更换事件推送签名密钥")
    master_key()

    def tx(cur):
        did, name = _department(cur, department_id)
        row = cur.execute("SELECT id, secret_hint FROM webhook_subscription WHERE department_id = ?", [did]).fetchone()
        if row is None:
            raise StateError(f"“{name}”尚未登记事件接收地址。")
        salt = secrets.token_hex(16)
        secret = _secret(row[0], salt)
        cur.execute(
            "UPDATE webhook_subscription SET secret_salt = ?, secret_hint = ?, updated_by = ?,"
            " updated_at = ? WHERE id = ?",
            [salt, _hint(secret), _uid(actor), clock.now(), row[0]],
        )
        audit.record(
            cur,
            actor,
            "rotate_secret",
            "webhook_subscription",
            row[0],
            before={"secret_hint": row[1]},
            after={"secret_hint": _hint(secret)},
        )
        return secret

    return get_db().write(tx)


def set_webhook_active(actor: Actor | None, department_id, active: bool) -> None:
    """Pause (events keep accumulating as pending) or resume delivery."""
    _admin(actor, "停用或启用事件推送")

    def tx(cur):
        did, name = _department(cur, department_id)
        row = cur.execute("SELECT id, active FROM webhook_subscription WHERE department_id = ?", [did]).fetchone()
        if row is None:
            raise StateError(f"“{name}”尚未登记事件接收地址。")
        if bool(row[1]) == bool(active):
            raise StateError(f"“{name}”的事件推送已是{'在用' if active else '停用'}状态。")
        cur.execute(
            "UPDATE webhook_subscription SET active = ?, updated_by = ?, updated_at = ? WHERE id = ?",
            [bool(active), _uid(actor), clock.now(), row[0]],
        )
        audit.record(
            cur,
            actor,
            "activate" if active else "deactivate",
            "webhook_subscription",
            row[0],
            before={"active": bool(row[1])},
            after={"active": bool(active)},
        )

    get_db().write(tx)
    if active:
        wake_worker()


# -- admin: events -------------------------------------------------------------------------
def list_events(
    actor: Actor | None, *, state: str | None = None, department_id: int | None = None, limit: int = 500
) -> list[dict]:
    """Events newest first (failed and pending first when no state is given)."""
    _admin(actor, "查看推送队列")
    where, params = [], []
    if state:
        v.choice(state, tuple(STATES), "投递状态")
        where.append("e.state = ?")
        params.append(state)
    if department_id is not None:
        where.append("e.department_id = ?")
        params.append(v.integer(department_id, "部门", minimum=1, maximum=v.MAX_ID))
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    limit = max(1, min(int(limit), 5000))
    return get_db().dicts(
        "SELECT e.id, e.department_id, d.name AS department, e.kind, e.object_type, e.object_id,"
        " e.created_at, e.state, e.attempts, e.next_attempt_at, e.last_attempt_at, e.last_error,"
        " e.delivered_at FROM outbox_event e JOIN department d ON d.id = e.department_id"
        f"{cond} ORDER BY e.id DESC LIMIT {limit}",
        params,
    )


def state_counts(actor: Actor | None) -> dict[str, int]:
    _admin(actor, "查看推送队列")
    got = dict(get_db().all("SELECT state, count(*) FROM outbox_event GROUP BY 1"))
    return {s: int(got.get(s, 0)) for s in STATES}


def retry(actor: Actor | None, event_ids) -> int:
    """Queue failed events again (attempts start over), or send a pending
    event that waits for its back-off now.  Returns how many were queued."""
    _admin(actor, "重试投递")
    ids = v.id_list(event_ids, "推送事件")
    if not ids:
        raise ValidationError("请选择要重试的推送事件。")

    def tx(cur):
        marks = ",".join("?" * len(ids))
        rows = cur.execute(f"SELECT id, state, attempts FROM outbox_event WHERE id IN ({marks})", ids).fetchall()
        if len(rows) != len(ids):
            raise NotFound("所选推送事件不存在。")
        todo = [r for r in rows if r[1] == "failed" or (r[1] == "pending" and r[2] > 0)]
        if not todo:
            raise StateError("所选事件没有需要重试的：只有投递失败或正在等待重试的事件可以重试。")
        tids = [r[0] for r in todo]
        cur.execute(
            "UPDATE outbox_event SET state = 'pending', attempts = CASE WHEN state = 'failed'"
            " THEN 0 ELSE attempts END, next_attempt_at = NULL"
            f" WHERE id IN ({','.join('?' * len(tids))})",
            tids,
        )
        audit.record(
            cur,
            actor,
            "retry",
            "outbox_event",
            ",".join(map(str, tids)),
            before={"states": {str(r[0]): r[1] for r in todo}},
            after={"state": "pending"},
        )
        return len(tids)

    n = get_db().write(tx)
    wake_worker()
    return n


# -- delivery bookkeeping (the worker) ---------------------------------------------------
def due(now: datetime, batch: int = 20) -> list[tuple[dict, list[dict]]]:
    """For each active subscription, its next events to send, in id order:
    the leading pending events that are due, stopping at the first failed
    one (later events wait behind it: order per department) or at one that
    waits for its back-off.  One query for all departments."""
    db = get_db()
    subs = {
        s["department_id"]: s
        for s in db.dicts("SELECT id, department_id, url, secret_salt FROM webhook_subscription WHERE active")
    }
    if not subs:
        return []
    rows = db.dicts(
        "SELECT id, department_id, kind, payload, created_at, state, attempts, next_attempt_at"
        " FROM (SELECT e.id, e.department_id, e.kind, e.payload, e.created_at, e.state, e.attempts,"
        " e.next_attempt_at, row_number() OVER (PARTITION BY e.department_id ORDER BY e.id) AS n"
        " FROM outbox_event e WHERE e.state IN ('pending', 'failed')"
        " AND e.department_id IN (SELECT department_id FROM webhook_subscription WHERE active)) q"
        " WHERE n <= ? ORDER BY department_id, id",
        [batch],
    )
    out, send, blocked = [], {}, set()
    for r in rows:
        d = r["department_id"]
        if d in blocked:
            continue
        if r["state"] == "failed" or (r["next_attempt_at"] is not None and r["next_attempt_at"] > now):
            blocked.add(d)
            continue
        send.setdefault(d, []).append(r)
    for d in sorted(send):
        out.append((subs[d], send[d]))
    return out


def record_attempts(results: list[tuple[int, str | None]]) -> None:
    """Record delivery attempts: (event id, error or None on success), one
    transaction.  A failure sets the back-off, or ``failed`` after
    ``SGLD_WEBHOOK_MAX_ATTEMPTS``.  Only pending events change (an admin's
    retry meanwhile is kept)."""
    if not results:
        return
    limit = max_attempts()
    now = clock.now()

    def tx(cur):
        ok = [eid for eid, error in results if error is None]
        if ok:
            cur.execute(
                "UPDATE outbox_event SET state = 'delivered', attempts = attempts + 1,"
                " last_attempt_at = ?, delivered_at = ?, last_error = NULL, next_attempt_at = NULL"
                f" WHERE state = 'pending' AND id IN ({','.join('?' * len(ok))})",
                [now, now, *ok],
            )
        for eid, error in results:
            if error is None:
                continue
            row = cur.execute("SELECT attempts FROM outbox_event WHERE id = ? AND state = 'pending'", [eid]).fetchone()
            if row is None:
                continue
            n = row[0] + 1
            state = "failed" if n >= limit else "pending"
            nxt = None if state == "failed" else now + timedelta(seconds=backoff_seconds(n))
            cur.execute(
                "UPDATE outbox_event SET state = ?, attempts = ?, last_attempt_at = ?,"
                " last_error = ?, next_attempt_at = ? WHERE id = ?",
                [state, n, now, str(error)[:500], nxt, eid],
            )

    get_db().write(tx)


def next_wake(now: datetime) -> float | None:
    """Seconds until the earliest back-off of an active subscription ends."""
    at = get_db().scalar(
        "SELECT min(e.next_attempt_at) FROM outbox_event e JOIN webhook_subscription s"
        " ON s.department_id = e.department_id AND s.active WHERE e.state = 'pending'"
        " AND e.next_attempt_at IS NOT NULL"
    )
    return None if at is None else max(0.0, (at - now).total_seconds())
