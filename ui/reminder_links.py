"""Where each 处理提醒 leads (issue 16 item 11): the tab that shows the list a
reminder counts, and the filter settings that make the list show exactly
what was counted.

The landing page links to ``<page>?todo=<reminder kind>``; the target page's
guard calls :func:`apply`, which sets the listed widget states once and drops
the parameter, so the user's own clicks afterwards are not overridden.
"""

from __future__ import annotations

import streamlit as st

from ui import review_list

_REVIEW_CLEAR = {
    review_list.TAB: "审查一览",
    "review_q": "",
    "review_status": review_list.ALL,
    "review_scope": review_list.ALL,
    "review_form": review_list.ALL,
    "review_dept": None,
    "review_period": review_list.PERIODS[0],
}

# reminder kind -> widget key -> value
LINKS: dict[str, dict] = {
    "push_to_sign": {"push_tab": "待签收"},
    "claim_to_take": {"push_tab": "待领取"},
    "push_overdue": {"push_tab": "签收情况", "ovw_scope": "本处室及本人经办"},
    "revocation_todo": {"push_tab": "协同处理待办"},
    "explanation_to_sign": {"sup_tab": "协同处理申请", "xt_dsign": True, "xt_dst": None},
    "followup_supervision": {"sup_tab": "后续监管任务"},
    "liaison_to_dispatch": {"lz_tab": "商请函与派员", "lz_dept_filter": "待派员"},
    "liaison_dept_rect_due": {"lz_tab": "整改跟踪", "lz_rect_state": "到期/逾期"},
    "liaison_unanswered": {"lz_tab": "商请函总览", "lz_bur_filter": "待派员"},
    "liaison_my_reviews": {"lz_tab": "我的审查任务", "lz_my_todo": "待参加/待记录"},
    "liaison_to_sign": {"lz_tab": "我的审查任务", "lz_my_todo": "待签字"},
    "liaison_rect_due": {"lz_tab": "整改跟踪", "lz_rect_state": "到期/逾期"},
    "liaison_discipline": {"lz_tab": "我的审查任务"},
}


def settings_for(kind: str) -> dict:
    if kind.startswith("review_"):  # the review list's 处理提醒 pills
        return {**_REVIEW_CLEAR, "review_todo": kind}
    return LINKS.get(kind, {})


def apply() -> None:
    """Open the list of a ``?todo=`` link once (called by every page's guard)."""
    kind = st.query_params.get("todo")
    if kind is None:
        return
    del st.query_params["todo"]
    for key, value in settings_for(kind).items():
        st.session_state[key] = value
