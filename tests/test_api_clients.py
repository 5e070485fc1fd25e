"""API client registry: secrets shown once and never stored, admin-only,
roles and scopes checked, revoke / rotate / disable, backing user hidden
from the user lists, the command line."""

from __future__ import annotations

import hashlib

import pytest

from sgld.cli import main
from sgld.errors import NotFound, PermissionDenied, ValidationError
from sgld.services import api_clients as ac


def _dept(db, name):
    return db.scalar("SELECT id FROM department WHERE name = ?", [name])


def _make(db, as_user, name="审批平台", dept="投资建设审批处", roles=("approver",), scopes=("cases",)):
    return ac.create(as_user("admin"), name=name, department_id=_dept(db, dept), roles=list(roles), scopes=list(scopes))


def test_create_shows_secret_once_and_stores_no_secret(db, as_user):
    made = _make(db, as_user)
    assert made["secret"].startswith("sk_") and made["key_id"].startswith("ak_")
    row = db.one("SELECT * FROM api_client WHERE id = ?", [made["id"]])
    flat = " ".join(str(x) for x in row)
    assert made["secret"] not in flat
    assert hashlib.sha256(made["secret"].encode()).hexdigest() not in flat
    # derived from the configured key and the stored salt only
    assert ac.derive_secret(made["key_id"], row[6 + 1]) == made["secret"]
    assert [r["name"] for r in ac.list_clients(as_user("admin"))] == ["审批平台"]
    a = db.one("SELECT actor, action FROM audit_log WHERE object_type = 'api_client' ORDER BY id DESC LIMIT 1")
    assert a == ("admin", "create")


def test_only_admin_registers(db, as_user):
    with pytest.raises(PermissionDenied):
        _make(db, lambda _: as_user("approver"))
    with pytest.raises(PermissionDenied):
        ac.list_clients(as_user("supervisor"))


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"roles": ["admin"]}, "只能使用以下角色"),
        ({"roles": []}, "至少选择一个角色"),
        ({"scopes": ["everything"]}, "接口权限“everything”无效"),
        ({"roles": ["supervisor"]}, "监管部门工作人员角色只能用于"),
        ({"name": "a:b"}, "不能含有冒号"),
    ],
)
def test_bad_registrations_refused(db, as_user, kw, msg):
    args = dict(name="平台", department_id=_dept(db, "投资建设审批处"), roles=["approver"], scopes=["cases"]) | kw
    before = db.scalar("SELECT count(*) FROM api_client")
    with pytest.raises(ValidationError, match=msg):
        ac.create(as_user("admin"), **args)
    assert db.scalar("SELECT count(*) FROM api_client") == before


def test_duplicate_name_refused(db, as_user):
    _make(db, as_user)
    with pytest.raises(ValidationError, match="已被使用"):
        _make(db, as_user)


def test_rotate_changes_secret_and_revoke_is_final(db, as_user):
    made = _make(db, as_user)
    new = ac.rotate(as_user("admin"), made["name"])
    assert new["secret"] != made["secret"] and new["key_id"] == made["key_id"]
    ac.set_status(as_user("admin"), made["key_id"], "disabled")
    ac.set_status(as_user("admin"), made["id"], "active")
    ac.revoke(as_user("admin"), made["name"])
    with pytest.raises(ValidationError, match="已吊销"):
        ac.set_status(as_user("admin"), made["name"], "active")
    with pytest.raises(ValidationError, match="已吊销"):
        ac.rotate(as_user("admin"), made["name"])
    with pytest.raises(NotFound):
        ac.revoke(as_user("admin"), "没有这个")
    actions = [r[0] for r in db.all("SELECT action FROM audit_log WHERE object_type = 'api_client' ORDER BY id")]
    assert actions == ["create", "rotate_secret", "disable", "enable", "revoke"]


def test_backing_user_is_not_a_person(db, as_user):
    from sgld.services import accounts, org, sso

    made = _make(db, as_user)
    uid = db.scalar("SELECT user_id FROM api_client WHERE id = ?", [made["id"]])
    assert uid not in [u["id"] for u in org.list_users(as_user("admin"))]
    assert uid not in [u["id"] for u in sso.list_bindings(as_user("admin"))]
    with pytest.raises(NotFound):
        org.set_user_active(as_user("admin"), uid, True)
    with pytest.raises(NotFound):
        org.reset_password(as_user("admin"), uid)
    assert accounts.load_actor(uid) is None  # inactive, no password: never logs in
    actor = ac.actor_of(ac._client(db.one(ac._CLIENT_SQL + " WHERE c.id = ?", [made["id"]])))
    assert actor.username == "api:审批平台" and actor.roles == {"approver"}


def test_command_line(db, capsys):
    assert (
        main(
            [
                "api-client",
                "create",
                "--name",
                "行权系统",
                "--department",
                "南通市行政审批局",
                "--roles",
                "approver",
                "--scopes",
                "penalties",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    secret = [line.split("：", 1)[1] for line in out.splitlines() if line.startswith("密钥（")][0]
    assert secret.startswith("sk_")
    assert main(["api-client", "list"]) == 0
    listed = capsys.readouterr().out
    assert "行权系统" in listed and secret not in listed
    assert main(["api-client", "rotate", "--name", "行权系统"]) == 0
    assert secret not in capsys.readouterr().out
    assert main(["api-client", "revoke", "--name", "行权系统"]) == 0
    assert "已吊销" in capsys.readouterr().out
    assert main(["api-client", "create", "--name", "x", "--department", "没有"]) == 2
    assert "不存在" in capsys.readouterr().err
    assert main(["api-client", "create", "--name", "y", "--department", "南通市行政审批局", "--roles", "leader"]) == 2
    assert "只能使用以下角色" in capsys.readouterr().err


def test_api_key_setting(db, as_user, monkeypatch):
    from sgld import settings
    from sgld.errors import ConfigError

    made = _make(db, as_user)
    salt = db.scalar("SELECT salt FROM api_client WHERE id = ?", [made["id"]])
    monkeypatch.setenv("SGLD_API_KEY", "short")
    settings.reset()
    with pytest.raises(ConfigError, match="SGLD_API_KEY"):
        settings.load()
    monkeypatch.setenv("SGLD_API_KEY", "k" * 40)
    settings.reset()
    ac.forget_secrets()
    # another key: the stored salt no longer gives the secret (rotate after a key change)
    assert ac.derive_secret(made["key_id"], salt) != made["secret"]
    monkeypatch.delenv("SGLD_API_KEY")
    settings.reset()
    assert ac.derive_secret(made["key_id"], salt) == made["secret"]
