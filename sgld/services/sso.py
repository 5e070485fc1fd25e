"""Single sign-on: unified identity (OIDC) and trusted reverse-proxy header.

Plain Python (no Streamlit): the login gate in ``ui/auth.py`` hands in what
Streamlit knows (the ``[auth]`` secrets section, ``st.user``, the request
header, ``server.address``) and gets back an :class:`Actor` or a refusal
with a complete Chinese sentence.

Mapping an identity to a local account (roles and department always come
from the database, never from the identity provider):

1. the configured claim (``SGLD_SSO_CLAIM``, default ``preferred_username``)
   or the trusted header's value is trimmed and lower-cased;
2. a user whose ``sso_subject`` (bound by an administrator) equals it;
3. otherwise a user *without* a binding whose ``username`` equals it;
4. otherwise, with ``SGLD_SSO_AUTO_CREATE`` on, a new account without roles
   (an administrator assigns roles later); without it the identity is
   refused with the 未开通 message naming ``SGLD_SSO_CONTACT``.

A deactivated account is refused even with a valid identity.  Every SSO
login and every refusal is audited.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from db.connection import get_db
from sgld import audit, clock, settings
from sgld import validate as v
from sgld.errors import AuthError, NotFound, ValidationError
from sgld.security import Actor, require
from sgld.services import accounts

MODES = {"off": "仅本地账号", "both": "统一身份认证与本地账号并存", "only": "仅统一身份认证"}
VIA = {"oidc": "统一身份认证", "header": "统一身份认证网关"}
_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否", ""}
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
# headers a browser or Streamlit itself sets: never an identity
_FORBIDDEN_HEADERS = {
    "host",
    "cookie",
    "authorization",
    "origin",
    "referer",
    "user-agent",
    "connection",
    "upgrade",
    "content-type",
    "content-length",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
}
_CLAIM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
MIN_COOKIE_SECRET = 32
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")  # same rule as sgld.services.org


class SsoRefused(AuthError):
    """The identity is valid at the provider but may not use this system.
    ``reason``: ``unknown`` (no local account), ``inactive``, ``no_claim``,
    ``bad_identity`` or ``config``."""

    def __init__(self, message: str, reason: str, subject: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.subject = subject


class SsoExpired(AuthError):
    """The identity token was issued before the account's sessions were ended
    (logout elsewhere, deactivation, password reset): log in again."""


@dataclass(frozen=True)
class SsoConfig:
    mode: str  # off | both | only
    claim: str
    auto_create: bool
    department: str
    contact: str
    label: str
    header: str  # trusted header name; "" = header mode off
    problems: tuple[str, ...] = ()

    @property
    def oidc(self) -> bool:
        return self.mode in ("both", "only")

    @property
    def local_form(self) -> bool:
        return self.mode != "only"


def config() -> SsoConfig:
    """The SSO settings.  A malformed value is reported in ``problems`` and
    replaced by its safe default (so local login keeps working)."""
    cfg = settings.get()
    problems: list[str] = []
    mode = cfg.get("SSO_MODE", "off").strip().lower() or "off"
    if mode not in MODES:
        problems.append(
            f"配置项 SGLD_SSO_MODE 只能是 off、both 或 only，当前为“{mode}”；已按 off（仅本地账号登录）处理。"
        )
        mode = "off"
    claim = cfg.get("SSO_CLAIM", "preferred_username").strip() or "preferred_username"
    if not _CLAIM_NAME.match(claim):
        problems.append(f"配置项 SGLD_SSO_CLAIM 不是有效的声明名称：“{claim}”；已按 preferred_username 处理。")
        claim = "preferred_username"
    raw_auto = cfg.get("SSO_AUTO_CREATE", "false").strip().lower()
    if raw_auto in _TRUE:
        auto = True
    else:
        auto = False
        if raw_auto not in _FALSE:
            problems.append(
                f"配置项 SGLD_SSO_AUTO_CREATE 应为 true 或 false，当前为“{raw_auto}”；"
                "已按 false（不自动创建账号）处理。"
            )
    header = cfg.get("TRUSTED_HEADER", "").strip()
    if header and (not _HEADER_NAME.match(header) or header.lower() in _FORBIDDEN_HEADERS):
        problems.append(f"配置项 SGLD_TRUSTED_HEADER 不是可用的请求头名称：“{header}”；可信请求头模式未启用。")
        header = ""
    return SsoConfig(
        mode=mode,
        claim=claim,
        auto_create=auto,
        department=cfg.get("SSO_DEPARTMENT", "").strip(),
        contact=cfg.get("SSO_CONTACT", "").strip() or f"{cfg.bureau_name}系统管理员",
        label=cfg.get("SSO_LABEL", "").strip() or "统一身份认证登录",
        header=header,
        problems=tuple(problems),
    )


# -- the [auth] section ------------------------------------------------------


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        u = urlparse(value.strip())
    except ValueError:
        return False
    return u.scheme in ("http", "https") and bool(u.netloc)


def check_auth_section(auth: Mapping | None) -> tuple[str | None, list[str]]:
    """Validate the ``[auth]`` section of ``.streamlit/secrets.toml``.

    Returns ``(provider, problems)``: the provider name to pass to
    ``st.login`` (``None`` when unusable) and Chinese sentences, each naming
    the missing or malformed key."""
    where = ".streamlit/secrets.toml 的 [auth] 配置段"
    if not auth:
        return None, [
            f"未找到{where}（需要 redirect_uri、cookie_secret、client_id、client_secret、server_metadata_url）。"
        ]
    if not isinstance(auth, Mapping):
        return None, [f"{where}格式不正确，应为 TOML 表。"]
    problems: list[str] = []
    ru = auth.get("redirect_uri")
    if ru is None or (isinstance(ru, str) and not ru.strip()):
        problems.append(f"{where}缺少 redirect_uri（登录回调地址，如 https://sgld.example.gov.cn/oauth2callback）。")
    elif not _is_url(ru.replace("{port}", "8501") if isinstance(ru, str) else ru):
        problems.append(f"{where}中 redirect_uri 应为以 http:// 或 https:// 开头的完整地址，当前为“{ru}”。")
    elif not str(ru).rstrip().endswith("/oauth2callback"):
        problems.append(f"{where}中 redirect_uri 必须以 /oauth2callback 结尾，当前为“{ru}”。")
    cs = auth.get("cookie_secret")
    if cs is None or (isinstance(cs, str) and not cs.strip()):
        problems.append(f"{where}缺少 cookie_secret（固定的随机密钥，至少 {MIN_COOKIE_SECRET} 个字符）。")
    elif not isinstance(cs, str) or len(cs.strip()) < MIN_COOKIE_SECRET:
        problems.append(f"{where}中 cookie_secret 太短：至少需要 {MIN_COOKIE_SECRET} 个字符。")

    # the provider: keys directly in [auth] ("default"), or a single [auth.<name>] table
    subtables = {k: val for k, val in auth.items() if isinstance(val, Mapping) and k not in ("client_kwargs",)}
    if any(k in auth for k in _PROVIDER_KEYS) or not subtables:
        provider, section, label = "default", auth, where
    elif len(subtables) == 1:
        provider, section = next(iter(subtables.items()))
        label = f".streamlit/secrets.toml 的 [auth.{provider}] 配置段"
        if "_" in provider:
            problems.append(f"{label}的名称不能含下划线。")
    else:
        names = "、".join(f"[auth.{k}]" for k in subtables)
        return None, problems + [f"{where}中有多个身份提供方（{names}），本系统只对接一个。"]
    for key in _PROVIDER_KEYS:
        val = section.get(key)
        if val is None or (isinstance(val, str) and not val.strip()):
            problems.append(f"{label}缺少 {key}。")
        elif not isinstance(val, str):
            problems.append(f"{label}中 {key} 应为字符串。")
    smu = section.get("server_metadata_url")
    if isinstance(smu, str) and smu.strip() and not _is_url(smu):
        problems.append(
            f"{label}中 server_metadata_url 应为以 http:// 或 https:// 开头的完整地址"
            "（通常以 /.well-known/openid-configuration 结尾）。"
        )
    ck = section.get("client_kwargs")
    if ck is not None and not isinstance(ck, Mapping):
        problems.append(f"{label}中 client_kwargs 应为 TOML 表。")
    return (None if problems else provider), problems


# -- trusted reverse-proxy header -----------------------------------------------


def is_loopback(address: str | None) -> bool:
    a = (address or "").strip().strip("[]").lower()
    if a == "localhost":
        return True
    try:
        return ipaddress.ip_address(a).is_loopback
    except ValueError:
        return False


def header_mode_problem(header: str, address: str | None) -> str | None:
    """Why the trusted-header mode must stay off, or None when it may run.
    Only a server bound to loopback can trust a header: any other address
    lets clients reach Streamlit directly and forge the header."""
    if not header or is_loopback(address):
        return None
    shown = f"“{address}”" if (address or "").strip() else "未设置（监听所有网卡）"
    return (
        f"可信请求头模式（SGLD_TRUSTED_HEADER={header}）已拒绝启用：Streamlit 的 "
        f"server.address {shown}，不是本机回环地址，客户端可能绕过反向代理伪造该请求头。"
        '请在 .streamlit/config.toml 的 [server] 中设置 address = "127.0.0.1"，'
        "并由反向代理转发访问（见 docs/deployment.md）。"
    )


def startup_problems(auth: Mapping | None, address: str | None, auth_error: str | None = None) -> list[str]:
    """Everything wrong with the SSO configuration, for the start-up log and
    the login page.  Local password login keeps working regardless."""
    c = config()
    out = list(c.problems)
    if c.oidc:
        if auth_error:
            out.append(auth_error)
        else:
            out += check_auth_section(auth)[1]
    why = header_mode_problem(c.header, address)
    if why:
        out.append(why)
    return out


# -- identity -> local account ----------------------------------------------


def normalise(value: Any) -> str | None:
    """Trimmed, NFC, lower-case identity value, or None when unusable."""
    if value is None or isinstance(value, (bool, Mapping, list, tuple)):
        return None
    s = unicodedata.normalize("NFC", str(value)).strip().lower()
    if not s or len(s) > 200 or any(ord(ch) < 32 or ord(ch) == 127 for ch in s):
        return None
    return s


class _Who:
    """Audit stand-in for someone not (or not yet) logged in."""

    def __init__(self, user_id: int | None, username: str, department: str | None = None):
        self.user_id = user_id
        self.username = username
        self.department_name = department


def _audit_refusal(
    reason: str, via: str, subject: str | None, user_id: int | None = None, username: str | None = None
) -> None:
    # a refused identity may hold a NUL character, which no PostgreSQL text
    # column stores: the actor column shows it escaped (the JSON escapes it anyway)
    shown = subject.replace("\x00", "\\x00") if subject else subject

    def tx(cur):
        audit.record(
            cur,
            _Who(user_id, username or f"sso:{shown or '?'}"),
            "sso_refused",
            "user",
            user_id,
            after={"via": via, "reason": reason, "subject": subject},
        )

    get_db().write(tx)


def _lookup(cur, subject: str) -> tuple | None:
    row = cur.execute("SELECT id, username, active FROM app_user WHERE sso_subject = ?", [subject]).fetchone()
    if row is None:
        row = cur.execute(
            "SELECT id, username, active FROM app_user WHERE username = ? AND sso_subject IS NULL", [subject]
        ).fetchone()
    return row


def actor_for_header(value: str) -> Actor | None:
    """The active local account a trusted-header value names, without
    logging in or auditing (for plain HTTP requests such as downloads; the
    page run that opened the session did the audited login)."""
    subject = normalise(value)
    if subject is None:
        return None
    with get_db().cursor() as cur:
        row = _lookup(cur, subject)
    if row is None or not row[2]:
        return None
    actor = accounts.load_actor(row[0])
    return actor if actor is not None and actor.roles else None


def identity_value(identity: Mapping, claim: str) -> Any:
    return identity.get(claim) if isinstance(identity, Mapping) else None


def login(identity: Mapping | str | None, *, via: str = "oidc", issued_at: datetime | None = None) -> Actor:
    """Map an identity to the local active account and record the login.

    ``identity`` is the claims dict of ``st.user`` (``via="oidc"``) or the
    trusted header's value (``via="header"``).  ``issued_at`` (the identity
    token's ``iat``) is checked against the account's session version, so a
    token issued before a logout or deactivation does not log in again.
    Raises :class:`SsoRefused` (audited) or :class:`SsoExpired`."""
    c = config()
    if via not in VIA:
        raise ValueError(via)
    what = c.claim if via == "oidc" else f"请求头 {c.header}"
    raw = identity if via == "header" else identity_value(identity or {}, c.claim)
    subject = normalise(raw)
    if subject is None:
        reason = "no_claim" if raw in (None, "") else "bad_identity"
        _audit_refusal(reason, via, None if raw is None else str(raw)[:200])
        raise SsoRefused(
            f"{VIA[via]}没有提供可用的用户标识（{what}），无法对应到本系统账号。请联系{c.contact}。", reason
        )
    db = get_db()
    with db.cursor() as cur:
        row = _lookup(cur, subject)
    if row is None:
        if not c.auto_create:
            _audit_refusal("unknown", via, subject)
            raise SsoRefused(
                f"您的统一身份认证账号“{subject}”尚未开通本系统。请联系{c.contact}开通账号并分配角色后再登录。",
                "unknown",
                subject,
            )
        uid = _auto_create(subject, identity if isinstance(identity, Mapping) else {}, via, c, issued_at)
        username = db.scalar("SELECT username FROM app_user WHERE id = ?", [uid])
    else:
        uid, username, active = row
        if not active:
            _audit_refusal("inactive", via, subject, uid, username)
            raise SsoRefused(
                f"您的账号“{username}”已停用，不能通过统一身份认证登录本系统。如有疑问请联系{c.contact}。",
                "inactive",
                subject,
            )
    if issued_at is not None and not accounts.session_valid(uid, issued_at):
        raise SsoExpired("统一身份认证登录已失效（已退出或账号已变更），请重新登录。")
    actor = accounts.load_actor(uid)
    if actor is None:  # deactivated between the lookup and now
        _audit_refusal("inactive", via, subject, uid, username)
        raise SsoRefused(
            f"您的账号“{username}”已停用，不能通过统一身份认证登录本系统。如有疑问请联系{c.contact}。",
            "inactive",
            subject,
        )

    def tx(cur):
        audit.record(
            cur,
            actor,
            "sso_login",
            "user",
            uid,
            after={"via": via, "claim": c.claim if via == "oidc" else c.header, "subject": subject},
        )

    db.write(tx)
    return actor


def _username_for(cur, subject: str) -> str:
    base = subject.split("@", 1)[0]
    base = re.sub(r"[^a-z0-9_.-]+", ".", base).strip(".-_")
    if not base or not base[0].isalpha() or not base.isascii():
        base = "u" + base if base and base.isascii() else "sso"
    base = base[:26]
    name, n = base, 1
    while not USERNAME_RE.match(name) or cur.execute("SELECT 1 FROM app_user WHERE username = ?", [name]).fetchone():
        n += 1
        name = f"{base if len(base) > 1 else base + 'u'}-{n}"
    return name


def _department_for(cur, c: SsoConfig) -> int:
    if c.department:
        row = cur.execute("SELECT id FROM department WHERE name = ? AND active", [c.department]).fetchone()
        if row is None:
            raise SsoRefused(
                f"自动开通账号失败：配置项 SGLD_SSO_DEPARTMENT 指定的部门“{c.department}”"
                f"不存在或已停用。请联系{c.contact}。",
                "config",
            )
        return row[0]
    row = cur.execute(
        "SELECT id FROM department WHERE kind = 'bureau' AND parent_id IS NULL AND active ORDER BY id LIMIT 1"
    ).fetchone()
    if row is None:
        raise SsoRefused(f"自动开通账号失败：系统中没有在用的审批局部门。请联系{c.contact}。", "config")
    return row[0]


def _auto_create(subject: str, claims: Mapping, via: str, c: SsoConfig, issued_at: datetime | None = None) -> int:
    """A new account without roles and without a local password."""
    name = claims.get("name") if isinstance(claims, Mapping) else None
    try:
        display = v.text(name, "姓名", max_len=40) if name else None
    except ValidationError:
        display = None
    display = display or subject[:40]

    def tx(cur):
        row = _lookup(cur, subject)  # created meanwhile by a parallel session
        if row is not None:
            return row[0]
        dept = _department_for(cur, c)
        username = _username_for(cur, subject)
        now = clock.now()
        # the token that creates the account must itself be valid for it
        valid_from = min(now, issued_at) if issued_at is not None else now
        uid = cur.execute(
            "INSERT INTO app_user (username, display_name, department_id, password_hash,"
            " sso_subject, session_valid_from, created_at, updated_at)"
            " VALUES (?, ?, ?, NULL, ?, ?, ?, ?) RETURNING id",
            [username, display, dept, subject, valid_from, now, now],
        ).fetchone()[0]
        audit.record(
            cur,
            _Who(uid, username),
            "sso_auto_create",
            "user",
            uid,
            after={
                "username": username,
                "display_name": display,
                "department_id": dept,
                "sso_subject": subject,
                "via": via,
                "roles": [],
            },
        )
        return uid

    try:
        return get_db().write(tx)
    except SsoRefused as exc:
        _audit_refusal(exc.reason, via, subject)
        raise


# -- administration: bind identities to accounts --------------------------------


def list_bindings(actor: Actor) -> list[dict]:
    """Every account with its bound identity and last SSO login (admin)."""
    require(actor, "admin", action="查看统一身份认证账号对应关系")
    return get_db().dicts(
        "WITH last AS (SELECT actor_id, max(logged_at) AS last_sso FROM audit_log"
        "  WHERE action = 'sso_login' GROUP BY actor_id)"
        " SELECT u.id, u.username, u.display_name, d.name AS department, u.active,"
        " u.sso_subject, u.password_hash IS NOT NULL AS has_password,"
        " (SELECT count(*) FROM user_role r WHERE r.user_id = u.id) AS role_count,"
        " last.last_sso"
        " FROM app_user u JOIN department d ON d.id = u.department_id"
        " LEFT JOIN last ON last.actor_id = u.id"
        " WHERE u.id NOT IN (SELECT user_id FROM api_client) ORDER BY u.id"
    )


def bind_identity(actor: Actor, user_id: int, subject: str | None) -> None:
    """Bind (or, with an empty subject, unbind) a unified-identity value to
    an account.  A bound account is matched by this value only, no longer by
    its username."""
    require(actor, "admin", action="设置统一身份认证账号对应关系")
    text = v.text(subject, "统一身份认证标识", required=False, max_len=200)
    value = normalise(text) if text else None
    if text and value is None:
        raise ValidationError("“统一身份认证标识”无效。", field="subject")

    def tx(cur):
        row = cur.execute(
            "SELECT username, sso_subject FROM app_user WHERE id = ? AND id NOT IN (SELECT user_id FROM api_client)",
            [user_id],
        ).fetchone()
        if row is None:
            raise NotFound("用户不存在。")
        username, before = row
        if before == value:
            return
        if value is not None:
            other = cur.execute(
                "SELECT username FROM app_user WHERE sso_subject = ? AND id <> ?", [value, user_id]
            ).fetchone()
            if other:
                raise ValidationError(f"统一身份认证标识“{value}”已对应账号“{other[0]}”。", field="subject")
            clash = cur.execute(
                "SELECT username FROM app_user WHERE username = ? AND id <> ? AND sso_subject IS NULL", [value, user_id]
            ).fetchone()
            if clash:
                raise ValidationError(
                    f"统一身份认证标识“{value}”与账号“{clash[0]}”的用户名相同，会被当作该账号；"
                    "请先为该账号绑定其他标识。",
                    field="subject",
                )
        cur.execute("UPDATE app_user SET sso_subject = ?, updated_at = ? WHERE id = ?", [value, clock.now(), user_id])
        audit.record(
            cur,
            actor,
            "sso_bind" if value else "sso_unbind",
            "user",
            user_id,
            before={"sso_subject": before},
            after={"sso_subject": value},
        )

    get_db().write(tx)
