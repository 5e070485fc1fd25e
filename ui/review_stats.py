"""专项审查: classification statistics (by scope and outcome, status, form, month, department)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from sgld.services import special_review as sr
from ui.widgets import download_xlsx, plot_chart, show_table

OUTCOME_COLOURS = {"达成一致": "#2e7d32", "报市政府决定": "#c62828", "进行中": "#f9a825", "已撤回": "#9e9e9e"}
# the columns of sr.statistics' frames as the page (and its .xlsx) shows them
STAT_HEADERS = {
    "scope": "审查范围",
    "total": "合计",
    "agreed": "达成一致",
    "escalated": "报市政府决定",
    "ongoing": "进行中",
    "withdrawn": "已撤回",
    "status": "状态",
    "form": "审查形式",
    "outcome": "审查结论",
    "month": "月份",
    "count": "数量",
    "department": "部门",
    "reviews": "参审次数",
    "disagree": "不同意",
    "conditional": "有条件同意",
    "deemed": "视为同意",
    "absent_no_reason": "无故缺席",
}


def stat_tables(stats: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The frames of ``sr.statistics`` with the page's Chinese headers."""
    return {k: f.rename(columns=STAT_HEADERS) for k, f in stats.items()}


def render(actor) -> None:
    c = st.columns([1, 1, 2])
    d_from = c[0].date_input("会议日期自", value=None, key="review_stat_from", format="YYYY-MM-DD")
    d_to = c[1].date_input("至", value=None, key="review_stat_to", format="YYYY-MM-DD")
    stats = stat_tables(sr.statistics(actor, date_from=d_from, date_to=d_to))
    total = int(stats["by_status"]["数量"].sum()) if len(stats["by_status"]) else 0
    outcome = dict(zip(stats["by_outcome"]["审查结论"], stats["by_outcome"]["数量"]))
    m = st.columns(4)
    m[0].metric("专项审查总数", total)
    m[1].metric("达成一致", int(outcome.get("达成一致", 0)))
    m[2].metric("报市政府决定", int(outcome.get("报市政府决定", 0)))
    m[3].metric("进行中", int(outcome.get("进行中", 0)))
    if not total:
        st.info("所选范围内没有专项审查。")
        return
    left, right = st.columns([3, 2])
    with left:
        long = stats["by_scope"].melt(
            id_vars="审查范围", value_vars=list(OUTCOME_COLOURS), var_name="审查结论", value_name="数量"
        )
        fig = px.bar(
            long,
            y="审查范围",
            x="数量",
            color="审查结论",
            orientation="h",
            color_discrete_map=OUTCOME_COLOURS,
            title="按审查范围和审查结论",
        )
        fig.update_layout(
            height=380,
            yaxis={"categoryorder": "array", "categoryarray": list(sr.SCOPES)[::-1]},
            legend={"orientation": "h", "y": -0.15},
            margin={"l": 10, "r": 10},
        )
        plot_chart(fig, width="stretch")
    with right:
        fig = px.bar(stats["by_status"], x="状态", y="数量", title="按状态")
        fig.update_layout(height=380, margin={"l": 10, "r": 10})
        plot_chart(fig, width="stretch")
    left, right = st.columns([3, 2])
    with left:
        if len(stats["by_month"]):
            fig = px.bar(stats["by_month"], x="月份", y="数量", title="按月份（会议时间）")
            fig.update_layout(height=320, margin={"l": 10, "r": 10})
            plot_chart(fig, width="stretch")
    with right:
        st.markdown("**按审查形式**")
        show_table(stats["by_form"], hide_index=True, width="stretch")
    st.markdown("**参审部门意见统计**（已发出通知的专项审查）")
    show_table(stats["by_department"], hide_index=True, width="stretch")
    download_xlsx(
        "导出统计 Excel",
        {
            "按审查范围": stats["by_scope"],
            "按状态": stats["by_status"],
            "按审查形式": stats["by_form"],
            "按审查结论": stats["by_outcome"],
            "按月份": stats["by_month"],
            "参审部门": stats["by_department"],
        },
        "专项审查统计",
        key="review_stat_x",
    )
