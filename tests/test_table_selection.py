"""The shared table's selection helpers: positions beyond the shown rows are
ignored (issue 16 item 2), and the table key changes with its rows, its
filter and after an action (issue 16 item 1)."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from ui.widgets import selected_rows


def test_positions_beyond_the_frame_are_ignored():
    frame = pd.DataFrame({"push_id": [7, 8], "企业": ["甲", "乙"]})
    assert selected_rows(frame, [1, 2, 5])["push_id"].tolist() == [8]
    assert selected_rows(frame.iloc[0:0], [0]).empty
    assert selected_rows(frame, None).empty


def _keys_script():
    import pandas as pd
    import streamlit as st

    from ui.widgets import _fingerprint, reset_selections

    a = pd.DataFrame({"push_id": [1, 2, 3], "企业": ["甲", "乙", "丙"]})
    st.session_state["k"] = [
        _fingerprint(a, ["push_id"], ""),
        _fingerprint(a.assign(企业=["x", "y", "z"]), ["push_id"], ""),  # same ids
        _fingerprint(a.iloc[1:], ["push_id"], ""),  # a row went away
        _fingerprint(a, ["push_id"], "甲"),  # another filter
    ]
    reset_selections()
    st.session_state["k"].append(_fingerprint(a, ["push_id"], ""))  # after an action


def test_table_key_follows_rows_filter_and_actions():
    at = AppTest.from_function(_keys_script).run()
    same, same_ids, fewer, filtered, after = at.session_state["k"]
    assert same == same_ids
    assert len({same, fewer, filtered, after}) == 4


def _long_list_script():
    import pandas as pd
    import streamlit as st

    from ui import widgets

    frame = pd.DataFrame({"编号": range(1, 13), "企业": [f"企业{i}" for i in range(1, 13)]})
    saved, widgets.MAX_ROWS = widgets.MAX_ROWS, 5
    try:
        shown, _ = widgets.data_table(frame, key="long", file_name="长列表", selection="single-row")
    finally:
        widgets.MAX_ROWS = saved
    st.session_state["shown"] = len(shown)


def test_a_long_list_sends_the_first_rows_and_filters_all():
    """The browser gets at most MAX_ROWS rows; the count, the filter and the
    returned frame cover every row."""
    at = AppTest.from_function(_long_list_script).run()
    assert not at.exception
    assert list(at.dataframe[0].value["编号"]) == [1, 2, 3, 4, 5]
    assert at.session_state["shown"] == 12
    assert "共 12 条，列出前 5 条；请用筛选缩小范围，导出 Excel 含全部" in [c.value for c in at.caption]
    at.text_input(key="long_q").input("企业12").run()  # beyond the rows listed
    assert list(at.dataframe[0].value["编号"]) == [12]
    assert at.session_state["shown"] == 1
