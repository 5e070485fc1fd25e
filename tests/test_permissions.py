"""The role × action matrix for the foundation's service functions: only the
roles named may act; everyone else gets PermissionDenied and nothing changes."""

from datetime import date

import pandas as pd
import pytest

from sgld import workdays
from sgld.errors import PermissionDenied
from sgld.security import ROLES
from sgld.services import org
from tests.conftest import actor

USERS = {"admin": "admin", "leader": "leader", "approver": "approver", "supervisor": "supervisor", "liaison": "liaison"}


def _item(a):
    return org.save_item(
        a,
        code="ZZ-1",
        name="测试事项",
        category="测试",
        centralised=True,
        sign_limit_days=3,
        department_ids=[_dept("市场监管局")],
    )


def _dept(name):
    from db.connection import get_db

    return get_db().scalar("SELECT id FROM department WHERE name = ?", [name])


def _uid(name):
    from db.connection import get_db

    return get_db().scalar("SELECT id FROM app_user WHERE username = ?", [name])


ACTIONS = {
    "create_department": (lambda a: org.create_department(a, "新部门", "supervision"), {"admin"}),
    "update_department": (
        lambda a: org.update_department(a, _dept("水利局"), name="水利局", kind="licensing"),
        {"admin"},
    ),
    "list_users": (lambda a: org.list_users(a), {"admin"}),
    "create_user": (lambda a: org.create_user(a, "someone", "某人", _dept("水利局"), ["supervisor"]), {"admin"}),
    "update_user": (
        lambda a: org.update_user(
            a, _uid("claimer"), display_name="改名", department_id=_dept("水利局"), roles=["supervisor"]
        ),
        {"admin"},
    ),
    "set_user_active": (lambda a: org.set_user_active(a, _uid("claimer"), False), {"admin"}),
    "reset_password": (lambda a: org.reset_password(a, _uid("claimer")), {"admin"}),
    "unlock_user": (lambda a: org.unlock_user(a, _uid("claimer")), {"admin"}),
    "save_item": (_item, {"admin"}),
    "import_items": (
        lambda a: org.import_items(
            a,
            pd.DataFrame(
                [
                    {
                        "事项编码": "ZZ-2",
                        "事项名称": "导入事项",
                        "事项分类": "测试",
                        "是否集中审批": "是",
                        "签收时限": "3",
                        "关联部门": "市场监管局",
                    }
                ]
            ),
            commit=True,
        ),
        {"admin"},
    ),
    "set_setting": (lambda a: org.set_setting(a, "default_sign_limit_days", "4"), {"admin"}),
    "list_settings": (lambda a: org.list_settings(a), {"admin"}),
    "query_audit": (lambda a: org.query_audit(a), {"admin"}),
    "set_calendar_day": (lambda a: workdays.set_day(a, date(2027, 1, 1), False, "元旦"), {"admin"}),
    "list_departments": (lambda a: org.list_departments(a), set(ROLES)),
    "list_items": (lambda a: org.list_items(a), set(ROLES)),
}


@pytest.mark.parametrize("role", list(USERS))
@pytest.mark.parametrize("name", list(ACTIONS))
def test_permission_matrix(db, name, role):
    fn, allowed = ACTIONS[name]
    a = actor(USERS[role])
    before = db.scalar("SELECT count(*) FROM audit_log")
    if role in allowed:
        fn(a)
    else:
        with pytest.raises(PermissionDenied) as e:
            fn(a)
        assert "没有权限" in str(e.value)
        assert db.scalar("SELECT count(*) FROM audit_log") == before


def test_every_write_is_audited(db):
    admin = actor("admin")
    for name, (fn, _allowed) in ACTIONS.items():
        if name.startswith(("list", "query")):
            continue
        before = db.scalar("SELECT count(*) FROM audit_log")
        fn(admin)
        assert db.scalar("SELECT count(*) FROM audit_log") > before, name
