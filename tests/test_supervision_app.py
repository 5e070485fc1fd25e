"""AppTest: inspection entry, penalty sync (import from the 行权系统), per-role
views of 监管录入, the admin tab and the enterprise profile."""
from datetime import timedelta

from sgld import clock
from tests.apptest_util import login, page_source

PAGE = "pages/2_监管录入.py"


def open_page(user, page=PAGE):
    at = login(user)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_supervisor_enters_an_inspection(db):
    eid, code, name = db.one("SELECT id, uscc, name FROM enterprise ORDER BY id LIMIT 1")
    before = db.scalar("SELECT count(*) FROM inspection")
    at = open_page("supervisor")
    assert any(t.label.startswith("后续监管任务") for t in at.tabs)
    at.text_input(key="new0_code").input(code.lower()).run()
    assert f"已登记企业：**{name}**" in page_source(at)
    k = f"new0_{eid}"
    at.text_input(key=f"{k}_place").input("南通市崇川区检查地点 8 号")
    at.selectbox(key=f"{k}_result").select("责令整改")
    at.text_area(key=f"{k}_findings").input("灭火器过期，责令限期更换")
    at.text_input(key=f"{k}_who").input("张监管、李协查")
    button(at, "保存检查记录").click().run()
    assert not at.exception
    assert "检查记录已保存" in page_source(at), [e.value for e in at.error]
    assert db.scalar("SELECT count(*) FROM inspection") == before + 1
    row = db.one("SELECT enterprise_id, result, inspectors, place FROM inspection ORDER BY id DESC LIMIT 1")
    assert row == (eid, "责令整改", "张监管、李协查", "南通市崇川区检查地点 8 号")
    # the form is fresh again
    assert at.text_input(key="new1_code").value == ""


def test_bad_entry_shows_a_message_and_saves_nothing(db):
    before = db.scalar("SELECT count(*) FROM inspection")
    at = open_page("supervisor")
    at.text_input(key="new0_code").input("91320602ABC").run()
    assert "尚无此代码的企业" in page_source(at)
    at.text_input(key="new0_new_name").input("某企业")
    at.text_input(key="new0_new_place").input("某地")
    button(at, "保存检查记录").click().run()
    assert any("18 位" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM inspection") == before


def test_approver_syncs_penalties_on_demand(db):
    runs = db.scalar("SELECT count(*) FROM penalty_run")
    at = open_page("approver")
    labels = [t.label for t in at.tabs]
    assert "处罚抽取" in labels and "录入检查" not in labels
    button(at, "立即同步").click().run()
    assert not at.exception
    assert any("行权系统：读取 0" in s.value for s in at.success), [e.value for e in at.error]
    assert db.scalar("SELECT count(*) FROM penalty_run") == runs + 1
    assert db.one("SELECT trigger, started_by, status FROM penalty_run ORDER BY id DESC LIMIT 1") == (
        "立即同步", "approver", "完成")


def test_leader_reads_only(db):
    at = open_page("leader")
    assert "立即同步" not in [b.label for b in at.button]
    assert "保存检查记录" not in [b.label for b in at.button]
    assert "后续监管统计" in [t.label for t in at.tabs]


def test_other_department_does_not_see_the_record(db, as_user):
    from sgld.services import inspection
    code = db.scalar("SELECT uscc FROM enterprise ORDER BY id LIMIT 1")
    iid = inspection.record(as_user("supervisor"), uscc_code=code, entity_name=None,
                            inspected_at=clock.now() - timedelta(hours=1), place="甲地", result="合格",
                            findings=None, inspectors="张三")
    at = login("supervisor2")
    at.query_params["inspection"] = str(iid)
    at.switch_page(PAGE).run()
    assert any("没有权限查看其他部门的检查记录" in e.value for e in at.error)


def test_admin_tab_and_profile_page(db):
    at = open_page("admin", "pages/9_系统管理.py")
    assert "监管数据" in [t.label for t in at.tabs]
    src = page_source(at)
    assert "行政处罚数据源（行权系统）" in src and "隔离数据" in src
    eid, name = db.one("SELECT enterprise_id, entity_name FROM penalty WHERE source = '行权系统' LIMIT 1")
    at = open_page("leader", "pages/5_企业画像.py")
    at.text_input(key="pf_q").input(db.scalar("SELECT uscc FROM enterprise WHERE id = ?", [eid])).run()
    assert not at.exception
    assert [m.label for m in at.metric][:5] == ["有效证照", "审批办件", "推送", "日常检查", "行政处罚"]
    assert int(at.metric[4].value) >= 1
    assert "行政处罚" in page_source(at)
