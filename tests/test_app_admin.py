"""AppTest: the admin page's writes go through the services, bad input shows
a Chinese message and changes nothing."""
from tests.apptest_util import button, login
from tests.conftest import actor


def test_admin_creates_user_and_sees_bad_input(db):
    at = login("admin")
    at.switch_page("pages/9_系统管理.py").run()
    assert not at.exception
    users_before = db.scalar("SELECT count(*) FROM app_user")
    # the first "用户名" text input on the page belongs to the 新建用户 form
    username = next(t for t in at.text_input if t.label == "用户名")
    username.input("supervisor")  # duplicate
    next(t for t in at.text_input if t.label == "姓名").input("重复的人")
    next(m for m in at.multiselect if m.label == "角色").set_value(["supervisor"])
    button(at, "创建").click().run()
    assert any("已被使用" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM app_user") == users_before

    next(t for t in at.text_input if t.label == "用户名").input("wangwu")
    next(t for t in at.text_input if t.label == "姓名").input("王五")
    next(m for m in at.multiselect if m.label == "角色").set_value(["supervisor"])
    button(at, "创建").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("wangwu" in s.value and "初始密码" in s.value for s in at.success)
    assert actor("wangwu").roles == {"supervisor"}


def test_audit_log_tab_lists_writes(db):
    at = login("admin")
    at.switch_page("pages/9_系统管理.py").run()
    frames = [d.value for d in at.dataframe]
    log = next(f for f in frames if "操作" in f.columns and "操作人" in f.columns)
    assert "login" in set(log["操作"])  # admin's own login, recorded by the service
