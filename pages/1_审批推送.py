"""审批推送: recording approval results, the licence and project libraries,
push–sign and claim, overdue overview, the approval archive."""

import streamlit as st

from sgld.services import push_query
from ui import push_views, push_work, revocation_bureau, warning_list
from ui.auth import page_guard
from ui.widgets import lazy_tabs, page_header

actor = page_guard("push")
page_header("审批推送", "审批结果入证照批文库与项目库，推送—签收、领取、超时提醒、审批办件档案")
opts = push_query.form_options(actor)
flash = st.session_state.pop("push_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")

if actor.has("approver") and not actor.has("leader"):
    tabs = ["办件录入", "批量导入", "审批办件档案", "证照批文库", "项目库", "签收情况"]
elif actor.has("supervisor") and not actor.sees_everything:
    tabs = ["待签收", "已签收"]
    if actor.department_kind == "licensing" or push_query.claim_list(actor, limit=1).shape[0]:
        tabs.append("待领取")
    tabs += ["审批办件档案", "证照批文库", "项目库"]
else:  # leader, admin: read-only
    tabs = ["审批办件档案", "证照批文库", "项目库", "签收情况"]
if actor.has("approver", "leader", "admin"):  # 协同处理 and 警示名单 (revocation issue)
    tabs += ["协同处理待办" if actor.has("approver") else "协同处理", "警示名单"]

push_views.linked_record(actor)  # ?case= / ?licence= / ?project= (快速查询 links)
# ?xt= (a revocation request link) opens the tab that shows it
xt_tab = next((t for t in ("协同处理待办", "协同处理") if t in tabs), None)
default_tab = xt_tab if st.query_params.get("xt", "").isdigit() and xt_tab else None

VIEWS = {
    "办件录入": lambda: push_work.record_form(actor, opts),
    "批量导入": lambda: push_work.import_panel(actor),
    "待签收": lambda: push_work.to_sign(actor),
    "已签收": lambda: push_work.signed(actor),
    "待领取": lambda: push_work.claims(actor),
    "审批办件档案": lambda: push_views.archive(actor, opts),
    "证照批文库": lambda: push_views.licences(actor, opts),
    "项目库": lambda: push_views.projects(actor),
    "签收情况": lambda: push_views.overview(actor),
    "协同处理待办": lambda: revocation_bureau.render(actor),
    "协同处理": lambda: revocation_bureau.render(actor),
    "警示名单": lambda: warning_list.render(actor),
}
lazy_tabs({t: VIEWS[t] for t in tabs}, key="push_tab", default=default_tab)
