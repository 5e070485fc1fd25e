"""The login gate every script runs first (``app.py`` and each page file).

Password login uses our own form (Chinese labels; it reports failures to
:func:`sgld.services.accounts.authenticate`, which counts them for the
lockout — streamlit-authenticator's own form gives no hook for that and
sleeps 0.7 s per run).  streamlit-authenticator keeps the login across
reloads with its signed cookie: it gets a pre-hashed credentials dict built
from the database (active users only) and its ``login('unrendered')`` runs
before ``st.navigation``.  Its cookie cannot be revoked, so a per-user
session version (``app_user.session_valid_from``) is checked on every run:
logout, password change, reset and deactivation move it forward and every
older session or cookie stops working.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st
import streamlit_authenticator as stauth

from db.connection import get_db
from sgld import clock, settings, startup
from sgld.demo import DEMO_PASSWORD
from sgld.demo.base import ACCOUNTS
from sgld.errors import AuthError
from sgld.security import PAGES, Actor, ROLES
from sgld.services import accounts

SS_ACTOR, SS_ISSUED, SS_SEEN = "sgld_actor_id", "sgld_issued_at", "sgld_last_seen"


def _authenticator() -> stauth.Authenticate:
    cfg = settings.get()
    creds = {"usernames": {}}
    for uid, username, name, pw in get_db().all(
            "SELECT id, username, display_name, password_hash FROM app_user WHERE active"):
        creds["usernames"][username] = {"name": name, "password": pw or "!", "email": None,
                                        "id": uid}
    return stauth.Authenticate(creds, cfg.cookie_name, cfg.cookie_key,
                               cfg.idle_minutes / 1440, auto_hash=False, login_sleep_time=0)


def _from_epoch(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, clock.TZ).replace(tzinfo=None)


def _clear(message: str | None = None) -> None:
    for key in (SS_ACTOR, SS_ISSUED, SS_SEEN):
        st.session_state.pop(key, None)
    for key in ("authentication_status", "username", "name", "roles", "email"):
        st.session_state[key] = None
    if message:
        st.session_state["sgld_login_notice"] = message


def _start(actor: Actor, issued_at: datetime) -> None:
    st.session_state[SS_ACTOR] = actor.user_id
    st.session_state[SS_ISSUED] = issued_at
    st.session_state[SS_SEEN] = clock.now()


@st.cache_resource(show_spinner="正在初始化数据库…")
def _ready() -> bool:
    startup.ensure_ready()
    return True


def current_actor() -> Actor:
    """Return the logged-in actor, or show the login form and stop the run."""
    _ready()
    cfg = settings.get()
    ss = st.session_state
    now = clock.now()
    uid = ss.get(SS_ACTOR)
    if uid is not None:
        actor = accounts.load_actor(uid)
        idle = now - ss.get(SS_SEEN, now) > timedelta(minutes=cfg.idle_minutes)
        if actor is None or not accounts.session_valid(uid, ss[SS_ISSUED]):
            _clear("登录已失效（已退出、密码已修改或账号已停用），请重新登录。")
        elif idle:
            _clear(f"超过 {cfg.idle_minutes} 分钟未操作，已自动退出，请重新登录。")
        else:
            ss[SS_SEEN] = now
            if now - ss[SS_ISSUED] > timedelta(minutes=cfg.idle_minutes / 2):
                # slide the cookie's expiry while the user is active
                ss["username"] = actor.username
                _authenticator().cookie_controller.set_cookie()
                ss[SS_ISSUED] = now
            return actor

    auth = _authenticator()
    try:
        auth.login(location="unrendered")  # re-authenticates from a valid cookie
    except Exception:  # noqa: BLE001 - a cookie for an unknown user: treat as none
        ss["authentication_status"] = None
    if ss.get("authentication_status") and ss.get("username"):
        token = auth.cookie_controller.get_cookie()
        actor = accounts.actor_by_username(ss["username"])
        if token and actor:
            issued = _from_epoch(token["exp_date"]) - timedelta(minutes=cfg.idle_minutes)
            if accounts.session_valid(actor.user_id, issued):
                _start(actor, issued)
                return actor
        _clear()
        ss["logout"] = True  # make the library ignore the stale cookie in this session
    actor = _login_form(auth)
    if actor is None:
        st.stop()
    return actor


def _login_form(auth: stauth.Authenticate) -> Actor | None:
    cfg = settings.get()
    box = st.empty()
    with box.container():
        _, mid, _ = st.columns([1, 2, 1])
        with mid:
            st.title(cfg.app_title)
            st.caption(f"{cfg.bureau_name} · 相对集中行政许可权事项审批与监管协调联动")
            if cfg.demo:
                st.warning("演示模式：数据为系统生成的演示数据，请勿录入真实信息。", icon=":material/science:")
            notice = st.session_state.pop("sgld_login_notice", None)
            if notice:
                st.info(notice)
            with st.form("sgld_login", clear_on_submit=False):
                st.subheader("用户登录")
                username = st.text_input("用户名", autocomplete="username")
                password = st.text_input("密码", type="password", autocomplete="current-password")
                submitted = st.form_submit_button("登录", type="primary", width="stretch")
            message = st.empty()
            if cfg.demo:
                with st.expander(f"演示账号（所有账号密码均为 {DEMO_PASSWORD}）", expanded=True):
                    st.table([{"账号": u, "姓名": n, "角色": "、".join(ROLES[r] for r in roles)}
                              for u, (n, _, roles) in ACCOUNTS.items()])
    if not submitted:
        return None
    try:
        actor = accounts.authenticate(username, password)
    except AuthError as exc:
        message.error(str(exc))
        return None
    box.empty()  # the form disappears; the page renders below in this same run
    ss = st.session_state
    ss["logout"] = False
    ss["authentication_status"] = True
    ss["username"] = actor.username
    ss["name"] = actor.display_name
    _start(actor, clock.now())
    auth.cookie_controller.set_cookie()
    return actor


def logout(actor: Actor) -> None:
    auth = _authenticator()
    accounts.logout(actor)
    auth.authentication_controller.logout()
    auth.cookie_controller.delete_cookie()
    _clear("您已安全退出。")


def page_guard(page_key: str) -> Actor:
    """First line of every page file: login, then the page's role check."""
    actor = current_actor()
    title, roles = PAGES[page_key]
    if not actor.has(*roles):
        st.error(f"您没有权限访问“{title}”页面。")
        st.stop()
    return actor
