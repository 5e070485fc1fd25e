"""Login, lockout, passwords, session versions, last-admin protection."""

from datetime import timedelta

import pytest

from sgld import clock
from sgld.errors import AuthError, ValidationError
from sgld.services import accounts, org
from tests.conftest import DEMO_PASSWORD, actor


def audit_count(db):
    return db.scalar("SELECT count(*) FROM audit_log")


def test_login_success_and_wrong_password(db):
    a = accounts.authenticate("Supervisor ", DEMO_PASSWORD)
    assert a.username == "supervisor" and a.department_name == "市场监管局"
    assert a.roles == {"supervisor"}
    with pytest.raises(AuthError) as wrong:
        accounts.authenticate("supervisor", "wrong")
    with pytest.raises(AuthError) as unknown:
        accounts.authenticate("nobody", "wrong")
    assert str(wrong.value) == str(unknown.value)  # reveals nothing
    with pytest.raises(AuthError, match="请输入"):
        accounts.authenticate("", "")


def test_five_failures_lock_for_fifteen_minutes(db):
    t0 = clock.now()
    clock.freeze(t0)
    for _ in range(5):
        with pytest.raises(AuthError):
            accounts.authenticate("approver", "bad")
    locked_until = db.scalar("SELECT locked_until FROM app_user WHERE username = 'approver'")
    assert locked_until == t0 + timedelta(minutes=15)
    with pytest.raises(AuthError) as e:  # right password, still locked
        accounts.authenticate("approver", DEMO_PASSWORD)
    assert str(e.value) == accounts.locked_message(15)
    actions = [
        r[0]
        for r in db.all("SELECT action FROM audit_log WHERE object_type = 'user' AND actor = 'approver' ORDER BY id")
    ]
    assert actions.count("login_failed") == 5 and "lock" in actions
    assert "login_refused_locked" in actions
    clock.freeze(t0 + timedelta(minutes=16))
    assert accounts.authenticate("approver", DEMO_PASSWORD).username == "approver"


def test_lockout_says_locked_without_revealing_the_username(db):
    """Issue 16.19: the locked message says 已锁定; an unknown username is
    counted and locked the same way, so the answers are the same."""
    t0 = clock.now()
    clock.freeze(t0)
    answers = {}
    for name in ("approver", "nosuchuser"):
        seen = []
        for _ in range(6):
            with pytest.raises(AuthError) as e:
                accounts.authenticate(name, "bad")
            seen.append(str(e.value))
        answers[name] = seen
    assert answers["approver"] == answers["nosuchuser"]
    assert answers["approver"][:4] == [accounts.BAD_LOGIN] * 4
    assert "已锁定" in answers["approver"][4] and "15 分钟" in answers["approver"][4]
    # the user list agrees: 锁定 with the failures that caused it
    u = next(u for u in org.list_users(actor("admin")) if u["username"] == "approver")
    assert u["locked"] and u["failed_attempts"] == 5
    clock.freeze(t0 + timedelta(minutes=16))
    u = next(u for u in org.list_users(actor("admin")) if u["username"] == "approver")
    assert not u["locked"] and u["failed_attempts"] == 0
    with pytest.raises(AuthError) as e:  # the unknown name's lock ran out too
        accounts.authenticate("nosuchuser", "bad")
    assert str(e.value) == accounts.BAD_LOGIN


def test_admin_issued_password_must_be_changed(db):
    """Issue 16.19: create and reset set the flag, the user's own change clears it."""
    admin = actor("admin")
    assert not accounts.must_change_password(admin.user_id)  # demo accounts
    uid, pw = org.create_user(admin, "newbie", "新人", admin.department_id, ["approver"])
    assert accounts.must_change_password(uid)
    newbie = accounts.authenticate("newbie", pw)
    accounts.change_own_password(newbie, pw, "Better#2026x", "Better#2026x")
    assert not accounts.must_change_password(uid)
    org.reset_password(admin, uid)
    assert accounts.must_change_password(uid)


