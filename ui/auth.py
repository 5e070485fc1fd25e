"""The login gate every script runs first (``app.py`` and each page file).

Password login uses our own form (Chinese labels; it reports failures to
:func:`sgld.services.accounts.authenticate`, which counts them for the
lockout — streamlit-authenticator's own form gives no hook for that and
sleeps 0.7 s per run).  streamlit-authenticator keeps the login across
reloads with its signed cookie token, which the library reads from
``st.context.cookies`` and verifies; the server, not a browser component,
writes the cookie (``HttpOnly``, see :mod:`web.session`).  A token cannot be
revoked, so a per-user session version (``app_user.session_valid_from``) is
checked on every run: logout, password change, reset and deactivation move
it forward and every older session or cookie stops working.

Single sign-on (:mod:`sgld.services.sso`, ``SGLD_SSO_*``):

* **OIDC** (``SGLD_SSO_MODE`` = ``both`` | ``only``): the 统一身份认证登录
  button calls ``st.login``; back from the identity platform, ``st.user``
  carries the claims, which :func:`sso.login` maps to a local active
  account.  A token issued before the account's session version, or older
  than the idle timeout, does not log in by itself (the user presses the
  button again; the platform decides whether to ask for the password).
  After an OIDC login the sliding login cookie is set as for a password
  login.  Logout ends both (``st.logout()``).
* **Trusted header** (``SGLD_TRUSTED_HEADER``): behind a gateway that
  authenticates users, the app — bound to loopback only — takes the user
  from that request header.  Refused, with a clear message, when
  ``server.address`` is not a loopback address.

Malformed SSO settings never lock anyone out: they are printed at start-up
and shown on the login page, and the local password form stays available.
"""

from __future__ import annotations

import sys
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn

import streamlit as st
from streamlit_authenticator.models.cookie_model import CookieModel

from sgld import clock, settings, startup
from sgld.demo import DEMO_PASSWORD
from sgld.demo.base import ACCOUNTS
from sgld.errors import AuthError
from sgld.security import PAGES, ROLES, Actor
from sgld.services import accounts, sso
from ui import reminder_links
from ui.widgets import md_text, warm_chart_library
from web import session as web_session

SS_ACTOR, SS_ISSUED, SS_SEEN = "sgld_actor_id", "sgld_issued_at", "sgld_last_seen"
SS_VIA = "sgld_login_via"  # password | cookie | oidc | header
SS_HOLD = "sgld_sso_hold"  # no automatic SSO login in this session (after logout/expiry)
SS_REFUSED = "sgld_sso_refused"  # (identity key, message): refusal already audited
SS_LOGIN = "sgld_login_result"  # the login button's callback: error message, or None
SS_SET_COOKIE = "sgld_set_cookie"  # a login happened in a callback: set the cookie this run
SS_COOKIE_OP = "sgld_cookie_op"  # the cookie call the browser is to make (see _cookie_call)
SS_RUN = "sgld_gate_run"  # (this run's marker, the actor) once app.py's gate has run


class _LoginCookie(CookieModel):
    """streamlit-authenticator's login cookie: the library reads the token
    from ``st.context.cookies`` (the request that opened the session) and
    checks its signature and expiry.  Built without the library's browser
    component, which reported the cookie back and so cost every page load a
    second script run, and could only write a cookie that any script on the
    page can read; the server writes it instead (:mod:`web.session`)."""

    def __init__(self) -> None:  # noqa: D107 - no super(): that renders the component
        cfg = settings.get()
        self.cookie_name, self.cookie_key = cfg.cookie_name, cfg.cookie_key
        self.cookie_expiry_days = accounts.cookie_minutes(cfg.idle_minutes) / 1440
        self.token = self.exp_date = None

    def claims(self) -> dict | None:
        st.session_state.setdefault("logout", False)  # the library's own flag
        if not isinstance(st.context.cookies.get(self.cookie_name), str):
            return None  # no cookie (or no request at all: a test run)
        try:
            token = self.get_cookie()
        except Exception:  # noqa: BLE001 - a token the library cannot decode: none
            return None
        return token or None


# Posts a ticket to web/session.py, whose answer sets (or clears) the
# HttpOnly login cookie.  Trusted static code; its data is a signed ticket
# and a URL, never user text.  A call is made once per browser tab (``done``).
_COOKIE_JS = """
const done = new Set();
export default function (component) {
  const d = component.data;
  if (!d || done.has(d.key)) return;
  done.add(d.key);
  fetch(d.url, {method: "POST", credentials: "same-origin", cache: "no-store",
                headers: {"Content-Type": "application/json"}, body: JSON.stringify(d.body)})
    .catch(() => done.delete(d.key));
}
"""
_cookie_component = st.components.v2.component("sgld_login_cookie", js=_COOKIE_JS)


