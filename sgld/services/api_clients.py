"""API clients (系统对接接口): registry, secrets, request authentication,
nonces, rate limits and idempotency records.

A client is registered by an administrator (系统管理 → 接口管理, or
``manage.py api-client create``) with a name, a department, the roles it
acts with and the API scopes it may call.  It then acts exactly as a person
of that department with those roles: every call goes through the same
service functions with an :class:`~sgld.security.Actor` built here
(:func:`actor_of`), so the same role and data-scope checks apply and every
audit row names the client (``api:<name>``).

**Secrets.**  A client signs each request with HMAC-SHA-256 (docs/api.md).
The secret is *derived*: ``HMAC(SGLD_API_KEY, key_id ‖ salt)``.  The
database holds only the salt and an 8-hex fingerprint, so neither the
database file nor a backup reveals a secret or lets anyone compute one;
``SGLD_API_KEY`` lives in the configuration like the audit key (in demo
mode it is derived from the cookie key).  The secret is shown once, at
creation and at each rotation (new salt: the old secret stops at once).

**Requests** (:func:`authenticate`): key id, timestamp within
``WINDOW_SECONDS`` of the server clock, a nonce never seen for this client
within the window, and the signature over method, path, query, timestamp,
nonce and the body's SHA-256.  Nonces are checked in memory (one server
process) and persisted with the call, so a restart does not reopen the
window; on PostgreSQL (several processes) each call also looks its nonce
up in ``api_nonce``, and the rate limit's token bucket is a row of
``api_rate`` shared by the processes.  A disabled or revoked client is refused at once.  Every refusal is
audited (``api_auth_refused``); a flood of refusals from one address is
audited once a minute with its count.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from db.connection import get_db
from sgld import audit, clock, settings
from sgld import validate as v
from sgld.errors import NotFound, SgldError, ValidationError
from sgld.security import ROLES, Actor, require

CLIENT_ROLES = ("approver", "supervisor")
SCOPES: dict[str, str] = {
    "cases": "审批结果推送（办件、扫描件）",
    "penalties": "行政处罚推送",
    "pushes": "推送签收、结果领取",
    "inspections": "日常检查录入",
    "revocations": "协同处理申请",
    "events": "事件拉取（推送、证照状态变更、书面说明）",
}
STATUSES = {"active": "在用", "disabled": "停用", "revoked": "已吊销"}
WINDOW_SECONDS = 300
DEFAULT_RATE = 600  # requests per minute and client
_NONCE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
_KEY_ID = re.compile(r"^ak_[0-9a-f]{20}$")
USER_PREFIX = "api:"


class AuthRefused(SgldError):
    """A request's authentication failed; ``code`` is the API error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# -- secrets ------------------------------------------------------------------
def _master() -> bytes:
    cfg = settings.get()
    key = (cfg.get("API_KEY") or "").strip()
    if not key:
        key = hmac.new(cfg.cookie_key.encode(), b"sgld-api-master", hashlib.sha256).hexdigest()
    return key.encode("utf-8")


_secret_cache: dict[tuple[str, str], bytes] = {}


def derive_secret(key_id: str, salt: str) -> str:
    """The client secret of (key id, salt) under the configured API key."""
    mac = hmac.new(_master(), b"sgld-api-secret\0" + key_id.encode() + b"\0" + salt.encode(), hashlib.sha256).digest()
    return "sk_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _secret_bytes(key_id: str, salt: str) -> bytes:
    k = (key_id, salt)
    s = _secret_cache.get(k)
    if s is None:
        s = derive_secret(key_id, salt).encode()
        if len(_secret_cache) > 10_000:
            _secret_cache.clear()
        _secret_cache[k] = s
    return s


