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