def _run_marker():
    """An object unique to the current script run (Streamlit makes a new
    ``cursors`` dict at the start of every run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.cursors if ctx is not None else None


def _queue_cookie(actor: Actor | None) -> None:
    """Have the browser set the login cookie of ``actor`` (None: clear it).
    The call is shown on every run until its ticket expires, so a run that
    replaces this one before the browser made the call does not lose it."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    url = f"/{base}{web_session.PREFIX}" if base else web_session.PREFIX
    if actor is None:
        op = {"url": f"{url}/end", "body": {}}
    else:
        op = {"url": url, "body": {"ticket": web_session.ticket(actor)}}
    op["key"] = f"{clock.now().timestamp():.6f}"
    st.session_state[SS_COOKIE_OP] = (op, clock.now() + timedelta(seconds=web_session.TICKET_SECONDS))


def _cookie_call() -> None:
    pending = st.session_state.get(SS_COOKIE_OP)
    if not pending:
        return
    op, until = pending
    if clock.now() > until:
        st.session_state.pop(SS_COOKIE_OP, None)
        return
    _cookie_component(key="sgld_cookie", data=op, height=0)


def idle_notice(minutes: int) -> str:
    return f"因 {minutes} 分钟未操作，已自动退出，请重新登录。"


def _clear(message: str | None = None) -> None:
    for key in (SS_ACTOR, SS_ISSUED, SS_SEEN, SS_VIA):
        st.session_state.pop(key, None)
    if message:
        st.session_state["sgld_login_notice"] = message


def _start(actor: Actor, issued_at: datetime, via: str) -> None:
    st.session_state[SS_ACTOR] = actor.user_id
    st.session_state[SS_ISSUED] = issued_at
    st.session_state[SS_SEEN] = clock.now()
    st.session_state[SS_VIA] = via


@st.cache_resource(show_spinner="正在初始化数据库…")
def _ready() -> bool:
    startup.ensure_ready()
    return True


# -- what Streamlit knows about the request and its configuration -------------


def _auth_section() -> tuple[dict | None, str | None]:
    """The ``[auth]`` secrets section, and a message when secrets.toml is unreadable."""
    try:
        if st.secrets.load_if_toml_exists():
            auth = st.secrets.get("auth")
            if auth is None:
                return None, None
            return (auth.to_dict() if hasattr(auth, "to_dict") else auth), None
    except Exception as exc:  # noqa: BLE001 - any secrets problem: report, keep local login
        return None, f"读取 .streamlit/secrets.toml 失败：{exc}"
    for path in st.get_option("secrets.files") or []:
        p = Path(path)
        if p.is_file():
            try:
                tomllib.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                return None, f"{p} 不是有效的 TOML 文件：{exc}"
    return None, None


def _server_address() -> str | None:
    return st.get_option("server.address")


def _request_header(name: str) -> list[str]:
    """All values of a header of the request that opened this session."""
    try:
        values = st.context.headers.get_all(name)
    except Exception:  # noqa: BLE001 - no request (bare script run)
        return []
    return [v for v in values if v and v.strip()]  # an empty header is no identity


def _identity() -> dict:
    """``st.user`` as a plain dict ({} when no identity)."""
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001
        return {}


def _sso_state() -> dict:
    """Everything the gate needs to know about SSO for this run."""
    c = sso.config()
    auth, auth_error = _auth_section() if c.oidc else (None, None)
    provider = None
    if c.oidc and not auth_error:
        provider, _ = sso.check_auth_section(auth)
    problems = sso.startup_problems(auth, _server_address(), auth_error)
    header_on = bool(c.header) and sso.header_mode_problem(c.header, _server_address()) is None
    _log_problems(tuple(problems))
    return {"cfg": c, "provider": provider, "problems": problems, "header_on": header_on}


def sso_status() -> dict:
    """The SSO configuration as this server sees it (admin tab)."""
    return {**_sso_state(), "address": _server_address()}


@st.cache_resource(show_spinner=False)
def _log_problems(problems: tuple[str, ...]) -> bool:
    """The start-up message (once per distinct set of problems)."""
    for p in problems:
        print(f"[sgld] 统一身份认证配置问题：{p}", file=sys.stderr, flush=True)
    return True


