"""AppTest: the login page in each SSO mode, bad [auth] settings, identities
arriving from the platform (``st.user``) and from the trusted header."""

from __future__ import annotations

import time

import pytest

from db.connection import get_db
from sgld import settings
from sgld.services import accounts, org
from tests.apptest_util import app, button, nav_pages, page_source, submit_login
from tests.conftest import DEMO_PASSWORD
from ui import auth as ui_auth

GOOD_AUTH = {
    "redirect_uri": "https://sgld.example.gov.cn/oauth2callback",
    "cookie_secret": "c" * 48,
    "client_id": "sgld",
    "client_secret": "s3cret",
    "server_metadata_url": "https://idp.example.gov.cn/.well-known/openid-configuration",
}
CONTACT = "信息科（0513-00000000）"
SSO_BUTTON = "统一身份认证登录"


@pytest.fixture
def mode(db, monkeypatch):
    def set_(sso_mode: str = "both", **extra):
        monkeypatch.setenv("SGLD_SSO_MODE", sso_mode)
        monkeypatch.setenv("SGLD_SSO_CONTACT", CONTACT)
        for k, v in extra.items():
            monkeypatch.setenv(f"SGLD_{k}", str(v))
        settings.reset()

    yield set_
    settings.reset()


def run(auth: dict | None = GOOD_AUTH, user: dict | None = None):
    at = app()
    if auth is not None:
        at.secrets["auth"] = auth
    if user is not None:
        at.user = user
    return at.run()


def labels(at) -> list[str]:
    return [b.label for b in at.button]


def identity(username: str, **extra) -> dict:
    return {
        "is_logged_in": True,
        "sub": f"sub-{username}",
        "preferred_username": username,
        "iat": int(time.time()),
        **extra,
    }


# -- the login page -----------------------------------------------------------


def test_mode_off_shows_only_local_login(db):
    at = run()
    assert SSO_BUTTON not in labels(at) and "登录" in labels(at)
    assert not at.error


def test_mode_both_offers_sso_beside_local_form(mode):
    mode("both")
    at = run()
    assert not at.exception
    assert SSO_BUTTON in labels(at) and "登录" in labels(at)
    assert {t.label for t in at.text_input} == {"用户名", "密码"}
    submit_login(at, "leader", DEMO_PASSWORD)  # local login still works
    assert "王分管" in page_source(at) and nav_pages(at)


def test_mode_only_shows_sso_instead_of_form(mode):
    mode("only", SSO_LABEL="政务网统一认证登录")
    at = run()
    assert "政务网统一认证登录" in labels(at)
    assert "登录" not in labels(at) and not at.text_input
    assert "演示账号" not in str([e.label for e in at.expander])


@pytest.mark.parametrize("missing", ["client_secret", "redirect_uri", "cookie_secret"])
def test_missing_auth_key_is_named_and_local_login_still_works(mode, missing):
    mode("only")  # even in "only" mode the local form comes back
    at = run({k: v for k, v in GOOD_AUTH.items() if k != missing})
    errors = " ".join(e.value for e in at.error)
    assert f"缺少 {missing}" in errors and "请使用本系统账号登录" in errors
    assert SSO_BUTTON not in labels(at)
    submit_login(at, "supervisor", DEMO_PASSWORD)
    assert "张监管" in page_source(at)


def test_no_auth_section_is_reported(mode):
    mode("both")
    at = run(auth=None)
    assert any("[auth]" in e.value for e in at.error)
    assert SSO_BUTTON not in labels(at) and "登录" in labels(at)


def test_bad_mode_value_is_reported_and_falls_back_to_local(mode):
    mode("sometimes")
    at = run()
    assert any("SGLD_SSO_MODE" in e.value for e in at.error)
    assert SSO_BUTTON not in labels(at) and "登录" in labels(at)


# -- identities from the platform (st.user) ---------------------------------------


def test_platform_identity_mapped_to_supervisor_gets_supervisor_pages(mode):
    mode("both")
    at = run(user=identity("supervisor", name="任意名称"))
    assert not at.exception
    src = page_source(at)
    assert "张监管" in src and "市场监管局" in src  # name and department from the database
    assert "审批推送" in nav_pages(at) and "系统管理" not in nav_pages(at)
    assert "退出登录" in labels(at)
    rows = get_db().all("SELECT actor FROM audit_log WHERE action = 'sso_login'")
    assert rows == [("supervisor",)]
    at.run()  # further runs of the same session do not log in again
    assert get_db().scalar("SELECT count(*) FROM audit_log WHERE action = 'sso_login'") == 1


def test_unmapped_identity_sees_only_the_not_opened_page(mode):
    mode("both")
    at = run(user=identity("stranger"))
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "尚未开通" in errors[0] and CONTACT in errors[0]
    assert labels(at) == ["退出统一身份认证"]  # nothing else: no form, no navigation
    assert not at.text_input and not nav_pages(at)
    at.run()
    at.run()  # refusal audited once per session, not per run
    assert get_db().scalar("SELECT count(*) FROM audit_log WHERE action = 'sso_refused'") == 1


def test_deactivated_user_is_refused_with_valid_identity(mode):
    mode("both")
    admin = accounts.actor_by_username("admin")
    org.set_user_active(admin, accounts.actor_by_username("supervisor2").user_id, False)
    at = run(user=identity("supervisor2"))
    assert any("已停用" in e.value and CONTACT in e.value for e in at.error)
    assert not nav_pages(at) and "退出登录" not in labels(at)