def test_admin_unlocks(db):
    for _ in range(5):
        with pytest.raises(AuthError):
            accounts.authenticate("leader", "bad")
    uid = actor("leader").user_id
    org.unlock_user(actor("admin"), uid)
    assert accounts.authenticate("leader", DEMO_PASSWORD).username == "leader"


def test_deactivated_user_cannot_log_in(db):
    uid = actor("liaison").user_id
    org.set_user_active(actor("admin"), uid, False)
    with pytest.raises(AuthError):
        accounts.authenticate("liaison", DEMO_PASSWORD)
    assert accounts.load_actor(uid) is None


def test_session_version_is_bumped(db):
    a = actor("supervisor")
    issued = clock.now()
    assert accounts.session_valid(a.user_id, issued)
    accounts.logout(a)
    assert not accounts.session_valid(a.user_id, issued)
    later = clock.now()
    assert accounts.session_valid(a.user_id, later)
    pw = org.reset_password(actor("admin"), a.user_id)
    assert not accounts.session_valid(a.user_id, later)
    assert accounts.authenticate("supervisor", pw)
    org.set_user_active(actor("admin"), a.user_id, False)
    assert not accounts.session_valid(a.user_id, clock.now())


def test_change_own_password(db):
    a = actor("approver")
    n = audit_count(db)
    with pytest.raises(ValidationError, match="原密码不正确"):
        accounts.change_own_password(a, "bad", "Better#2026x")
    with pytest.raises(ValidationError, match="强度不足"):
        accounts.change_own_password(a, DEMO_PASSWORD, "short")
    with pytest.raises(ValidationError, match="不一致"):
        accounts.change_own_password(a, DEMO_PASSWORD, "Better#2026x", "Other#2026x")
    assert audit_count(db) == n
    issued = clock.now()
    accounts.change_own_password(a, DEMO_PASSWORD, "Better#2026x", "Better#2026x")
    assert not accounts.session_valid(a.user_id, issued)
    with pytest.raises(AuthError):
        accounts.authenticate("approver", DEMO_PASSWORD)
    assert accounts.authenticate("approver", "Better#2026x")


def test_user_admin_bad_input_changes_nothing(db):
    admin = actor("admin")
    bureau = admin.department_id
    n = audit_count(db)
    users = db.scalar("SELECT count(*) FROM app_user")
    with pytest.raises(ValidationError, match="已被使用"):
        org.create_user(admin, "supervisor", "重复", bureau, ["approver"])
    with pytest.raises(ValidationError, match="部门无效"):
        org.create_user(admin, "newbie", "新人", 99999, ["approver"])
    with pytest.raises(ValidationError, match="角色"):
        org.create_user(admin, "newbie", "新人", bureau, ["boss"])
    with pytest.raises(ValidationError, match="角色"):
        org.create_user(admin, "newbie", "新人", bureau, [])
    with pytest.raises(ValidationError, match="强度不足"):
        org.create_user(admin, "newbie", "新人", bureau, ["approver"], password="abc")
    with pytest.raises(ValidationError, match="用户名"):
        org.create_user(admin, "新人", "新人", bureau, ["approver"])
    assert audit_count(db) == n and db.scalar("SELECT count(*) FROM app_user") == users
    uid, pw = org.create_user(admin, "newbie", "新人", bureau, ["approver"])
    assert accounts.authenticate("newbie", pw).roles == {"approver"}


def test_last_admin_cannot_be_removed(db):
    admin = actor("admin")
    with pytest.raises(ValidationError, match="不能停用自己"):
        org.set_user_active(admin, admin.user_id, False)
    with pytest.raises(ValidationError, match="不能取消自己"):
        org.update_user(
            admin, admin.user_id, display_name="管理员", department_id=admin.department_id, roles=["leader"]
        )
    assert actor("admin").roles == {"admin"}
    # with a second admin, that one can make the first step down
    uid, _ = org.create_user(admin, "admin2", "第二管理员", admin.department_id, ["admin"])
    org.update_user(
        actor("admin2"), admin.user_id, display_name="管理员", department_id=admin.department_id, roles=["leader"]
    )
    assert actor("admin").roles == {"leader"}
    # ... and the last one left cannot be removed by anyone
    with pytest.raises(ValidationError, match="最后一位"):
        org.update_user(admin, uid, display_name="第二管理员", department_id=admin.department_id, roles=["leader"])


