"""The browser-less protocol client of the load test (bench/st_client.py,
bench/load_test.py) against a real server: a short run with one session of
each writing role, so the client cannot silently rot.  Figures are printed,
never asserted."""

from __future__ import annotations

import threading

import pytest

from bench import load_test


@pytest.fixture(scope="module")
def result():
    # supervisor (inspections), approver (cases), admin (departments): each
    # writes first, then reads and writes at random; short think time
    # in a thread of its own: the session's Playwright (sync API) may already
    # run an event loop in this thread, and the client uses asyncio.run()
    out: dict = {}

    def run():
        try:
            out["result"] = load_test.run(
                sessions=3, seconds=12, think=(0.2, 0.6), quiet=True, write_share=0.4, write_first=True
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["result"]


@pytest.mark.slow  # its fixture runs a load test against a real server
def test_every_session_logs_in_and_sees_no_error(result):
    load_test.report(result)
    assert result["logins"] >= 3 and result["login_failures"] == 0
    assert result["errors"] == []
    assert result["actions"] > 3 * 3


def test_writes_of_each_kind_are_acknowledged(result):
    acked = result["acked"]
    assert acked["inspection"] and acked["department"] and acked["case"], acked


def test_acknowledged_writes_present_exactly_once_with_audit(result):
    assert result["present"] == result["writes"]
    assert result["lost"] == [] and result["dupes"] == []
    assert result["unaudited"] == [] and result["wrong_id"] == []
    assert result["audit_ok"], result["audit"]


def test_client_tree_and_problems_from_messages():
    """The client's own bookkeeping, without a server: deltas build the tree,
    a replaced block loses its children, errors and exceptions are problems,
    and a run that ended for st.rerun() does not end the action."""
    from streamlit.proto.Alert_pb2 import Alert
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from bench.st_client import StClient

    def msg(path=None, **kw):
        m = ForwardMsg()
        if path is not None:
            m.metadata.delta_path.extend(path)
        return m

    c = StClient("http://127.0.0.1:1")
    m = msg()
    m.new_session.page_script_hash = "h1"
    assert c._handle(m) is False and c.page_hash == "h1"
    m = msg((0, 0))
    m.delta.add_block.form.form_id = "f"
    m.delta.add_block.form.clear_on_submit = True
    c._handle(m)
    m = msg((0, 0, 0))
    m.delta.new_element.text_input.label = "用户名"
    m.delta.new_element.text_input.id = "w1"
    m.delta.new_element.text_input.form_id = "f"
    c._handle(m)
    m = msg((0, 1))
    m.delta.new_element.alert.body = "出错了。"
    m.delta.new_element.alert.format = Alert.ERROR
    c._handle(m)
    assert c.form_with("用户名") == "f" and c.widget("用户名").id == "w1"
    assert c.problems() == ["st.error 出错了。"]
    c.set("用户名", "admin", form="f")
    assert c._states["w1"].string_value == "admin"
    m = msg((0, 0))
    m.delta.new_element.empty.SetInParent()  # st.empty() replaces the form
    c._handle(m)
    assert not c.nodes("text_input")
    m = msg((0, 2))
    m.delta.new_element.exception.type = "KeyError"
    m.delta.new_element.exception.message = "'x'"
    c._handle(m)
    assert "exception KeyError: 'x'" in c.problems()
    m = msg()
    m.script_finished = ForwardMsg.FINISHED_EARLY_FOR_RERUN
    assert c._handle(m) is False
    m = msg()
    m.new_session.page_script_hash = "h1"
    c._handle(m)
    assert c.tree == {} and c.problems() == []
    m = msg()
    m.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    assert c._handle(m) is True