def test_stale_identity_token_needs_a_fresh_login(mode):
    mode("both")
    at = run(user=identity("supervisor", iat=int(time.time()) - 3 * 3600))
    assert "统一身份认证登录已过期" in page_source(at)
    assert SSO_BUTTON in labels(at) and not nav_pages(at)


def test_identity_ignored_when_sso_is_off(db):
    at = run(user=identity("supervisor"))
    assert not nav_pages(at) and "登录" in labels(at)


def test_auto_created_user_sees_pending_page(mode):
    mode("both", SSO_AUTO_CREATE="true")
    at = run(user=identity("newcomer", name="新同事"))
    src = page_source(at)
    assert "尚未分配角色" in src and CONTACT in src and "新同事" in src
    assert not nav_pages(at) and labels(at) == ["退出登录"]


def test_logout_of_sso_session_ends_both(mode):
    mode("both")
    at = run(user=identity("supervisor"))
    button(at, "退出登录").click().run()  # the run ends with the redirect to the platform
    assert "sgld_actor_id" not in at.session_state
    at.run()  # even with the identity still present, this session is not logged in again
    assert not nav_pages(at) and "您已安全退出" in page_source(at)
    # the session version moved: the same identity token no longer logs in
    uid = accounts.actor_by_username("supervisor").user_id
    assert get_db().scalar("SELECT count(*) FROM audit_log WHERE action = 'logout' AND actor_id = ?", [uid]) == 1
    again = run(user=identity("supervisor", iat=int(time.time()) - 60))
    assert not nav_pages(again) and "登录已失效" in page_source(again)


# -- trusted header -----------------------------------------------------------


@pytest.fixture
def header(mode, monkeypatch):
    def set_(value: str | None, address: str = "127.0.0.1", sso_mode: str = "off"):
        mode(sso_mode, TRUSTED_HEADER="X-Remote-User")
        monkeypatch.setattr(ui_auth, "_server_address", lambda: address)
        monkeypatch.setattr(
            ui_auth,
            "_request_header",
            lambda name: [value] if value is not None and name.lower() == "x-remote-user" else [],
        )

    return set_


def test_header_logs_in_that_user(header):
    header("approver")
    at = run(auth=None)
    assert "李经办" in page_source(at) and "审批推送" in nav_pages(at)
    assert get_db().scalar("SELECT after_json FROM audit_log WHERE action = 'sso_login'").count('"via": "header"') == 1


def test_request_without_header_is_not_logged_in(header):
    header(None)
    at = run(auth=None)
    assert not nav_pages(at)
    assert any("X-Remote-User" in w.value.replace("\\", "") for w in at.warning)


def test_header_mode_refused_when_not_loopback(header):
    header("admin", address="0.0.0.0")
    at = run(auth=None)
    assert not nav_pages(at)
    assert any("已拒绝启用" in e.value and "0.0.0.0" in e.value for e in at.error)
    assert "登录" in labels(at)  # local login still works


def test_header_logout_does_not_log_straight_back_in(header):
    header("approver")
    at = run(auth=None)
    button(at, "退出登录").click().run()
    assert not nav_pages(at) and "您已安全退出" in page_source(at)
    at.run()
    assert not nav_pages(at)  # held until the user asks (the browser test clicks it)
    assert "重新登录（统一身份认证网关）" in labels(at)
    # a fresh session (page reload) through the gateway logs in again
    assert "审批推送" in nav_pages(run(auth=None))


# -- admin tab ------------------------------------------------------------------


def _admin_page():
    from tests.apptest_util import as_logged_in

    at = as_logged_in("pages/9_系统管理.py", "admin")
    at.session_state["admin_tab"] = "统一身份认证"
    return at


def test_admin_tab_shows_config_problems_and_binds_identity(mode):
    mode("both")
    at = _admin_page()
    at.secrets["auth"] = {k: v for k, v in GOOD_AUTH.items() if k != "client_id"}
    at.run()
    assert not at.exception
    assert any("缺少 client_id" in e.value for e in at.error)
    form_select = [s for s in at.selectbox if s.label == "账号"][0]
    uid = accounts.actor_by_username("supervisor").user_id
    form_select.set_value(uid)
    [t for t in at.text_input if t.label == "统一身份认证标识"][0].input("Zhang@Example.gov.cn")
    button(at, "保存对应关系").click().run()
    assert not at.exception
    assert get_db().scalar("SELECT sso_subject FROM app_user WHERE id = ?", [uid]) == "zhang@example.gov.cn"
    # a clash is refused with a clear message and changes nothing
    other = accounts.actor_by_username("supervisor2").user_id
    [s for s in at.selectbox if s.label == "账号"][0].set_value(other)
    [t for t in at.text_input if t.label == "统一身份认证标识"][0].input("zhang@example.gov.cn")
    button(at, "保存对应关系").click().run()
    assert any("已对应账号“supervisor”" in e.value for e in at.error)
    assert get_db().scalar("SELECT sso_subject FROM app_user WHERE id = ?", [other]) is None


def test_admin_tab_config_ok(mode):
    mode("both")
    at = _admin_page()
    at.secrets["auth"] = GOOD_AUTH
    at.run()
    assert any("配置检查通过" in s.value for s in at.success)


def test_sso_tab_is_admin_only(mode):
    from tests.apptest_util import as_logged_in

    at = as_logged_in("pages/9_系统管理.py", "supervisor").run()
    # refused by the page guard, not hidden by a crash of the page
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["您没有权限访问“系统管理”页面。"]
    assert not [s for s in at.selectbox if s.label == "账号"]
