"""专项审查 page: motion, approval, notice, meeting, conclusion, minutes, overview."""
import streamlit as st

from ui import review_detail, review_forms, review_list, review_stats
from ui.auth import page_guard
from ui.widgets import page_header

actor = page_guard("review")
page_header("专项审查", "重点项目专项审查：确定动议 → 分管领导审察 → 通知参审部门 → 审查会议 → "
            "达成一致或报市政府决定 → 印发纪要")
review_list.flash()

tabs = ["审查一览", "统计分析"]
if actor.has("approver") and actor.department_kind == "bureau":
    tabs.insert(1, "发起动议")
shown = dict(zip(tabs, st.tabs(tabs)))

with shown["审查一览"]:
    picked = review_list.render(actor)
    if picked is not None:
        review_detail.render(actor, picked)
if "发起动议" in shown:
    with shown["发起动议"]:
        review_forms.motion_form(actor)
with shown["统计分析"]:
    review_stats.render(actor)
