"""Browser: single sign-on against a real OIDC provider on loopback
(``oidc-provider-mock``), and the trusted reverse-proxy header mode, on real
``streamlit run server.py`` servers driven by headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_util import Server, free_port, need_browser, shot, wait_ready

# the mock provider uses an Authlib API that Authlib has deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")

CONTACT = "市行政审批局信息科（电话 0513-12345678）"
COOKIE_SECRET = "sso-browser-test-cookie-secret-0123456789abcdef"
# sub at the identity platform -> claims it returns
IDENTITIES = {
    "id-0001": {"preferred_username": "supervisor", "name": "张监管", "email": "zhang@example.gov.cn"},
    "id-0002": {"preferred_username": "nobody", "name": "未开通用户"},
    "id-0003": {"preferred_username": "supervisor3", "name": "周安监"},
}


@pytest.fixture(scope="module")
def oidc():
    need_browser()
    import httpx
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread(port=free_port()) as srv:
        url = f"http://localhost:{srv.server_port}"
        for sub, claims in IDENTITIES.items():
            httpx.put(f"{url}/users/{sub}", json=claims).raise_for_status()
        yield url


def _prepare(demo_template: Path, tmp: Path, *, deactivate: tuple[str, ...] = ()) -> None:
    """A copy of the session's demo database (so the server starts at once),
    with some accounts deactivated before the server opens it."""
    from tests.conftest import copy_install

    copy_install(demo_template, tmp)
    if deactivate:
        from db.connection import Database

        db = Database(tmp / "sgld.duckdb")
        db.write(
            lambda cur: cur.execute(
                "UPDATE app_user SET active = false WHERE username IN (SELECT unnest(?))", [list(deactivate)]
            )
        )
        db.close()


@pytest.fixture(scope="module")
def sso_server(demo_template, tmp_path_factory, oidc):
    tmp = tmp_path_factory.mktemp("sso_server")
    _prepare(demo_template, tmp, deactivate=("supervisor3",))
    secrets = tmp / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "sgld"\n'
        'client_secret = "sgld-secret"\n'
        f'server_metadata_url = "{oidc}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    srv = Server(
        tmp, extra_env={"SGLD_SSO_MODE": "both", "SGLD_SSO_CONTACT": CONTACT, "STREAMLIT_SECRETS_FILES": str(secrets)}
    )
    yield srv
    srv.stop()


def _sso_login(page, url: str, sub: str) -> None:
    page.goto(url)
    button = page.get_by_role("button", name="统一身份认证登录", exact=True)
    button.wait_for(timeout=30_000)
    wait_ready(page)
    button.click()
    page.get_by_placeholder("sub").wait_for(timeout=30_000)  # the identity platform's form
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**", timeout=30_000)
    wait_ready(page)


def test_sso_login_lands_on_role_pages_and_logout_ends_both(sso_server, page):
    url = sso_server.url
    _sso_login(page, url, "id-0001")
    page.get_by_text("退出登录").wait_for(timeout=30_000)
    wait_ready(page)
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "张监管" in sidebar and "市场监管局" in sidebar
    for title in ("审批推送", "监管录入", "企业画像"):
        assert title in sidebar
    assert "系统管理" not in sidebar  # the local account's roles, not the platform's
    shot(page, "sso-supervisor")

    # logout ends the local session and the platform identity
    page.get_by_role("button", name="退出登录").click()
    end = page.get_by_role("button", name="End session")
    end.wait_for(timeout=30_000)  # the platform's end-session endpoint
    end.click()
    page.wait_for_url(f"{url}/**", timeout=30_000)
    page.get_by_role("button", name="统一身份认证登录", exact=True).wait_for(timeout=30_000)
    wait_ready(page)
    assert "退出登录" not in page.inner_text("body")
    # and a reload does not log back in (neither cookie nor identity remains)
    page.goto(url)
    page.get_by_role("button", name="统一身份认证登录", exact=True).wait_for(timeout=30_000)
    wait_ready(page)
    body = page.inner_text("body")
    assert "退出登录" not in body and "用户登录" in body


def test_unmapped_identity_sees_not_opened_page(sso_server, page):
    _sso_login(page, sso_server.url, "id-0002")
    page.get_by_text("尚未开通本系统").wait_for(timeout=30_000)
    wait_ready(page)
    body = page.inner_text("body")
    assert "nobody" in body and CONTACT in body
    assert "退出登录" not in body and "审批推送" not in body and "用户名" not in body
    shot(page, "sso-not-opened")
    # the user can end that identity to try another one
    wait_ready(page)
    page.get_by_role("button", name="退出统一身份认证").click()
    page.get_by_role("button", name="End session").wait_for(timeout=30_000)


def test_deactivated_users_identity_is_refused(sso_server, page):
    _sso_login(page, sso_server.url, "id-0003")
    page.get_by_text("已停用").wait_for(timeout=30_000)
    wait_ready(page)
    body = page.inner_text("body")
    assert "supervisor3" in body and CONTACT in body
    assert "退出登录" not in body and "审批推送" not in body


def test_local_login_still_works_beside_sso(sso_server, page):
    page.goto(sso_server.url)
    page.get_by_label("用户名").wait_for(timeout=30_000)
    page.get_by_label("用户名").fill("leader")
    page.get_by_label("密码").fill("Sgld@2026")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text("退出登录").wait_for(timeout=30_000)
    wait_ready(page)
    assert "王分管" in page.locator("[data-testid='stSidebar']").inner_text()


# -- trusted reverse-proxy header ---------------------------------------------


@pytest.fixture(scope="module")
def header_server(demo_template, tmp_path_factory):
    need_browser()
    tmp = tmp_path_factory.mktemp("header_server")
    _prepare(demo_template, tmp, deactivate=("supervisor3",))
    srv = Server(tmp, extra_env={"SGLD_TRUSTED_HEADER": "X-Remote-User", "SGLD_SSO_CONTACT": CONTACT})
    yield srv
    srv.stop()


def _open(browser, url: str, headers: dict | None = None):
    ctx = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="zh-CN", extra_http_headers=headers or {}
    )
    pg = ctx.new_page()
    pg.goto(url)
    pg.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    return ctx, pg


def test_header_logs_in_that_user(header_server, browser):
    ctx, pg = _open(browser, header_server.url, {"X-Remote-User": "supervisor2"})
    try:
        pg.get_by_text("退出登录").wait_for(timeout=30_000)
        wait_ready(pg)
        sidebar = pg.locator("[data-testid='stSidebar']").inner_text()
        assert "陈环保" in sidebar and "生态环境局" in sidebar
        shot(pg, "sso-header-supervisor2")
        # logout: no automatic login again in this session, until the user asks
        pg.get_by_role("button", name="退出登录").click()
        pg.get_by_text("您已安全退出").wait_for(timeout=30_000)
        wait_ready(pg)
        assert "退出登录" not in pg.inner_text("body")
        pg.get_by_role("button", name="重新登录（统一身份认证网关）").click()
        pg.get_by_text("退出登录").wait_for(timeout=30_000)
        assert "陈环保" in pg.locator("[data-testid='stSidebar']").inner_text()
    finally:
        ctx.close()


def test_request_without_header_is_not_logged_in(header_server, browser):
    ctx, pg = _open(browser, header_server.url)
    try:
        pg.get_by_text("未收到统一身份认证网关传递的用户身份").wait_for(timeout=30_000)
        wait_ready(pg)
        body = pg.inner_text("body")
        assert "X-Remote-User" in body and "退出登录" not in body
    finally:
        ctx.close()


def test_header_for_unknown_or_deactivated_user_is_refused(header_server, browser):
    for value, text in (("stranger", "尚未开通本系统"), ("supervisor3", "已停用")):
        ctx, pg = _open(browser, header_server.url, {"X-Remote-User": value})
        try:
            pg.get_by_text(text).wait_for(timeout=30_000)
            wait_ready(pg)
            body = pg.inner_text("body")
            assert CONTACT in body and "退出登录" not in body
        finally:
            ctx.close()


def test_header_mode_refused_when_not_bound_to_loopback(demo_template, tmp_path, browser):
    _prepare(demo_template, tmp_path)
    srv = Server(
        tmp_path, extra_env={"SGLD_TRUSTED_HEADER": "X-Remote-User"}, extra_args=["--server.address", "0.0.0.0"]
    )
    try:
        ctx, pg = _open(browser, srv.url, {"X-Remote-User": "admin"})
        try:
            pg.get_by_text("可信请求头模式").wait_for(timeout=30_000)
            wait_ready(pg)
            body = pg.inner_text("body")
            assert "已拒绝启用" in body and "127.0.0.1" in body
            assert "退出登录" not in body  # the header logged nobody in
            pg.get_by_label("用户名").wait_for()  # local login still offered
        finally:
            ctx.close()
    finally:
        srv.stop()
    log = (tmp_path / "server.log").read_text()
    assert "可信请求头模式" in log  # the start-up message
