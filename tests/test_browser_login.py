"""Browser: every demo account logs in on a real server and sees its pages;
page URLs opened without logging in show only the login prompt."""

import pytest

from sgld.demo import DEMO_PASSWORD
from sgld.demo.base import ACCOUNTS
from sgld.security import PAGES
from tests.browser_util import Server, login, shot, wait_ready

PAGE_PATHS = {
    "push": "审批推送",
    "supervise": "监管录入",
    "review": "专项审查",
    "liaison": "联络员",
    "admin": "系统管理",
}


def test_page_urls_on_fresh_server_show_only_login(tmp_path, browser):
    """A freshly started server (no session has run st.navigation yet); logging
    in on a page URL opens that page with the app's sidebar."""
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
        # logging in there opens that page inside the app: sidebar, navigation, 退出登录
        # (Streamlit's legacy pages/ folder mode used to run the page file alone)
        login(page, srv.url, "liaison", path="联络员")
        sidebar = page.get_by_test_id("stSidebar")
        assert sidebar.is_visible()
        assert sidebar.get_by_text("退出登录").is_visible()
        assert sidebar.get_by_role("link", name="首页").count() == 1
        assert page.get_by_role("heading", name="联络员").count() == 1
        assert page.url.endswith("/%E8%81%94%E7%BB%9C%E5%91%98")
        # logging out returns to the start address, so the next user starts on 首页
        sidebar.get_by_role("button", name="退出登录").click()
        page.get_by_label("用户名").wait_for(timeout=30_000)
        wait_ready(page)
        assert page.url == f"{srv.url}/"
        assert "您已安全退出" in page.inner_text("body")
        ctx.close()
    finally:
        srv.stop()