def forget_secrets() -> None:
    _secret_cache.clear()


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def string_to_sign(method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a request signs (the example client builds the same)."""
    return "\n".join(
        ["SGLD-HMAC-SHA256", method.upper(), path, query, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    ).encode("utf-8")


def sign(secret: str, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(
        secret.encode(), string_to_sign(method, path, query, timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


# -- registry -----------------------------------------------------------------
@dataclass(frozen=True)
class Client:
    id: int
    name: str
    key_id: str
    department_id: int
    department_name: str
    department_kind: str
    user_id: int
    roles: frozenset[str]
    scopes: frozenset[str]
    salt: str
    rate_per_minute: int
    status: str


_CLIENT_SQL = (
    "SELECT c.id, c.name, c.key_id, c.department_id, d.name, d.kind, c.user_id, c.roles,"
    " c.scopes, c.salt, c.rate_per_minute, c.status FROM api_client c"
    " JOIN department d ON d.id = c.department_id"
)


def _client(row) -> Client:
    return Client(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        frozenset(x for x in row[7].split(",") if x),
        frozenset(x for x in row[8].split(",") if x),
        row[9],
        row[10],
        row[11],
    )


def actor_of(c: Client) -> Actor:
    """The actor a client's calls run as: its backing user, its department,
    its roles; audit rows name it ``api:<name>``."""
    return Actor(
        c.user_id,
        USER_PREFIX + c.name,
        f"{c.name}（接口）",
        c.department_id,
        c.department_name,
        c.department_kind,
        c.roles,
    )


def _admin(actor: Actor | None, action: str) -> None:
    """``None`` is the command line (run by whoever operates the server)."""
    if actor is not None:
        require(actor, "admin", action=action)


def _check(cur, name, department_id, roles, scopes, rate) -> tuple:
    name = v.text(name, "接口客户端名称", max_len=40)
    if ":" in name or "," in name:
        raise ValidationError("“接口客户端名称”不能含有冒号或逗号。", field="name")
    try:
        dept = cur.execute(
            "SELECT id, name, kind, active FROM department WHERE id = ?", [int(department_id)]
        ).fetchone()
    except (TypeError, ValueError):
        dept = None
    if dept is None:
        raise ValidationError("所属部门不存在。", field="department_id")
    if not dept[3]:
        raise ValidationError(f"部门“{dept[1]}”已停用。", field="department_id")
    roles = sorted(set(roles or []))
    if not roles:
        raise ValidationError("请至少选择一个角色。", field="roles")
    for r in roles:
        if r not in CLIENT_ROLES:
            raise ValidationError(
                f"接口客户端只能使用以下角色：{'、'.join(ROLES[x] for x in CLIENT_ROLES)}"
                f"（“{ROLES.get(r, r)}”不可用）。",
                field="roles",
            )
    if "approver" in roles and dept[2] != "bureau":
        raise ValidationError("审批局经办人角色只能用于审批局（或其处室）的接口客户端。", field="roles")
    if "supervisor" in roles and dept[2] not in ("supervision", "licensing"):
        raise ValidationError("监管部门工作人员角色只能用于监管部门或其他许可部门的接口客户端。", field="roles")
    scopes = sorted(set(scopes or []))
    if not scopes:
        raise ValidationError("请至少选择一项接口权限。", field="scopes")
    for s in scopes:
        if s not in SCOPES:
            raise ValidationError(f"接口权限“{s}”无效，可选：{'、'.join(SCOPES)}。", field="scopes")
    rate = v.integer(rate if rate not in (None, "") else DEFAULT_RATE, "每分钟请求上限", minimum=1, maximum=1_000_000)
    return name, dept, roles, scopes, rate


def create(
    actor: Actor | None,
    *,
    name: str,
    department_id: int,
    roles,
    scopes,
    rate_per_minute: int | None = None,
    note: str | None = None,
) -> dict:
    """Register a client.  Returns ``{"id", "name", "key_id", "secret"}``:
    the secret is shown this once and never stored."""
    _admin(actor, "登记接口客户端")
    note = v.text(note, "备注", required=False, max_len=200)
    key_id = "ak_" + secrets.token_hex(10)
    salt = secrets.token_hex(16)
    secret = derive_secret(key_id, salt)

    def tx(cur):
        n, dept, rl, sc, rate = _check(cur, name, department_id, roles, scopes, rate_per_minute)
        if (
            cur.execute("SELECT 1 FROM api_client WHERE name = ?", [n]).fetchone()
            or cur.execute("SELECT 1 FROM app_user WHERE username = ?", [USER_PREFIX + n]).fetchone()
        ):
            raise ValidationError(f"接口客户端名称“{n}”已被使用。", field="name")
        now = clock.now()
        uid = cur.execute(
            "INSERT INTO app_user (username, display_name, department_id, password_hash, active,"
            " session_valid_from, created_at, updated_at, must_change_password)"
            " VALUES (?, ?, ?, NULL, FALSE, ?, ?, ?, FALSE) RETURNING id",
            [USER_PREFIX + n, f"{n}（接口）", dept[0], now, now, now],
        ).fetchone()[0]
        cid = cur.execute(
            "INSERT INTO api_client (name, key_id, department_id, user_id, roles, scopes, salt,"
            " fingerprint, rate_per_minute, status, note, created_at, created_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?) RETURNING id",
            [
                n,
                key_id,
                dept[0],
                uid,
                ",".join(rl),
                ",".join(sc),
                salt,
                fingerprint(secret),
                rate,
                note,
                now,
                getattr(actor, "username", None) or "system",
                now,
            ],
        ).fetchone()[0]
        audit.record(
            cur,
            actor,
            "create",
            "api_client",
            cid,
            after={
                "name": n,
                "key_id": key_id,
                "department_id": dept[0],
                "roles": rl,
                "scopes": sc,
                "rate_per_minute": rate,
                "user_id": uid,
            },
        )
        return {"id": cid, "name": n, "key_id": key_id, "secret": secret, "fingerprint": fingerprint(secret)}

    return get_db().write(tx)


def list_clients(actor: Actor | None) -> list[dict]:
    _admin(actor, "管理接口客户端")
    rows = get_db().dicts(
        "SELECT c.id, c.name, c.key_id, c.department_id, d.name AS department, c.roles, c.scopes,"
        " c.fingerprint, c.rate_per_minute, c.status, c.note, c.created_at, c.created_by,"
        " c.rotated_at FROM api_client c JOIN department d ON d.id = c.department_id ORDER BY c.id"
    )
    for r in rows:
        r["roles"] = [x for x in r["roles"].split(",") if x]
        r["scopes"] = [x for x in r["scopes"].split(",") if x]
    return rows


def _find(cur, ref) -> tuple:
    """A client by id, name or key id."""
    row = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = cur.execute("SELECT id, name, status, key_id FROM api_client WHERE id = ?", [int(ref)]).fetchone()
    if row is None:
        row = cur.execute(
            "SELECT id, name, status, key_id FROM api_client WHERE name = ? OR key_id = ?",
            [str(ref).strip(), str(ref).strip()],
        ).fetchone()
    if row is None:
        raise NotFound(f"接口客户端“{ref}”不存在。")
    return row


def set_status(actor: Actor | None, ref, status: str) -> None:
    """停用 (disabled, can be re-enabled), 启用, or 吊销 (revoked, final)."""
    _admin(actor, "管理接口客户端")
    status = v.choice(status, tuple(STATUSES), "状态")

    def tx(cur):
        cid, name, old, _ = _find(cur, ref)
        if old == "revoked":
            raise ValidationError(f"接口客户端“{name}”已吊销，不能再变更状态；如需对接请重新登记。")
        if old == status:
            raise ValidationError(f"接口客户端“{name}”的状态已是“{STATUSES[status]}”。")
        cur.execute("UPDATE api_client SET status = ?, updated_at = ? WHERE id = ?", [status, clock.now(), cid])
        audit.record(
            cur,
            actor,
            {"revoked": "revoke", "disabled": "disable"}.get(status, "enable"),
            "api_client",
            cid,
            before={"status": old},
            after={"status": status},
        )

    get_db().write(tx)


def revoke(actor: Actor | None, ref) -> None:
    set_status(actor, ref, "revoked")


def rotate(actor: Actor | None, ref) -> dict:
    """A new secret (shown once); the old one stops working at once."""
    _admin(actor, "更换接口客户端密钥")
    salt = secrets.token_hex(16)

    def tx(cur):
        cid, name, status, key_id = _find(cur, ref)
        if status == "revoked":
            raise ValidationError(f"接口客户端“{name}”已吊销，不能更换密钥。")
        secret = derive_secret(key_id, salt)
        now = clock.now()
        cur.execute(
            "UPDATE api_client SET salt = ?, fingerprint = ?, rotated_at = ?, updated_at = ? WHERE id = ?",
            [salt, fingerprint(secret), now, now, cid],
        )
        audit.record(cur, actor, "rotate_secret", "api_client", cid, after={"fingerprint": fingerprint(secret)})
        return {"id": cid, "name": name, "key_id": key_id, "secret": secret, "fingerprint": fingerprint(secret)}

    return get_db().write(tx)


def update(actor: Actor | None, ref, *, roles, scopes, rate_per_minute, note=None) -> None:
    _admin(actor, "管理接口客户端")
    note = v.text(note, "备注", required=False, max_len=200)

    def tx(cur):
        cid, name, status, _ = _find(cur, ref)
        dept = cur.execute(
            "SELECT department_id, roles, scopes, rate_per_minute FROM api_client WHERE id = ?", [cid]
        ).fetchone()
        _, _, rl, sc, rate = _check(cur, name, dept[0], roles, scopes, rate_per_minute)
        cur.execute(
            "UPDATE api_client SET roles = ?, scopes = ?, rate_per_minute = ?, note = ?, updated_at = ? WHERE id = ?",
            [",".join(rl), ",".join(sc), rate, note, clock.now(), cid],
        )
        audit.record(
            cur,
            actor,
            "update",
            "api_client",
            cid,
            before={"roles": dept[1], "scopes": dept[2], "rate_per_minute": dept[3]},
            after={"roles": ",".join(rl), "scopes": ",".join(sc), "rate_per_minute": rate},
        )

    get_db().write(tx)


def is_api_user(user_id: int) -> bool:
    return bool(get_db().scalar("SELECT 1 FROM api_client WHERE user_id = ?", [user_id]))


# -- authentication -----------------------------------------------------------
_lock = threading.Lock()
_nonces: dict[tuple[int, str], float] = {}
_nonces_loaded = False
_buckets: dict[int, tuple[float, float]] = {}  # client id -> (tokens, last time)
_refusals: dict[str, tuple[float, int]] = {}  # address -> (window start, count)


def reset_state() -> None:
    """Forget the in-memory nonces, buckets and caches (tests)."""
    global _nonces_loaded
    with _lock:
        _nonces.clear()
        _buckets.clear()
        _refusals.clear()
        _nonces_loaded = False
    _secret_cache.clear()


def _load_nonces() -> None:
    global _nonces_loaded
    if _nonces_loaded:
        return
    since = clock.now() - timedelta(seconds=2 * WINDOW_SECONDS)
    for cid, nonce in get_db().all("SELECT client_id, nonce FROM api_nonce WHERE seen_at >= ?", [since]):
        _nonces[(cid, nonce)] = time.time()
    _nonces_loaded = True


@dataclass(frozen=True)
class Caller:
    client: Client
    actor: Actor
    nonce: str


def authenticate(method: str, path: str, query: str, headers, body: bytes) -> Caller:
    """Check a signed request; raise :class:`AuthRefused` (the caller audits
    it with :func:`record_refusal`)."""
    key_id = (headers.get("x-sgld-key") or "").strip()
    ts = (headers.get("x-sgld-timestamp") or "").strip()
    nonce = (headers.get("x-sgld-nonce") or "").strip()
    sig = (headers.get("x-sgld-signature") or "").strip().lower()
    if not (key_id and ts and nonce and sig):
        raise AuthRefused(
            "AUTH_MISSING", "请求未签名：缺少 X-Sgld-Key、X-Sgld-Timestamp、X-Sgld-Nonce 或 X-Sgld-Signature 请求头。"
        )
    if not _KEY_ID.match(key_id):
        raise AuthRefused("AUTH_UNKNOWN_CLIENT", "接口客户端不存在或签名无效。")
    row = get_db().one(_CLIENT_SQL + " WHERE c.key_id = ?", [key_id])
    if row is None:
        raise AuthRefused("AUTH_UNKNOWN_CLIENT", "接口客户端不存在或签名无效。")
    client = _client(row)
    expected = hmac.new(
        _secret_bytes(client.key_id, client.salt), string_to_sign(method, path, query, ts, nonce, body), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, sig):
        raise AuthRefused("AUTH_BAD_SIGNATURE", "签名校验失败：请核对密钥和待签名字符串（见接口说明）。")
    if client.status != "active":
        raise AuthRefused(
            "AUTH_CLIENT_INACTIVE", f"接口客户端“{client.name}”已{STATUSES[client.status]}，不能再调用接口。"
        )
    try:
        sent = int(ts)
    except ValueError:
        raise AuthRefused("AUTH_EXPIRED", "X-Sgld-Timestamp 应为 Unix 时间戳（秒）。") from None
    now = clock.now().replace(tzinfo=clock.TZ).timestamp()
    if abs(now - sent) > WINDOW_SECONDS:
        raise AuthRefused(
            "AUTH_EXPIRED",
            f"签名已过期或时间不同步：请求时间与服务器时间相差超过 {WINDOW_SECONDS} 秒，请校准时钟后重新签名。",
        )
    if not _NONCE.match(nonce):
        raise AuthRefused("AUTH_REPLAY", "X-Sgld-Nonce 应为 16–64 位字母、数字、下划线或连字符。")
    db = get_db()
    # several app processes (PostgreSQL): another one may have served this
    # nonce since this process loaded its memory; the table's primary key
    # refuses the rare replay sent to two processes at the same moment
    seen_elsewhere = (
        db.dialect == "postgres"
        and db.one("SELECT 1 FROM api_nonce WHERE client_id = ? AND nonce = ?", [client.id, nonce]) is not None
    )
    with _lock:
        _load_nonces()
        t = time.time()
        if len(_nonces) > 200_000:
            for k in [k for k, seen in _nonces.items() if t - seen > 2 * WINDOW_SECONDS]:
                del _nonces[k]
        if seen_elsewhere:
            _nonces[(client.id, nonce)] = t
        if (client.id, nonce) in _nonces:
            raise AuthRefused(
                "AUTH_REPLAY",
                "该请求已被处理过（X-Sgld-Nonce 重复）：重放的请求被拒绝，每次请求须使用新的随机串并重新签名。",
            )
        _nonces[(client.id, nonce)] = t
        if db.dialect != "postgres":
            tokens, last = _buckets.get(client.id, (float(client.rate_per_minute), t))
            tokens = min(float(client.rate_per_minute), tokens + (t - last) * client.rate_per_minute / 60)
            allowed = tokens >= 1
            _buckets[client.id] = (tokens - 1 if allowed else tokens, t)
    if db.dialect == "postgres":
        allowed = _shared_bucket(db, client, t)
    if not allowed:
        raise AuthRefused(
            "RATE_LIMITED",
            f"请求过于频繁：接口客户端“{client.name}”每分钟最多 {client.rate_per_minute} 次请求，请稍后重试。",
        )
    return Caller(client, actor_of(client), nonce)


# the token bucket of several app processes (PostgreSQL): one row per client,
# moved by one statement in autocommit (a counter, not an audited change: no
# write transaction, no data version); the row lock orders concurrent calls
_BUCKET_SQL = """
INSERT INTO api_rate AS r (client_id, tokens, last_at, allowed) VALUES (?, ? - 1, ?, TRUE)
ON CONFLICT (client_id) DO UPDATE SET
    tokens = LEAST(?, r.tokens + GREATEST(excluded.last_at - r.last_at, 0) * ? / 60.0)
             - CASE WHEN LEAST(?, r.tokens + GREATEST(excluded.last_at - r.last_at, 0) * ? / 60.0)
                         >= 1 THEN 1 ELSE 0 END,
    allowed = LEAST(?, r.tokens + GREATEST(excluded.last_at - r.last_at, 0) * ? / 60.0) >= 1,
    last_at = GREATEST(r.last_at, excluded.last_at)
RETURNING allowed"""


def _shared_bucket(db, client: Client, t: float) -> bool:
    rate = float(client.rate_per_minute)
    with db.cursor() as cur:
        row = cur.execute(_BUCKET_SQL, [client.id, rate, t] + [rate, rate] * 3).fetchone()
    return bool(row[0])


def store_nonce(cur, caller: Caller) -> None:
    """Persist the call's nonce (inside the call's own transaction when it
    has one); prune nonces older than twice the window now and then."""
    now = clock.now()
    # unique by the in-memory check (loaded from this table at start)
    cur.execute("INSERT INTO api_nonce VALUES (?, ?, ?)", [caller.client.id, caller.nonce, now])
    if secrets.randbelow(500) == 0:
        cur.execute("DELETE FROM api_nonce WHERE seen_at < ?", [now - timedelta(seconds=2 * WINDOW_SECONDS)])


class _Refuser:
    def __init__(self, username: str, user_id: int | None):
        self.username, self.user_id, self.department_name = username, user_id, None


def record_refusal(exc: AuthRefused, headers, path: str, address: str | None) -> None:
    """One audit row per refused authentication; more than 20 a minute from
    one address are summed into one row per minute (a flood cannot fill the
    log)."""
    key_id = (headers.get("x-sgld-key") or "")[:40]
    t = time.time()
    with _lock:
        start, n = _refusals.get(address or "", (t, 0))
        if t - start > 60:
            start, n = t, 0
        n += 1
        _refusals[address or ""] = (start, n)
        if len(_refusals) > 10_000:
            _refusals.clear()
    if n > 20 and n % 100:
        return
    row = get_db().one("SELECT id, name, user_id FROM api_client WHERE key_id = ?", [key_id]) if key_id else None
    who = _Refuser(USER_PREFIX + (row[1] if row else (key_id or "unknown")), row[2] if row else None)

    def tx(cur):
        audit.record(
            cur,
            who,
            "api_auth_refused",
            "api_client",
            row[0] if row else key_id or None,
            after={
                "code": exc.code,
                "reason": exc.message,
                "path": path[:200],
                "remote_address": address,
                "count_this_minute": n,
            },
        )

    get_db().write(tx)


# -- idempotency --------------------------------------------------------------
def request_hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def stored_answer(cur, client_id: int, operation: str, key: str) -> tuple | None:
    """(request hash, status, response dict) of an earlier call, or None."""
    row = cur.execute(
        "SELECT request_hash, status, response FROM api_idempotency"
        " WHERE client_id = ? AND operation = ? AND idem_key = ?",
        [client_id, operation, key],
    ).fetchone()
    return (row[0], row[1], json.loads(row[2])) if row else None


def store_answer(cur, client_id: int, operation: str, key: str, req_hash: str, status: int, response: dict) -> None:
    cur.execute(
        "INSERT INTO api_idempotency VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            client_id,
            operation,
            key,
            req_hash,
            status,
            json.dumps(response, ensure_ascii=False, default=str),
            clock.now(),
        ],
    )


_key_locks: dict[tuple, threading.Lock] = {}


def key_lock(client_id: int, operation: str, key: str) -> threading.Lock:
    """One call per idempotency key at a time in this process."""
    with _lock:
        if len(_key_locks) > 50_000:
            for k in [k for k, lk in _key_locks.items() if not lk.locked()]:
                del _key_locks[k]
        return _key_locks.setdefault((client_id, operation, key), threading.Lock())