# -- the gate -------------------------------------------------------------


def current_actor() -> Actor:
    """Return the logged-in actor, or show the login page and stop the run.
    ``app.py`` and then the page call it in the same run: the second call
    gets the first one's actor."""
    _ready()
    run = _run_marker()
    held = st.session_state.get(SS_RUN)
    if run is not None and held is not None and held[0] is run:
        return held[1]
    state = _sso_state()
    actor = _resolve(state)
    _cookie_call()
    if actor is None:
        _stop_keeping_address()
    if not actor.roles:
        _pending_page(actor, state["cfg"])
        _stop_keeping_address()
    if st.session_state.get(SS_VIA) not in ("oidc", "header") and accounts.must_change_password(actor.user_id):
        _forced_change_page(actor)
        _stop_keeping_address()
    if run is not None:
        st.session_state[SS_RUN] = (run, actor)  # holding the dict keeps its identity unique
    return actor


def _stop_keeping_address() -> NoReturn:
    """End a run that shows the login (or a page before the app): declare
    every page's address, not its content, so that a page URL opened while
    logged out (/联络员) is still the page shown after login."""
    st.navigation(
        [
            st.Page(_nothing, title=title, default=key == "home", url_path="home" if key == "home" else title)
            for key, (title, _) in PAGES.items()
        ],
        position="hidden",
    )
    st.stop()


def _nothing() -> None:
    """The content of an address declared by :func:`_stop_keeping_address` (never run)."""


def _resolve(state: dict) -> Actor | None:
    cfg = settings.get()
    c: sso.SsoConfig = state["cfg"]
    ss = st.session_state
    now = clock.now()
    uid = ss.get(SS_ACTOR)
    if uid is not None:
        actor = accounts.load_actor(uid)
        idle = now - ss.get(SS_SEEN, now) > timedelta(minutes=cfg.idle_minutes)
        if actor is None or not accounts.session_valid(uid, ss[SS_ISSUED]):
            _clear("登录已失效（已退出、密码已修改或账号已停用），请重新登录。")
            ss[SS_HOLD] = True
        elif idle:
            _clear(idle_notice(cfg.idle_minutes))
            ss[SS_HOLD] = True
        else:
            ss[SS_SEEN] = now
            if ss.pop(SS_SET_COOKIE, False):
                _queue_cookie(actor)
            elif ss.get(SS_VIA) != "header" and now - ss[SS_ISSUED] > timedelta(minutes=cfg.idle_minutes / 2):
                # slide the cookie's expiry while the user is active
                ss[SS_ISSUED] = now
                _queue_cookie(actor)
            return actor

    # 1. trusted header from the gateway: authoritative when present
    header_values = _request_header(c.header) if state["header_on"] else []
    if header_values and not ss.get(SS_HOLD):
        if len(header_values) > 1:
            _refusal_page(
                f"请求头 {c.header} 出现了多次，无法确定用户身份。请联系{c.contact}检查统一身份认证网关的配置。",
                "header",
            )
            return None
        return _sso_login(header_values[0], "header", None, c)

    # 2. the signed cookie of an earlier login (password or OIDC)
    claims = None if header_values or ss.get("logout") else _LoginCookie().claims()
    if claims:
        if web_session.idle(claims):
            _clear(idle_notice(cfg.idle_minutes))
            ss[SS_HOLD] = True
            ss["logout"] = True  # this session no longer looks at the cookie
            _queue_cookie(None)
            return _login_form(state)
        actor = web_session.actor_for_claims(claims)
        if actor is not None:
            _start(actor, web_session.issued_at(claims), "cookie")
            return actor
        ss["logout"] = True

    # 3. back from the unified identity platform (st.login)
    ident = _identity() if state["provider"] else {}
    if ident.get("is_logged_in") and not ss.get(SS_HOLD):
        iat = ident.get("iat")
        issued = web_session.from_epoch(iat) if isinstance(iat, (int, float)) else None
        if issued is not None and now - issued > timedelta(minutes=cfg.idle_minutes):
            ss["sgld_login_notice"] = "统一身份认证登录已过期，请重新登录。"
        else:
            actor = _sso_login(ident, "oidc", issued, c)
            if actor is not None:
                _queue_cookie(actor)
                return actor
            if ss.get(SS_REFUSED):
                return None

    return _login_form(state)


