"""AppTest: a success message belongs to the action that caused it
(issue 16 item 15) — an error of a later action does not stand under the old
"已保存", and after going to another page and back it is gone."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from sgld import uscc
from tests.apptest_util import login, page_source

PUSH = "pages/1_审批推送.py"
NEW = uscc.make("91320602MA1FLX001")


def _item(db, code):
    return db.scalar("SELECT id FROM item WHERE code = ?", [code])


def _fill_and_save(at, db, v: int, case_no: str):
    at.text_input(key=f"rec{v}_no").input(case_no)
    at.selectbox(key=f"rec{v}_item").select(_item(db, "SC-001"))
    at.text_input(key=f"rec{v}_uscc").input(NEW).run()
    if not at.text_input(key=f"rec{v}_ename").disabled:
        at.text_input(key=f"rec{v}_ename").input("南通消息测试有限公司")
    at.text_input(key=f"rec{v}_proj").input("FLS-PRJ-1")
    at.text_area(key=f"rec{v}_reply").input("准予许可")
    at.text_input(key=f"rec{v}_lno").input(f"L-{case_no}-{v}")
    at.button(key=f"rec{v}_save").click().run()
    assert not at.exception, at.exception
    return at


def _push_page(db):
    at = login("approver")
    at.switch_page(PUSH).run()
    assert not at.exception, at.exception
    return at


def test_error_replaces_the_old_success(db):
    at = _fill_and_save(_push_page(db), db, 0, "FLS-001")
    assert "已保存" in page_source(at)
    at = _fill_and_save(at, db, 1, "FLS-001")  # the same case number again
    assert any("已存在" in e.value for e in at.error), [e.value for e in at.error]
    assert "已保存" not in page_source(at)


def _page_script():
    import streamlit as st

    from ui.widgets import enter_page

    enter_page(st.session_state.get("page_now", "push"))  # as app.py does on every run
    if st.session_state.get("rec_last"):
        st.success("已保存。以下是刚登记的办件：")


def test_success_is_not_shown_after_leaving_the_page():
    # (AppTest.switch_page runs a page script without app.py, so the page
    # change app.py sees is played here with a stand-in script)
    at = AppTest.from_function(_page_script, default_timeout=30)
    at.session_state["page_now"] = "push"
    at.run()
    at.session_state["rec_last"] = 1  # a save on this page
    at.run()
    assert [s.value for s in at.success] == ["已保存。以下是刚登记的办件："]
    at.run()  # another run on the same page (e.g. opening the detail) keeps it
    assert len(at.success) == 1
    at.session_state["page_now"] = "account"
    at.run()
    assert not at.success
    at.session_state["page_now"] = "push"
    at.run()
    assert not at.success
