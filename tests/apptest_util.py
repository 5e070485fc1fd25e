"""Helpers for streamlit.testing AppTest runs."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from tests.conftest import DEMO_PASSWORD, ROOT

TIMEOUT = 60
PAGE_FILES = {
    "push": "pages/1_审批推送.py",
    "supervise": "pages/2_监管录入.py",
    "review": "pages/3_专项审查.py",
    "liaison": "pages/4_联络员.py",
    "profile": "pages/5_企业画像.py",
    "account": "pages/8_账号设置.py",
    "admin": "pages/9_系统管理.py",
}


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def button(at: AppTest, label: str):
    for b in at.button:
        if b.label == label:
            return b
    raise AssertionError(f"no button {label!r}; have {[b.label for b in at.button]}")


def submit_login(at: AppTest, username: str, password: str) -> AppTest:
    inputs = {t.label: t for t in at.text_input}
    inputs["用户名"].input(username)
    inputs["密码"].input(password)
    button(at, "登录").click().run()
    return at


def login(username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """Run app.py, fill in the login form and submit; returns the AppTest."""
    return submit_login(app().run(), username, password)


def as_logged_in(script: str, username: str) -> AppTest:
    """Run one page script directly, as if ``username`` had logged in in this session."""

    from sgld import clock
    from sgld.services.accounts import actor_by_username

    a = actor_by_username(username)
    at = AppTest.from_file(str(ROOT / script), default_timeout=TIMEOUT)
    at.session_state["sgld_actor_id"] = a.user_id
    at.session_state["sgld_issued_at"] = clock.now()
    at.session_state["sgld_last_seen"] = clock.now()
    return at


def nav_pages(at: AppTest) -> set[str]:
    """URL paths of the sidebar's page links ('' is the landing page)."""
    return {p.proto.page for p in at.get("page_link")}


MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "error", "info", "warning", "success")
# a backslash before ASCII punctuation: how ui.widgets.md_text escapes user text
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def markdown_source(at: AppTest) -> str:
    """The Markdown the run sent (markdown, titles, captions, errors...), as written."""
    return "\n".join(str(e.value) for kind in MARKDOWN_KINDS for e in getattr(at, kind))


def page_source(at: AppTest) -> str:
    """That Markdown with backslash escapes resolved, so user text reads as typed."""
    return _ESCAPED.sub(r"\1", markdown_source(at))
