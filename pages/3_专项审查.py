"""专项审查 page: motion, approval, notice, meeting, conclusion, minutes, overview."""

import streamlit as st

from ui import review_detail, review_forms, review_list, review_stats
from ui.auth import page_guard
from ui.widgets import page_header

actor = page_guard("review")
page_header(
    "专项审查",
    "重点项目专项审查：确定动议 → 分管领导审察 → 通知参审部门 → 审查会议 → 达成一致或报市政府决定 → 印发纪要",
)
review_list.flash()

tabs = ["审查一览", "统计分析"]
if actor.has("approver") and actor.department_kind == "bureau":
    tabs.insert(1, "发起动议")
review_list.apply_next_tab()
# lazy tabs: only the open tab's content runs
shown = dict(zip(tabs, st.tabs(tabs, key=review_list.TAB, on_change="rerun")))

with shown["审查一览"]:
    if shown["审查一览"].open:
        picked = review_list.render(actor)
        if picked is None and st.query_params.get("review", "").isdigit():
            picked = int(st.query_params["review"])  # 快速查询 link; get_review checks the scope
        if picked is not None:
            review_detail.render(actor, picked)
if "发起动议" in shown:
    with shown["发起动议"]:
        if shown["发起动议"].open:
            review_forms.motion_form(actor)
with shown["统计分析"]:
    if shown["统计分析"].open:
        review_stats.render(actor)
