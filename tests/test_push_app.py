"""AppTest: the 审批推送 page per role — an approver records a case (pushed),
the right supervisor signs it, the wrong one cannot find it; read-only
roles get no recording tabs."""

from __future__ import annotations

from sgld import uscc
from tests.apptest_util import as_logged_in, page_source
from tests.conftest import actor

PAGE = "pages/1_审批推送.py"
NEW = uscc.make("91320602MA1APP001")


def _item(db, code):
    return db.scalar("SELECT id FROM item WHERE code = ?", [code])


def _record(db, case_no="APP-001"):
    at = as_logged_in(PAGE, "approver").run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs][:2] == ["办件录入", "批量导入"]
    at.text_input(key="rec0_no").input(case_no)
    at.selectbox(key="rec0_item").select(_item(db, "SC-001"))
    at.text_input(key="rec0_uscc").input(NEW).run()
    at.text_input(key="rec0_ename").input("南通页面测试有限公司")
    at.text_input(key="rec0_proj").input("APP-PRJ-1")
    at.text_area(key="rec0_reply").input("准予许可")
    at.text_input(key="rec0_lno").input(f"L-{case_no}")
    at.button(key="rec0_save").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_approver_records_a_case_and_it_is_pushed(db):
    at = _record(db)
    assert "已保存" in page_source(at)
    assert "办件 APP-001" in page_source(at)
    cid = db.scalar("SELECT id FROM approval_case WHERE case_no = 'APP-001'")
    assert db.scalar("SELECT count(*) FROM push WHERE case_id = ? AND status = '待签收'", [cid]) == 1
    assert db.scalar("SELECT licence_no FROM licence WHERE case_id = ?", [cid]) == "L-APP-001"
    # the form is empty again for the next case
    assert at.text_input(key="rec1_no").value == ""


def test_known_code_fills_in_the_name(db):
    code, name = db.one("SELECT uscc, name FROM enterprise ORDER BY id LIMIT 1")
    at = as_logged_in(PAGE, "approver").run()
    at.text_input(key="rec0_uscc").input(code.lower()).run()
    box = at.text_input(key="rec0_ename")
    assert box.value == name and box.disabled


def test_bad_input_shows_a_chinese_message_and_saves_nothing(db):
    at = as_logged_in(PAGE, "approver").run()
    at.text_input(key="rec0_no").input("APP-BAD")
    at.selectbox(key="rec0_item").select(_item(db, "SC-001"))
    at.text_input(key="rec0_uscc").input("91320602MA1APP00X").run()
    at.text_input(key="rec0_ename").input("某公司")
    at.text_input(key="rec0_proj").input("P")
    at.text_area(key="rec0_reply").input("准予许可")
    at.text_input(key="rec0_lno").input("L-APP-BAD")
    at.button(key="rec0_save").click().run()
    assert any("统一社会信用代码" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM approval_case WHERE case_no = 'APP-BAD'") == 0


def test_right_supervisor_signs_wrong_one_cannot(db):
    _record(db)
    cid = db.scalar("SELECT id FROM approval_case WHERE case_no = 'APP-001'")
    # the wrong department: not in its list, cannot open it
    at = as_logged_in(PAGE, "supervisor2").run()
    assert at.tabs[0].label == "待签收"
    assert "APP-001" not in set(at.dataframe[0].value["办件编号"])
    at.text_input(key="sign_open").input("APP-001").run()
    assert any("没有找到" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "sign_detail_sign"]
    # the right department: in the list, opens it, signs it
    at = as_logged_in(PAGE, "supervisor").run()
    header = [s.value for s in at.subheader if s.value.startswith("待签收")][0]
    n = db.scalar(
        "SELECT count(*) FROM push WHERE department_id = ? AND status = '待签收'", [actor("supervisor").department_id]
    )
    assert header.startswith(f"待签收 {n} 条")
    assert "APP-001" in set(at.dataframe[0].value["办件编号"])
    at.text_input(key="sign_open").input("APP-001").run()
    assert "办件 APP-001" in page_source(at)
    at.button(key="sign_detail_sign").click().run()
    assert not at.exception and not at.error
    assert any("已签收 1 条推送，签收人 张监管" in s.value for s in at.success)
    row = db.one("SELECT status, signed_by FROM push WHERE case_id = ?", [cid])
    assert row == ("已签收", actor("supervisor").user_id)
    # no second 签收 button once signed
    assert not [b for b in at.button if b.key == "sign_detail_sign"]


def test_read_only_roles_have_no_recording(db):
    for who in ("leader", "admin"):
        at = as_logged_in(PAGE, who).run()
        assert not at.exception, at.exception
        labels = [t.label for t in at.tabs]
        assert labels[0] == "审批办件档案" and "办件录入" not in labels and "批量导入" not in labels
        assert "共找到" in page_source(at) or len(at.dataframe) >= 1


def test_claim_department_sees_claim_pool(db):
    at = as_logged_in(PAGE, "claimer").run()
    assert not at.exception, at.exception
    assert "待领取" in [t.label for t in at.tabs]