def test_login_page_loads_the_chart_library_out_of_sight(server, browser):
    """While the user types, the login page has plotly drawn one hidden
    chart, so the dashboard's charts after 登录 do not wait for the library."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(server.url)
    page.get_by_label("用户名").wait_for(timeout=30_000)
    warm = page.locator(".st-key-sgld_chart_warmup")
    warm.locator(".js-plotly-plot .main-svg").first.wait_for(state="attached", timeout=30_000)
    assert not warm.is_visible()
    assert page.locator(".js-plotly-plot:visible").count() == 0
    ctx.close()


@pytest.mark.parametrize("username", ["admin", "leader", "approver", "supervisor", "supervisor2", "liaison"])
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


def test_twenty_logins_in_a_row_without_retry(tmp_path, browser):
    """Issue 16.13: about one login click in 18 was swallowed (a rerun from the
    cookie component interrupted the click's run and reset the button), and
    reopening with a restored cookie raised StreamlitDuplicateElementKey
    ('init').  Twenty fresh browsers on a fresh server, one click each; then
    each reopens the app with its cookie."""
    srv = Server(tmp_path)
    try:
        for i in range(20):
            ctx = browser.new_context(locale="zh-CN")
            page = ctx.new_page()
            page.goto(srv.url)
            page.get_by_label("用户名").wait_for(timeout=180_000)
            page.get_by_label("用户名").fill("approver" if i % 2 else "supervisor")
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录", exact=True).click()  # once, no retry
            page.get_by_text("退出登录").wait_for(timeout=30_000)
            wait_ready(page)
            if i % 5 == 0:  # the cookie logs the same browser in again, without an error
                page.goto(srv.url)
                page.get_by_text("退出登录").wait_for(timeout=30_000)
                wait_ready(page)
            ctx.close()
        log = (tmp_path / "server.log").read_text()
        assert "DuplicateElementKey" not in log and "Traceback" not in log, log[-3000:]
    finally:
        srv.stop()


def test_reopening_with_a_half_idle_cookie_has_no_duplicate_key(tmp_path, browser):
    """A cookie older than half the idle time is restored by app.py and slid
    by the page's own login check in the same run: with one authenticator per
    call, that rendered the cookie component twice (key 'init')."""
    import os

    from tests.conftest import ROOT

    shift = tmp_path / "clock-shift-minutes"  # tests/clockshift: the server's clock moves
    srv = Server(
        tmp_path,
        extra_env={
            "SGLD_IDLE_MINUTES": "1",
            "PYTHONPATH": f"{ROOT / 'tests' / 'clockshift'}{os.pathsep}{ROOT}",
            "SGLD_TEST_CLOCK_SHIFT_FILE": str(shift),
        },
    )
    try:
        ctx = browser.new_context(locale="zh-CN")
        page = ctx.new_page()
        login(page, srv.url, "approver")
        shift.write_text("0.6")  # 36 s later: past half of the one-minute idle time
        page.goto(f"{srv.url}/审批推送")  # a new session: restored from the cookie
        page.get_by_text("退出登录").wait_for(timeout=30_000)
        wait_ready(page)
        assert "DuplicateElementKey" not in page.inner_text("body")
        ctx.close()
        log = (tmp_path / "server.log").read_text()
        assert "DuplicateElementKey" not in log, log[-3000:]
    finally:
        srv.stop()


def _cookie(ctx, name, timeout_s=30):
    """The login cookie of the browser context, once the server has set it."""
    import time

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        found = [c for c in ctx.cookies() if c["name"] == name]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"cookie {name} never set")


def test_login_cookie_is_httponly_strict_and_secure_behind_tls(server, browser):
    """Issue 15.8: the login cookie is HttpOnly (set by the server, no script
    on the page can read it) and SameSite=Strict; behind nginx's TLS
    (X-Forwarded-Proto: https) it is Secure."""
    from sgld import settings

    name = settings.get().cookie_name
    for proto, secure in (("https", True), (None, False)):
        ctx = browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-Proto": proto} if proto else None)
        page = ctx.new_page()
        login(page, server.url, "approver")
        cookie = _cookie(ctx, name)
        assert cookie["httpOnly"] is True, cookie
        assert cookie["sameSite"] == "Strict" and cookie["secure"] is secure, cookie
        assert name not in page.evaluate("document.cookie")
        ctx.close()


def _count_runs(page) -> list:
    """Record each script run the browser asks for (BackMsg rerun_script)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    runs = []

    def on_ws(ws):
        def sent(payload):
            if isinstance(payload, (bytes, bytearray)):
                msg = BackMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "rerun_script":
                    runs.append(msg)

        ws.on("framesent", sent)

    page.on("websocket", on_ws)
    return runs


def test_one_script_run_per_page_load_and_per_click(server, browser):
    """Issue 17.1: a page load asks for one run, a click for one; the login
    cookie (set by the server, read from the request) costs none.  Counted
    on the websocket, after a pause long enough for a late extra run."""
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    runs = _count_runs(page)

    def settled(expected, what):
        wait_ready(page)
        page.wait_for_timeout(2500)  # a component reporting back would rerun by now
        assert len(runs) == expected, (what, len(runs))
        runs.clear()

    page.goto(server.url)
    page.get_by_label("用户名").wait_for(timeout=180_000)
    settled(1, "login page load")
    page.get_by_label("用户名").fill("approver")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    settled(0, "typing into the login form")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text("退出登录").wait_for(timeout=60_000)
    settled(1, "login click")
    page.reload()
    page.get_by_text("退出登录").wait_for(timeout=60_000)
    settled(1, "reload, logged in again by the cookie")
    page.goto(f"{server.url}/{PAGE_PATHS['push']}")
    page.get_by_text("退出登录").wait_for(timeout=60_000)
    settled(1, "opening another page by its URL")
    page.get_by_role("tab").nth(1).click()
    settled(1, "a click on a tab (the page draws only the open tab)")
    page.get_by_text("退出登录").click()
    page.get_by_label("用户名").wait_for(timeout=60_000)
    settled(1, "logout click")
    page.reload()
    page.get_by_label("用户名").wait_for(timeout=60_000)
    settled(1, "reload after logout: the login form, the cookie is gone")
    ctx.close()
