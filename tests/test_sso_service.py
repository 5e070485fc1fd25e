"""Service rules of single sign-on: identity -> local account, refusals,
auto-creation, identity binding, [auth] validation, trusted-header guard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.connection import get_db
from sgld import clock, settings
from sgld.errors import AuthError, NotFound, PermissionDenied, ValidationError
from sgld.services import accounts, org, sso

GOOD_AUTH = {
    "redirect_uri": "https://sgld.example.gov.cn/oauth2callback",
    "cookie_secret": "x" * 40,
    "client_id": "sgld",
    "client_secret": "s3cret",
    "server_metadata_url": "https://idp.example.gov.cn/.well-known/openid-configuration",
}


@pytest.fixture
def env(monkeypatch):
    """Set SGLD_ settings for one test."""

    def set_(**values):
        for k, val in values.items():
            monkeypatch.setenv(f"SGLD_{k}", str(val))
        settings.reset()

    yield set_
    settings.reset()


def audit_rows(action: str) -> list[tuple]:
    return get_db().all("SELECT actor, actor_id, after_json FROM audit_log WHERE action = ? ORDER BY id", [action])


def uid(username: str) -> int:
    return get_db().scalar("SELECT id FROM app_user WHERE username = ?", [username])


# -- mapping ---------------------------------------------------------------


def test_claim_maps_to_local_user_with_database_roles(db):
    actor = sso.login({"preferred_username": "  Supervisor ", "sub": "x1", "groups": ["admin"]}, via="oidc")
    assert actor.username == "supervisor"
    assert actor.roles == {"supervisor"}  # never the platform's groups
    assert actor.department_name == "市场监管局"
    rows = audit_rows("sso_login")
    assert rows[-1][0] == "supervisor" and rows[-1][1] == actor.user_id
    assert '"via": "oidc"' in rows[-1][2]


def test_configured_claim_is_used(db, env):
    env(SSO_CLAIM="email")
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login({"preferred_username": "supervisor"}, via="oidc")  # no email claim
    assert exc.value.reason == "no_claim" and "email" in str(exc.value)
    admin = accounts.actor_by_username("admin")
    sso.bind_identity(admin, uid("supervisor"), "Zhang@Example.gov.cn")
    actor = sso.login({"email": "zhang@example.gov.cn", "preferred_username": "x"}, via="oidc")
    assert actor.username == "supervisor"


def test_bound_account_is_matched_by_binding_only(db):
    admin = accounts.actor_by_username("admin")
    sso.bind_identity(admin, uid("supervisor"), "E1001")
    assert sso.login({"preferred_username": "e1001"}, via="oidc").username == "supervisor"
    # its username no longer maps: the platform's "supervisor" may be someone else
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login({"preferred_username": "supervisor"}, via="oidc")
    assert exc.value.reason == "unknown"


def test_unknown_identity_is_refused_naming_contact_and_audited(db, env):
    env(SSO_CONTACT="信息科王工（0513-1234）")
    before = get_db().scalar("SELECT count(*) FROM app_user")
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login({"preferred_username": "nobody"}, via="oidc")
    msg = str(exc.value)
    assert "尚未开通" in msg and "信息科王工（0513-1234）" in msg and "nobody" in msg
    assert get_db().scalar("SELECT count(*) FROM app_user") == before  # nothing created
    assert '"reason": "unknown"' in audit_rows("sso_refused")[-1][2]


def test_deactivated_user_is_refused_even_with_valid_identity(db):
    admin = accounts.actor_by_username("admin")
    org.set_user_active(admin, uid("supervisor2"), False)
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login({"preferred_username": "supervisor2"}, via="oidc")
    assert exc.value.reason == "inactive" and "已停用" in str(exc.value)
    with pytest.raises(sso.SsoRefused):
        sso.login("supervisor2", via="header")
    rows = audit_rows("sso_refused")
    assert rows[-1][1] == uid("supervisor2") and '"reason": "inactive"' in rows[-1][2]
    assert not [r for r in audit_rows("sso_login") if r[0] == "supervisor2"]


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"preferred_username": ""},
        {"preferred_username": "a\x00b"},
        {"preferred_username": ["x"]},
        {"preferred_username": "x" * 201},
    ],
)
def test_missing_or_malformed_claim_is_refused(db, claims):
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login(claims, via="oidc")
    assert exc.value.reason in ("no_claim", "bad_identity")
    assert "preferred_username" in str(exc.value)


def test_token_issued_before_logout_does_not_log_in(db):
    clock.freeze(clock.now())
    try:
        issued = clock.now()
        actor = sso.login({"preferred_username": "supervisor"}, via="oidc", issued_at=issued)
        clock.freeze(issued + timedelta(minutes=1))
        accounts.logout(actor)  # ends every session of the user
        with pytest.raises(sso.SsoExpired):
            sso.login({"preferred_username": "supervisor"}, via="oidc", issued_at=issued)
        fresh = issued + timedelta(minutes=2)
        clock.freeze(fresh)
        assert sso.login({"preferred_username": "supervisor"}, via="oidc", issued_at=fresh).username == "supervisor"
    finally:
        clock.freeze(None)


def test_header_value_maps_like_a_claim(db):
    assert sso.login(" Approver ", via="header").username == "approver"
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login("", via="header")
    assert "请求头" in str(exc.value)


# -- auto-creation -------------------------------------------------------------


def test_auto_create_is_off_by_default(db):
    assert sso.config().auto_create is False


def test_auto_create_makes_roleless_account_without_password(db, env):
    env(SSO_AUTO_CREATE="true")
    actor = sso.login({"preferred_username": "Wang.Wu@nt.gov.cn", "name": "王五"}, via="oidc")
    assert actor.roles == frozenset()
    assert actor.display_name == "王五"
    assert actor.department_name == settings.get().bureau_name
    row = get_db().one("SELECT username, password_hash, sso_subject FROM app_user WHERE id = ?", [actor.user_id])
    assert row == ("wang.wu", None, "wang.wu@nt.gov.cn")
    created = audit_rows("sso_auto_create")
    assert len(created) == 1 and '"roles": []' in created[0][2]
    # the next login finds the same account, creates nothing
    again = sso.login({"preferred_username": "wang.wu@nt.gov.cn"}, via="oidc")
    assert again.user_id == actor.user_id and len(audit_rows("sso_auto_create")) == 1
    # no local password: the password form refuses it
    with pytest.raises(AuthError):
        accounts.authenticate("wang.wu", "Sgld@2026")


def test_auto_create_picks_free_username_and_configured_department(db, env):
    env(SSO_AUTO_CREATE="yes", SSO_DEPARTMENT="生态环境局")
    admin = accounts.actor_by_username("admin")
    sso.bind_identity(admin, uid("supervisor"), "zhang-sso")  # username "supervisor" now unbound
    a = sso.login({"preferred_username": "supervisor"}, via="oidc")
    assert a.username == "supervisor-2" and a.department_name == "生态环境局"
    b = sso.login({"preferred_username": "张三"}, via="oidc")
    assert b.username.startswith("sso") and b.display_name == "张三"


def test_auto_create_never_revives_deactivated_account(db, env):
    env(SSO_AUTO_CREATE="true")
    admin = accounts.actor_by_username("admin")
    org.set_user_active(admin, uid("liaison"), False)
    n = get_db().scalar("SELECT count(*) FROM app_user")
    with pytest.raises(sso.SsoRefused):
        sso.login({"preferred_username": "liaison"}, via="oidc")
    assert get_db().scalar("SELECT count(*) FROM app_user") == n


def test_auto_create_with_unknown_department_is_refused(db, env):
    env(SSO_AUTO_CREATE="true", SSO_DEPARTMENT="不存在的局")
    n = get_db().scalar("SELECT count(*) FROM app_user")
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login({"preferred_username": "newbie"}, via="oidc")
    assert "不存在的局" in str(exc.value) and "SGLD_SSO_DEPARTMENT" in str(exc.value)
    assert get_db().scalar("SELECT count(*) FROM app_user") == n


def test_admin_assigns_roles_to_auto_created_account(db, env):
    env(SSO_AUTO_CREATE="true")
    new = sso.login({"preferred_username": "newcomer"}, via="oidc")
    admin = accounts.actor_by_username("admin")
    dept = get_db().scalar("SELECT id FROM department WHERE name = '住建局'")
    org.update_user(admin, new.user_id, display_name="新同事", department_id=dept, roles=["supervisor"])
    assert sso.login({"preferred_username": "newcomer"}, via="oidc").roles == {"supervisor"}


# -- binding administration ---------------------------------------------------


def test_binding_is_admin_only_validated_unique_and_audited(db):
    admin = accounts.actor_by_username("admin")
    sup = accounts.actor_by_username("supervisor")
    with pytest.raises(PermissionDenied):
        sso.bind_identity(sup, sup.user_id, "me")
    with pytest.raises(PermissionDenied):
        sso.list_bindings(sup)
    sso.bind_identity(admin, uid("supervisor"), "ID-1")
    with pytest.raises(ValidationError, match="已对应账号“supervisor”"):
        sso.bind_identity(admin, uid("supervisor2"), "id-1")
    with pytest.raises(ValidationError, match="用户名相同"):
        sso.bind_identity(admin, uid("supervisor2"), "approver")
    with pytest.raises(ValidationError, match="控制字符"):
        sso.bind_identity(admin, uid("supervisor2"), "a\x01b")
    with pytest.raises(NotFound):
        sso.bind_identity(admin, 999_999, "zzz")
    rows = {r["username"]: r for r in sso.list_bindings(admin)}
    assert rows["supervisor"]["sso_subject"] == "id-1"
    assert audit_rows("sso_bind")[-1][0] == "admin"
    sso.bind_identity(admin, uid("supervisor"), "  ")  # unbind
    assert rows and get_db().scalar("SELECT sso_subject FROM app_user WHERE username = 'supervisor'") is None
    assert '"sso_subject": null' in get_db().scalar(
        "SELECT after_json FROM audit_log WHERE action = 'sso_unbind' ORDER BY id DESC LIMIT 1"
    )


def test_list_bindings_shows_last_sso_login(db):
    admin = accounts.actor_by_username("admin")
    sso.login({"preferred_username": "approver"}, via="oidc")
    rows = {r["username"]: r for r in sso.list_bindings(admin)}
    assert rows["approver"]["last_sso"] is not None
    assert rows["leader"]["last_sso"] is None


# -- settings and [auth] validation -----------------------------------------------


def test_config_defaults_and_bad_values_fall_back_safely(db, env):
    c = sso.config()
    assert (c.mode, c.claim, c.auto_create, c.header, c.problems) == ("off", "preferred_username", False, "", ())
    env(SSO_MODE="onyl", SSO_AUTO_CREATE="maybe", SSO_CLAIM="a b", TRUSTED_HEADER="Cookie")
    c = sso.config()
    assert (c.mode, c.auto_create, c.claim, c.header) == ("off", False, "preferred_username", "")
    text = "\n".join(c.problems)
    for name in ("SGLD_SSO_MODE", "SGLD_SSO_AUTO_CREATE", "SGLD_SSO_CLAIM", "SGLD_TRUSTED_HEADER"):
        assert name in text


def test_good_auth_section_passes():
    assert sso.check_auth_section(GOOD_AUTH) == ("default", [])
    named = {k: GOOD_AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    named["zwfw"] = {k: GOOD_AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    assert sso.check_auth_section(named) == ("zwfw", [])


@pytest.mark.parametrize("key", ["redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"])
def test_missing_auth_key_is_named(key):
    auth = {k: val for k, val in GOOD_AUTH.items() if k != key}
    provider, problems = sso.check_auth_section(auth)
    assert provider is None
    assert any(f"缺少 {key}" in p for p in problems), problems


@pytest.mark.parametrize(
    "key,value,expect",
    [
        ("redirect_uri", "sgld.example.gov.cn/oauth2callback", "redirect_uri 应为"),
        ("redirect_uri", "https://sgld.example.gov.cn/callback", "/oauth2callback 结尾"),
        ("cookie_secret", "short", "cookie_secret 太短"),
        ("server_metadata_url", "idp.example.gov.cn", "server_metadata_url 应为"),
        ("client_id", 12345, "client_id 应为字符串"),
    ],
)
def test_malformed_auth_key_is_named(key, value, expect):
    provider, problems = sso.check_auth_section({**GOOD_AUTH, key: value})
    assert provider is None and any(expect in p for p in problems), problems


def test_missing_auth_section_is_reported():
    assert sso.check_auth_section(None)[1][0].startswith("未找到")
    two = {
        **{k: GOOD_AUTH[k] for k in ("redirect_uri", "cookie_secret")},
        "a": {"client_id": "x"},
        "b": {"client_id": "y"},
    }
    assert "多个身份提供方" in sso.check_auth_section(two)[1][-1]


def test_startup_problems_only_check_auth_when_oidc_on(db, env):
    assert sso.startup_problems(None, "127.0.0.1") == []
    env(SSO_MODE="both")
    assert any("[auth]" in p for p in sso.startup_problems(None, "127.0.0.1"))
    assert sso.startup_problems(GOOD_AUTH, "127.0.0.1") == []


# -- trusted header guard -----------------------------------------------------------


@pytest.mark.parametrize(
    "address,ok",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("", False),
        (None, False),
        ("10.1.2.3", False),
        ("::", False),
        ("sgld.example.gov.cn", False),
    ],
)
def test_header_mode_requires_loopback(address, ok):
    problem = sso.header_mode_problem("X-Remote-User", address)
    assert (problem is None) == ok
    if not ok:
        assert "已拒绝启用" in problem and "127.0.0.1" in problem and "X-Remote-User" in problem
    assert sso.header_mode_problem("", address) is None  # mode off: nothing to refuse


def test_header_mode_problem_is_a_startup_problem(db, env):
    env(TRUSTED_HEADER="X-Remote-User")
    assert any("可信请求头模式" in p for p in sso.startup_problems(None, "0.0.0.0"))
    assert sso.startup_problems(None, "127.0.0.1") == []


def test_default_contact_names_the_bureau(db):
    c = sso.config()
    assert c.contact == f"{settings.get().bureau_name}系统管理员"
    with pytest.raises(sso.SsoRefused) as exc:
        sso.login({"preferred_username": "nobody"}, via="oidc")
    assert c.contact in str(exc.value)
