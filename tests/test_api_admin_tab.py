"""AppTest: 系统管理 → 接口管理 registers a client (secret shown once, not
stored), keeps the form on bad input, and revokes in two steps."""

from __future__ import annotations

from tests.apptest_util import button, login


def _admin_page():
    at = login("admin")
    at.session_state["admin_tab"] = "接口管理"
    at.switch_page("pages/9_系统管理.py").run()
    assert not at.exception
    return at


def _by_key(items, key):
    return next(x for x in items if x.key == key)


def test_register_show_secret_once_and_revoke(db):
    at = _admin_page()
    _by_key(at.text_input, "api_name").input("审批平台")
    _by_key(at.selectbox, "api_dept").set_value(db.scalar("SELECT id FROM department WHERE name = '市场监管局'"))
    _by_key(at.multiselect, "api_roles").set_value(["approver"])  # wrong for 市场监管局
    _by_key(at.multiselect, "api_scopes").set_value(["cases"])
    button(at, "登记并生成密钥").click().run()
    assert any("审批局经办人角色只能用于审批局" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM api_client") == 0
    assert _by_key(at.text_input, "api_name").value == "审批平台"  # input kept

    _by_key(at.selectbox, "api_dept").set_value(db.scalar("SELECT id FROM department WHERE name = '投资建设审批处'"))
    button(at, "登记并生成密钥").click().run()
    assert not at.exception
    secrets_shown = [c.value for c in at.code if c.value.startswith("sk_")]
    assert len(secrets_shown) == 1
    secret = secrets_shown[0]
    row = db.one("SELECT * FROM api_client WHERE name = '审批平台'")
    assert row is not None and secret not in " ".join(map(str, row))
    button(at, "我已保存密钥，关闭").click().run()
    assert not [c for c in at.code if c.value.startswith("sk_")]

    button(at, "吊销").click().run()
    assert db.scalar("SELECT status FROM api_client") == "active"  # only asked
    button(at, "确认吊销").click().run()
    assert db.scalar("SELECT status FROM api_client") == "revoked"