def _sso_login(identity, via: str, issued: datetime | None, c: sso.SsoConfig) -> Actor | None:
    """Log in an identity from the platform or the gateway; shows the
    refusal page (audited once per session) when it may not."""
    ss = st.session_state
    if via == "header":
        key = (via, identity)
    else:
        key = (via, identity.get("sub"), identity.get(c.claim), identity.get("iat"))
    refused = ss.get(SS_REFUSED)
    if refused and refused[0] == key:
        _refusal_page(refused[1], via)
        return None
    try:
        actor = sso.login(identity, via=via, issued_at=issued)
    except sso.SsoRefused as exc:
        ss[SS_REFUSED] = (key, str(exc))
        _refusal_page(str(exc), via)
        return None
    except sso.SsoExpired as exc:
        ss.pop(SS_REFUSED, None)
        ss[SS_HOLD] = True
        ss["sgld_login_notice"] = str(exc)
        return None
    ss.pop(SS_REFUSED, None)
    _start(actor, clock.now(), via)
    return actor


# -- pages shown instead of the app -------------------------------------------


def _centered():
    _, mid, _ = st.columns([1, 2, 1])
    return mid


def _refusal_page(message: str, via: str) -> None:
    """未开通 / 已停用: the message naming whom to ask, and nothing else."""
    cfg = settings.get()
    with _centered():
        st.title(cfg.app_title)
        st.caption(f"{cfg.bureau_name} · 相对集中行政许可权事项审批与监管协调联动")
        st.subheader("账号未开通或不可用")
        st.error(message, icon=":material/person_off:")
        if via == "oidc":
            st.caption("如需换用其他统一身份认证账号，请先退出。")
            if st.button("退出统一身份认证", icon=":material/logout:", key="sgld_sso_out"):
                st.session_state.pop(SS_REFUSED, None)
                st.logout()
                st.stop()
        else:
            st.caption("如需换用其他账号，请先退出统一身份认证网关，再重新进入本系统。")


def _pending_page(actor: Actor, c: sso.SsoConfig) -> None:
    """An account without roles (e.g. created on first SSO login)."""
    cfg = settings.get()
    with _centered():
        st.title(cfg.app_title)
        st.subheader("账号待分配角色")
        st.warning(
            f"{md_text(actor.display_name)}（{md_text(actor.username)}），您的账号已开通，但尚未分配角色，"
            f"暂时不能使用本系统。请联系{md_text(c.contact)}分配角色后重新登录。",
            icon=":material/hourglass_top:",
        )
        st.caption(f"所属部门：{md_text(actor.department_name)}")
        if st.button("退出登录", icon=":material/logout:", key="sgld_pending_out"):
            logout(actor)
            st.rerun()


def _forced_change_page(actor: Actor) -> None:
    """A password an administrator issued (initial or reset): nothing but the
    change-password form until the user has chosen their own."""
    cfg = settings.get()
    with _centered():
        st.title(cfg.app_title)
        st.subheader("请先修改密码")
        st.info(
            f"{md_text(actor.display_name)}（{md_text(actor.username)}），您当前的密码是系统管理员设置的"
            "初始密码或重置密码。为保证账号安全，请先设置自己的新密码，再使用本系统。",
            icon=":material/lock_reset:",
        )
        password_form(actor, key="sgld_forced_pw")
        if st.button("退出登录", icon=":material/logout:", key="sgld_forced_out"):
            logout(actor)
            st.rerun()


PASSWORD_RULE = "新密码至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类。修改后需重新登录。"


