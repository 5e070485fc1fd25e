"""Browser: every demo account logs in on a real server and sees its pages;
page URLs opened without logging in show only the login prompt."""
import pytest

from sgld.demo.base import ACCOUNTS
from sgld.security import PAGES, ROLES
from tests.browser_util import Server, launch, login, need_browser, shot, wait_ready

PAGE_PATHS = {"push": "审批推送", "supervise": "监管录入", "review": "专项审查",
              "liaison": "联络员", "admin": "系统管理"}


def test_page_urls_on_fresh_server_show_only_login(tmp_path, browser):
    """A freshly started server (no session has run st.navigation yet)."""
    srv = Server(tmp_path)
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        for slug in PAGE_PATHS.values():
            page.goto(f"{srv.url}/{slug}")
            page.get_by_label("用户名").wait_for(timeout=30_000)
            wait_ready(page)
            body = page.inner_text("body")
            assert "用户登录" in body
            assert "建设中" not in body and "退出登录" not in body
        ctx.close()
    finally:
        srv.stop()


@pytest.mark.parametrize("username", ["admin", "leader", "approver", "supervisor",
                                      "supervisor2", "liaison"])
def test_each_demo_account_logs_in(server, page, username):
    login(page, server.url, username)
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    roles = ACCOUNTS[username][2]
    for key, (title, allowed) in PAGES.items():
        if key in ("home", "account"):
            continue
        if set(roles) & allowed:
            assert title in sidebar, (username, title)
        else:
            assert title not in sidebar, (username, title)
    assert ACCOUNTS[username][0] in sidebar
    shot(page, f"login-{username}")