def test_admin_cannot_deactivate_or_demote_self(db):
    """Issue 16.6: the service refuses, whatever the page lets through."""
    admin = actor("admin")
    org.create_user(admin, "admin2", "第二管理员", admin.department_id, ["admin"])
    n = audit_count(db)
    with pytest.raises(ValidationError, match="不能停用自己的账号"):
        org.set_user_active(admin, admin.user_id, False)
    with pytest.raises(ValidationError, match="不能取消自己的系统管理员角色"):
        org.update_user(
            admin, admin.user_id, display_name="管理员", department_id=admin.department_id, roles=["leader"]
        )
    assert actor("admin").roles == {"admin"} and audit_count(db) == n
    # adding a role to oneself, or renaming oneself, is fine
    org.update_user(
        admin, admin.user_id, display_name="管理员甲", department_id=admin.department_id, roles=["admin", "leader"]
    )
    assert actor("admin").roles == {"admin", "leader"}
    # another admin may deactivate this one
    org.set_user_active(actor("admin2"), admin.user_id, False)
    assert accounts.actor_by_username("admin") is None


def test_id_lists_from_callers_are_validated(db):
    """A non-integer department id is a Chinese ValidationError, nothing written."""
    admin = actor("admin")
    sup = db.scalar("SELECT id FROM department WHERE name = '市场监管局'")
    n, items = audit_count(db), db.scalar("SELECT count(*) FROM item")
    for bad in (["x"], [sup, "1; DROP"], [1.5], "12", [float("nan")], [None]):
        with pytest.raises(ValidationError, match="所选监管（或领取）部门无效"):
            org.save_item(
                admin, code="T-1", name="测试", category="测试", centralised=True, sign_limit_days=3, department_ids=bad
            )
    with pytest.raises(ValidationError, match="上级部门无效"):
        org.create_department(admin, "新部门", "bureau", "abc")
    assert audit_count(db) == n and db.scalar("SELECT count(*) FROM item") == items
    org.save_item(
        admin, code="T-1", name="测试", category="测试", centralised=True, sign_limit_days=3, department_ids=[str(sup)]
    )


def test_create_admin_bootstrap_in_production(empty_db, monkeypatch):
    from sgld import cli, settings

    monkeypatch.setenv("SGLD_MODE", "production")
    monkeypatch.setenv("SGLD_COOKIE_KEY", "x" * 40)
    monkeypatch.setenv("SGLD_AUDIT_KEY", "y" * 40)
    settings.reset()
    assert empty_db.scalar("SELECT count(*) FROM app_user") == 0
    assert cli.main(["create-admin", "--generate", "--username", "root"]) == 0
    a = accounts.actor_by_username("root")
    assert a and a.roles == {"admin"} and a.department_kind == "bureau"
    with pytest.raises(AuthError):
        accounts.authenticate("root", DEMO_PASSWORD)  # no default password


def test_unknown_username_costs_as_much_as_a_wrong_password(db, monkeypatch):
    """Issue 15.4: the stand-in hash for unknown users has the real cost, so
    the time of a refusal does not tell whether the username exists.  The
    work is compared, not the time (which a loaded machine makes noisy): a
    refusal of either kind makes exactly one bcrypt comparison, against a
    hash of the same cost."""
    import bcrypt

    def cost(h):
        return int(h.split("$")[2])

    real = db.scalar("SELECT password_hash FROM app_user WHERE username = 'approver'")
    assert cost(accounts._stand_in_hash()) == cost(real) == accounts.BCRYPT_ROUNDS
    compared: list[bytes] = []
    checkpw = bcrypt.checkpw

    def counting(password, hashed):
        compared.append(hashed)
        return checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    costs = {}
    for name in ("approver", "no-such-user"):
        compared.clear()
        with pytest.raises(AuthError):
            accounts.authenticate(name, "wrong-password")
        assert len(compared) == 1, name
        costs[name] = cost(compared[0].decode())
    assert costs["no-such-user"] == costs["approver"] == accounts.BCRYPT_ROUNDS