def password_form(actor: Actor, *, key: str) -> None:
    """The change-password form (账号设置 and the forced change after login).
    A refused entry keeps what was typed; a change ends this session and
    returns to the login form with a message (every session of the user
    was ended by the change)."""
    from ui.widgets import action

    st.caption(PASSWORD_RULE)
    with st.form(key):
        old = st.text_input("原密码", type="password", autocomplete="current-password")
        new = st.text_input("新密码", type="password", autocomplete="new-password")
        confirm = st.text_input("确认新密码", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("修改密码", type="primary")
    if submitted:
        changed = False
        with action():
            accounts.change_own_password(actor, old, new, confirm)
            changed = True
        if changed:
            _clear("密码已修改，请使用新密码重新登录。")
            st.session_state["logout"] = True
            _queue_cookie(None)
            st.rerun()


def _login_form(state: dict) -> None:
    cfg = settings.get()
    c: sso.SsoConfig = state["cfg"]
    ss = st.session_state
    oidc_ready = bool(state["provider"])
    header_values = _request_header(c.header) if state["header_on"] else []
    sso_available = oidc_ready or state["header_on"]
    show_form = c.local_form or not sso_available
    with st.container():
        with _centered():
            st.title(cfg.app_title)
            st.caption(f"{cfg.bureau_name} · 相对集中行政许可权事项审批与监管协调联动")
            if cfg.demo:
                st.warning("演示模式：数据为系统生成的演示数据，请勿录入真实信息。", icon=":material/science:")
            notice = ss.pop("sgld_login_notice", None)
            if notice:
                st.info(notice)
            for problem in state["problems"]:
                st.error(
                    f"统一身份认证暂不可用：{problem}" + ("请使用本系统账号登录。" if show_form else ""),
                    icon=":material/report:",
                )
            if state["header_on"]:
                if header_values and ss.get(SS_HOLD):
                    if st.button(
                        "重新登录（统一身份认证网关）",
                        type="primary",
                        width="stretch",
                        icon=":material/login:",
                        key="sgld_header_again",
                    ):
                        ss.pop(SS_HOLD, None)
                        st.rerun()
                elif not header_values:
                    st.warning(
                        f"未收到统一身份认证网关传递的用户身份（请求头 {md_text(c.header)}），无法自动登录。"
                        "请从单位统一身份认证门户进入本系统。",
                        icon=":material/key_off:",
                    )
            if show_form:
                with st.form("sgld_login", clear_on_submit=False):
                    st.subheader("用户登录")
                    st.text_input("用户名", autocomplete="username", key="sgld_login_user")
                    st.text_input("密码", type="password", autocomplete="current-password", key="sgld_login_pw")
                    st.form_submit_button("登录", type="primary", width="stretch", on_click=_password_login)
                error = ss.pop(SS_LOGIN, None)
                if error:
                    st.error(error)
            if oidc_ready:
                if show_form:
                    st.caption("或使用电子政务网统一身份认证账号登录（无需再输入本系统密码）：")
                else:
                    st.subheader("用户登录")
                    st.caption("请使用电子政务网统一身份认证账号登录。")
                if st.button(
                    c.label,
                    type="secondary" if show_form else "primary",
                    width="stretch",
                    icon=":material/verified_user:",
                    key="sgld_sso_login",
                ):
                    st.login(state["provider"])
                    st.stop()  # end the run at once so nothing reruns over the redirect
            if cfg.demo and show_form:
                with st.expander(f"演示账号（所有账号密码均为 {DEMO_PASSWORD}）", expanded=True):
                    st.table(
                        [
                            {"账号": u, "姓名": n, "角色": "、".join(ROLES[r] for r in roles)}
                            for u, (n, _, roles) in ACCOUNTS.items()
                        ]
                    )
    warm_chart_library()
    return None


def _password_login() -> None:
    """The 登录 button's callback.  It runs before the script, and what it
    does survives the run: a rerun that interrupts the run of the click (the
    cookie component reporting its value at that moment) used to reset the
    button and swallow the click, so the filled form just sat there.  The
    run that follows has the browser set the cookie (``SS_SET_COOKIE``)."""
    ss = st.session_state
    username, password = ss.get("sgld_login_user") or "", ss.get("sgld_login_pw") or ""
    ss["sgld_login_pw"] = ""  # never kept in the session
    try:
        actor = accounts.authenticate(username, password)
    except AuthError as exc:
        ss[SS_LOGIN] = str(exc)
        return
    _start(actor, clock.now(), "password")
    ss[SS_SET_COOKIE] = True


def logout(actor: Actor) -> None:
    """End the local session (every session of this user) and, when the
    browser holds a unified-identity login, that one too."""
    ss = st.session_state
    via = ss.get(SS_VIA)
    accounts.logout(actor)
    _clear("您已安全退出。")
    ss["logout"] = True  # the cookie this session was opened with is spent
    _queue_cookie(None)
    if via in ("oidc", "header"):
        ss[SS_HOLD] = True  # no automatic SSO login again in this session
    if _identity().get("is_logged_in"):
        st.logout()  # clears the identity cookie and ends the platform's session
        # end the run here: the caller's st.rerun() would clear the queued
        # redirect before it reaches the browser (it is not a lifecycle message)
        st.stop()


def page_guard(page_key: str) -> Actor:
    """First line of every page file: login, then the page's role check."""
    actor = current_actor()
    title, roles = PAGES[page_key]
    if not actor.has(*roles):
        st.error(f"您没有权限访问“{title}”页面。")
        st.stop()
    reminder_links.apply()  # a 处理提醒 link opens the list it counted
    return actor
