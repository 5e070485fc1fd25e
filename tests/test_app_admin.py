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
    assert not [d for d in at.dataframe if "操作人" in d.value.columns]  # a closed tab does not run
    at.session_state["admin_tab"] = "操作日志"
    at.run()
    frames = [d.value for d in at.dataframe]
    log = next(f for f in frames if "操作" in f.columns and "操作人" in f.columns)
    assert "登录" in set(log["操作"])  # admin's own login, recorded by the service


def _admin_page(tab: str = "用户"):
    """系统管理 with ``tab`` open (only the open tab runs)."""
    at = login("admin")
    at.session_state["admin_tab"] = tab
    at.switch_page("pages/9_系统管理.py").run()
    assert not at.exception
    return at


def _text(at, label, nth=0):
    return [t for t in at.text_input if t.label == label][nth]


def test_new_user_form_keeps_input_and_marks_the_field(db):
    """Issue 16.8: a refused 新建用户 keeps every field and says which is wrong."""
    at = _admin_page()
    users_before = db.scalar("SELECT count(*) FROM app_user")
    _text(at, "用户名").input("9wang")  # must start with a letter
    _text(at, "姓名").input("王五")
    next(m for m in at.multiselect if m.label == "角色").set_value(["supervisor"])
    _text(at, "联系电话").input("0513-1234")
    button(at, "创建").click().run()
    assert any("用户名" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM app_user") == users_before
    # everything typed is still there
    assert _text(at, "用户名").value == "9wang"
    assert _text(at, "姓名").value == "王五"
    assert _text(at, "联系电话").value == "0513-1234"
    assert next(m for m in at.multiselect if m.label == "角色").value == ["supervisor"]
    # the red note sits under the 用户名 input
    assert any("用户名" in m.value and ":red[" in m.value for m in at.markdown)

    _text(at, "用户名").input("wangwu")
    button(at, "创建").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("wangwu" in s.value and "初始密码" in s.value for s in at.success)
    assert _text(at, "用户名").value == "" and _text(at, "姓名").value == ""  # saved: form empty
    assert actor("wangwu").roles == {"supervisor"}


def test_deactivation_and_reset_need_a_second_step(db):
    """Issue 16.6: 停用 and 重置密码 act only after an explicit confirmation;
    修改用户 does not open on the admin's own account, whose 停用 is disabled."""
    at = _admin_page()
    pick = next(s for s in at.selectbox if s.label == "选择用户")
    assert pick.value is None
    assert not [b for b in at.button if (b.key or "").startswith("deact_")]

    me = actor("admin").user_id
    pick.set_value(me).run()
    assert at.button(key=f"deact_{me}_ask").disabled

    sup = actor("supervisor").user_id
    next(s for s in at.selectbox if s.label == "选择用户").set_value(sup).run()
    at.button(key=f"deact_{sup}_ask").click().run()
    assert db.scalar("SELECT active FROM app_user WHERE id = ?", [sup])  # not yet
    assert any("确定停用该账号" in w.value for w in at.warning)
    button(at, "取消").click().run()
    assert db.scalar("SELECT active FROM app_user WHERE id = ?", [sup])
    at.button(key=f"deact_{sup}_ask").click().run()
    button(at, "确认停用该账号").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not db.scalar("SELECT active FROM app_user WHERE id = ?", [sup])

    old_hash = db.scalar("SELECT password_hash FROM app_user WHERE id = ?", [sup])
    button(at, "重置密码").click().run()
    assert db.scalar("SELECT password_hash FROM app_user WHERE id = ?", [sup]) == old_hash
    button(at, "确认重置密码").click().run()
    assert db.scalar("SELECT password_hash FROM app_user WHERE id = ?", [sup]) != old_hash
    assert any("新密码" in s.value for s in at.success)


def test_removing_a_role_needs_confirmation(db):
    at = _admin_page()
    lz = actor("liaison")
    next(s for s in at.selectbox if s.label == "选择用户").set_value(lz.user_id).run()
    roles = [m for m in at.multiselect if m.label == "角色"][1]  # the edit form's
    roles.set_value(["supervisor"])
    button(at, "保存修改").click().run()
    assert any("将收回角色" in e.value for e in at.error)
    assert actor("liaison").roles == lz.roles
    assert [m for m in at.multiselect if m.label == "角色"][1].value == ["supervisor"]  # kept
    next(c for c in at.checkbox if c.label == "确认收回被移除的角色").check()
    button(at, "保存修改").click().run()
    assert not at.error, [e.value for e in at.error]
    assert actor("liaison").roles == {"supervisor"}


def test_admin_tab_forms_keep_input_and_confirm_removal(db):
    """The same pattern in the 节假日设置 and 监管数据 tabs."""
    at = _admin_page("节假日设置")
    note = at.text_input(key="cal_note")
    note.input("2027 年春节")
    next(b for b in at.button if b.label == "保存" and "cal_add" in str(b.form_id)).click().run()
    assert any("请选择日期" in e.value for e in at.error)
    assert at.text_input(key="cal_note").value == "2027 年春节"  # kept
    at.session_state["admin_tab"] = "监管数据"
    at.run()
    n = db.scalar("SELECT count(*) FROM inspection_result WHERE active")
    at.button(key="res_off_ask").click().run()
    assert db.scalar("SELECT count(*) FROM inspection_result WHERE active") == n
    button(at, "确认停用该检查结果").click().run()
    assert db.scalar("SELECT count(*) FROM inspection_result WHERE active") == n - 1


def _audit_strings():
    """(actions, object types) passed as constants to audit.record in sgld/."""
    import ast
    from pathlib import Path

    from tests.conftest import ROOT

    def consts(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return consts(node.body) | consts(node.orelse)
        if isinstance(node, ast.Name) and node.id in ("OWNER", "MINUTES_OWNER"):
            return {"revocation_request"} if node.id == "OWNER" else {"special_review_minutes"}
        return set()

    actions, types = set(), set()
    for path in Path(ROOT / "sgld").rglob("*.py"):
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call) and ast.unparse(n.func) in ("audit.record", "record") and len(n.args) >= 4:
                actions |= consts(n.args[2])
                types |= consts(n.args[3])
    return actions, types


def test_every_audit_action_has_a_chinese_name():
    from sgld.services import org

    actions, types = _audit_strings()
    assert len(actions) > 40
    assert not actions - set(org.ACTION_LABELS), actions - set(org.ACTION_LABELS)
    assert not types - set(org.OBJECT_LABELS), types - set(org.OBJECT_LABELS)


def test_audit_log_reads_as_field_changes(db):
    """Issue 16.18: 操作 in Chinese, 变更内容 as 字段：旧值 → 新值, no JSON, no None."""
    from sgld.services import org

    admin = actor("admin")
    sup = actor("supervisor")
    org.update_user(
        admin, sup.user_id, display_name="张监管二", department_id=sup.department_id, roles=["supervisor"], phone=None
    )
    org.set_user_active(admin, sup.user_id, False)
    at = _admin_page("操作日志")
    log = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert "变更内容" in log.columns and "修改前" not in log.columns
    row = log[(log["操作"] == "修改") & (log["对象类型"] == "用户")].iloc[0]
    assert "姓名：张监管 → 张监管二" in row["变更内容"]
    assert "角色" not in row["变更内容"]  # unchanged fields are left out
    off = log[log["操作"] == "停用"].iloc[0]
    assert off["变更内容"] == "在用：是 → 否"
    text = log.astype(str).to_csv(index=False)
    assert "None" not in text and "{" not in text and "nan" not in text.lower()
    assert not set(log["操作"]) & set(org.ACTION_LABELS)  # no raw action strings left


def test_admin_issued_password_forces_a_change_at_login(db):
    """Issue 16.19: after an initial (or reset) password the user sees only the
    change-password form; after the change, the login form says why."""
    from sgld.services import org
    from tests.apptest_util import nav_pages, page_source, submit_login

    admin = actor("admin")
    _, pw = org.create_user(admin, "newbie", "新人", admin.department_id, ["approver"])
    at = login("newbie", pw)
    assert not at.exception
    assert "请先修改密码" in page_source(at)
    assert nav_pages(at) == set()  # nothing else of the app
    _text(at, "原密码").input(pw)
    _text(at, "新密码").input("Better#2026x")
    _text(at, "确认新密码").input("Better#2026y")
    button(at, "修改密码").click().run()
    assert any("不一致" in e.value for e in at.error)
    assert _text(at, "新密码").value == "Better#2026x"  # kept
    _text(at, "确认新密码").input("Better#2026x")
    button(at, "修改密码").click().run()
    assert not at.exception
    assert "密码已修改，请使用新密码重新登录。" in page_source(at)
    submit_login(at, "newbie", "Better#2026x")
    assert "请先修改密码" not in page_source(at) and nav_pages(at)


def test_settings_tab_saves_a_group_once_and_not_the_warning_rules(db):
    """Issue 16.19: one 保存 for the business settings; the warning-list rules
    are edited in one place only (协同处理与警示规则)."""
    at = _admin_page("系统设置")
    labels = {t.label for t in at.text_input}
    assert not any(label.startswith("警示名单") for label in labels)
    assert not [b for b in at.button if b.label == "保存" and "setting_" in str(b.form_id)]
    _text(at, "推送签收默认时限（工作日）").input("5")
    _text(at, "协同处理申请办理时限（工作日）").input("abc")
    button(at, "保存业务参数").click().run()
    assert any("应为数字" in e.value for e in at.error)
    assert _text(at, "协同处理申请办理时限（工作日）").value == "abc"  # kept
    assert db.scalar("SELECT count(*) FROM setting WHERE key = 'default_sign_limit_days'") == 0
    _text(at, "协同处理申请办理时限（工作日）").input("25")
    button(at, "保存业务参数").click().run()
    assert not at.error, [e.value for e in at.error]
    assert dict(
        db.all("SELECT key, value FROM setting WHERE key IN ('default_sign_limit_days', 'revocation_decision_days')")
    ) == {"default_sign_limit_days": "5", "revocation_decision_days": "25"}


def test_idle_logout_says_why(db):
    """Issue 16.21: after the idle timeout the login form says why."""
    from datetime import timedelta

    from sgld import clock
    from tests.apptest_util import as_logged_in, page_source

    at = as_logged_in("app.py", "approver")
    at.session_state["sgld_last_seen"] = clock.now() - timedelta(minutes=31)
    at.run()
    assert not at.exception
    assert "因 30 分钟未操作，已自动退出，请重新登录。" in page_source(at)
    assert "用户登录" in page_source(at)


def test_an_idle_cookie_is_refused_and_explained(db):
    """A new session with a cookie last set 31 minutes ago: refused with the
    reason; the cookie outlives the timeout only to be able to say so."""
    from datetime import timedelta

    from sgld import clock, settings
    from sgld.services import accounts

    cfg = settings.get()
    now = clock.now()

    def exp_for(last_active):
        return last_active + timedelta(minutes=accounts.cookie_minutes(cfg.idle_minutes))

    assert not accounts.cookie_idle(exp_for(now - timedelta(minutes=29)), now, cfg.idle_minutes)
    assert accounts.cookie_idle(exp_for(now - timedelta(minutes=31)), now, cfg.idle_minutes)
    assert accounts.cookie_minutes(cfg.idle_minutes) > cfg.idle_minutes


def test_deployment_settings_table_shows_no_key(db, monkeypatch):
    """系统管理 → 系统设置 → 部署配置 lists every setting with its value, keys
    as ****** (it showed SGLD_WEBHOOK_KEY and the old audit keys in clear)."""
    from sgld import settings

    keys = {"WEBHOOK_KEY": "w" * 40, "AUDIT_KEYS_OLD": "o" * 40, "API_KEY": "a" * 40}
    for name, value in keys.items():
        monkeypatch.setenv(f"SGLD_{name}", value)
    monkeypatch.setenv("SGLD_LIAISON_LETTER_PREFIX", "测试联函")
    settings.reset()
    try:
        at = _admin_page("系统设置")
        assert not at.exception
        table = next(d.value for d in at.dataframe if "配置项" in d.value.columns)
        shown = dict(zip(table["配置项"], table["当前值"]))
        assert set(shown) == {f"SGLD_{k}" for k in settings.SPEC}
        assert {k: shown[f"SGLD_{k}"] for k in keys} == {k: "******" for k in keys}
        assert shown["SGLD_LIAISON_LETTER_PREFIX"] == "测试联函"
        assert not any(v in str(cell) for v in keys.values() for cell in table.to_numpy().ravel())
    finally:
        monkeypatch.undo()
        settings.reset()
