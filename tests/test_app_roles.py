"""AppTest: login outcomes, role-based navigation, and a smoke run of every
page for every role."""

import pytest
from streamlit.testing.v1 import AppTest

from sgld.security import PAGES
from sgld.services import org
from tests.apptest_util import PAGE_FILES, app, as_logged_in, login, nav_pages, page_source, submit_login
from tests.conftest import DEMO_PASSWORD, ROOT, actor

ROLE_USERS = ["admin", "leader", "approver", "supervisor", "supervisor2", "liaison"]


def expected_paths(username):
    a = actor(username)
    return {"" if k == "home" else PAGES[k][0] for k, (_, roles) in PAGES.items() if a.has(*roles)}


def test_login_success(db):
    at = login("supervisor")
    assert not at.exception
    assert "张监管" in page_source(at)
    assert "退出登录" in [b.label for b in at.button]


def test_wrong_password_shows_message_and_stays_on_login(db):
    at = login("supervisor", "nope")
    assert [e.value for e in at.error] == ["用户名或密码错误，或账号已停用。"]
    assert "用户登录" in page_source(at)
    assert nav_pages(at) == set()


def test_lockout_then_unlock(db):
    at = app().run()
    for _ in range(5):
        submit_login(at, "approver", "bad")
    submit_login(at, "approver", DEMO_PASSWORD)
    assert at.error and "已锁定" in at.error[0].value
    assert nav_pages(at) == set()
    org.unlock_user(actor("admin"), actor("approver").user_id)
    submit_login(at, "approver", DEMO_PASSWORD)
    assert not at.error and nav_pages(at) == expected_paths("approver")


def test_deactivated_user_is_refused_and_loses_the_session(db):
    at = login("liaison")
    assert nav_pages(at)
    org.set_user_active(actor("admin"), actor("liaison").user_id, False)
    at.run()  # the open session ends on the next run
    assert nav_pages(at) == set()
    assert "用户登录" in page_source(at)
    submit_login(at, "liaison", DEMO_PASSWORD)
    assert at.error and nav_pages(at) == set()


def test_demo_banner_and_accounts_on_login_page(db):
    at = app().run()
    text = page_source(at)
    assert "演示模式" in text
    assert any(DEMO_PASSWORD in e.label for e in at.expander)
    assert "supervisor2" in at.table[0].value.to_string()


@pytest.mark.parametrize("username", ROLE_USERS)
def test_each_role_sees_exactly_its_pages(db, username):
    at = login(username)
    assert not at.exception
    assert nav_pages(at) == expected_paths(username)


@pytest.mark.parametrize("username", ROLE_USERS)
def test_pages_outside_the_role_are_refused(db, username):
    a = actor(username)
    for key, script in PAGE_FILES.items():
        if a.has(*PAGES[key][1]):
            continue
        at = as_logged_in(script, username).run()
        assert not at.exception
        assert [e.value for e in at.error] == [f"您没有权限访问“{PAGES[key][0]}”页面。"], script


@pytest.mark.parametrize("username", ROLE_USERS)
def test_smoke_every_page_for_every_role(db, username):
    at = login(username)
    assert not at.exception
    a = actor(username)
    for key, script in PAGE_FILES.items():
        if not a.has(*PAGES[key][1]):
            continue
        at.switch_page(script).run()
        assert not at.exception, (username, script, at.exception)


def test_page_without_login_shows_only_the_form(db):
    for script in PAGE_FILES.values():
        at = AppTest.from_file(str(ROOT / script), default_timeout=60).run()
        assert not at.exception
        assert "用户登录" in page_source(at)
        assert not any("建设中" in str(i.value) for i in at.info)
