"""联络员 page: tabs by role (a user with several roles sees each tab once)."""

import streamlit as st

from ui import liaison_bureau as bureau
from ui import liaison_common as common
from ui import liaison_dept as dept
from ui import liaison_work as work
from ui.auth import page_guard
from ui.widgets import lazy_tabs, page_header

actor = page_guard("liaison")
page_header(
    "联络员",
    "商请监管部门派出联络员参与审核工作：名册与资格、商请函（提前一天）、派员、"
    "审查记录与报告签字、整改督促复查、向本部门反馈。",
)
common.flash()

tabs: dict[str, object] = {}
if actor.has("liaison"):
    tabs["我的审查任务"] = lambda: work.assignments_tab(actor)
if actor.has("supervisor"):
    tabs["商请函与派员"] = lambda: dept.letters_tab(actor)
if actor.has("approver", "leader", "admin"):
    tabs["商请函总览"] = lambda: bureau.letters_tab(actor)
    tabs["审查一览"] = lambda: bureau.reviews_tab(actor)
if actor.has("supervisor", "approver", "leader", "admin"):
    tabs["联络员名册"] = lambda: dept.roster_tab(actor)
if actor.has("supervisor", "leader", "admin"):
    tabs["联络员反馈"] = lambda: common.feedback_tab(actor)
tabs["整改跟踪"] = lambda: common.rectifications_tab(actor)
if actor.has("supervisor", "approver", "leader", "admin"):
    tabs["统计"] = lambda: common.statistics_tab(actor)

# a 快速查询 link to a review task (?request=) opens the liaison's own tasks
default_tab = "我的审查任务" if "我的审查任务" in tabs and st.query_params.get("request", "").isdigit() else None
lazy_tabs(tabs, key="lz_tab", default=default_tab)
