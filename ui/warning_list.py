"""警示名单 tab (page 审批推送): the list with the records behind each entry,
add by hand, lift, export; the rules in force."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from sgld.services import warning
from ui.widgets import action, data_table, fmt_date, loaded, md_text, show_table, status_text

FLASH = "wl_flash"


def _detail(actor, entry_id: int, writer: bool) -> None:
    d = loaded(warning.entry_detail, actor, entry_id)
    if d is None:
        return
    e = d["entry"]
    with st.container(border=True):
        st.subheader(e["name"])
        how = "人工列入" if e["manual"] else "规则列入"
        st.markdown(
            f"{status_text(e['status'])} {md_text(e['uscc'])} · {how}，列入时间 {fmt_date(e['listed_at'], '—')}"
            + (f"（{md_text(e['listed_by_name'])}）" if e["listed_by_name"] else "")
        )
        if e["manual"]:
            st.markdown(f"**人工列入原因**：{md_text(e['manual_reason'])}")
        if e["lifted_at"]:
            st.markdown(
                f"**解除**：{fmt_date(e['lifted_at'], '—')}，{md_text(e['lifted_by_name'] or '系统')}；{md_text(e['lift_reason'])}"
            )
        st.markdown(f"**列入依据**（{len(d['hits'])} 条记录）")
        show_table(
            d["hits"], hide_index=True, width="stretch", column_order=[c for c in d["hits"].columns if c != "记录编号"]
        )
        if len(d["history"]) > 1:
            st.markdown("**该企业的警示记录**")
            show_table(
                pd.DataFrame(
                    [
                        {
                            "状态": h["status"],
                            "列入时间": fmt_date(h["listed_at"], "—"),
                            "方式": "人工" if h["manual"] else "规则",
                            "解除时间": fmt_date(h["lifted_at"], "—"),
                            "解除原因": h["lift_reason"] or "",
                        }
                        for h in d["history"]
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        if writer and e["status"] == warning.LISTED:
            with st.form(f"wl_lift_{entry_id}", clear_on_submit=True):
                reason = st.text_area(
                    "解除原因 *",
                    height=70,
                    help="解除后该记录保留在历史中；出现新的符合规则的监管记录时，企业会被重新列入。",
                )
                if st.form_submit_button("解除警示", icon=":material/remove_moderator:"):
                    with action():
                        warning.lift(actor, entry_id, reason)
                        st.session_state[FLASH] = f"已解除“{md_text(e['name'])}”的警示。"
                        st.rerun()


def render(actor) -> None:
    msg = st.session_state.pop(FLASH, None)
    if msg:
        st.success(msg, icon=":material/check_circle:")
    writer = actor.has("approver") and not actor.has("leader")
    with action():
        n = warning.counts(actor)
        m = st.columns(2 + len(n["by_rule"]))
        m[0].metric("在列企业", n["listed"])
        m[1].metric("其中人工列入", n["manual"])
        for col, (label, k) in zip(m[2:], n["by_rule"].items()):
            col.metric(label, k)
        rules = warning.get_rules(actor)
        st.caption(
            "列入规则（系统管理员可在“系统管理 → 协同处理与警示规则”中调整）："
            + "；".join(rules.describe())
            + "。每次处罚数据同步、检查录入和协同处理决定后自动重新计算。"
        )
    if writer:
        with st.expander("人工列入企业", icon=":material/add_moderator:"):
            with st.form("wl_add", clear_on_submit=True):
                code = st.text_input("统一社会信用代码 *")
                reason = st.text_area("列入原因 *", height=70)
                if st.form_submit_button("列入警示名单", type="primary"):
                    with action():
                        warning.add_manual(actor, code, reason)
                        st.session_state[FLASH] = "已列入警示名单。"
                        st.rerun()
    c = st.columns([2, 2, 3])
    status = c[0].selectbox(
        "状态",
        [warning.LISTED, warning.LIFTED, None],
        key="wl_status",
        format_func=lambda s: s or "（全部，含历史）",
        placeholder="请选择",
    )
    rule = c[1].selectbox(
        "列入规则",
        [None, *warning.RULE_LABELS],
        key="wl_rule",
        format_func=lambda r: warning.RULE_LABELS.get(r, "（全部）"),
        placeholder="请选择",
    )
    text = c[2].text_input("企业名称 / 统一社会信用代码", key="wl_text")
    with action():
        frame = warning.list_entries(actor, status=status, rule=rule, text=text)
        _, sel = data_table(
            frame,
            key="wl_list",
            file_name="警示名单",
            search=False,
            selection="single-row",
            hide=["entry_id", "enterprise_id"],
        )
        st.download_button(
            "导出警示名单及列入依据（.xlsx）",
            lambda: warning.export_xlsx(actor, status=status),
            file_name=f"警示名单及列入依据-{date.today():%Y%m%d}.xlsx",
            key="wl_export",
            icon=":material/download:",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        eid = int(sel.iloc[0]["entry_id"]) if len(sel) else None
        q = st.query_params.get("warning", "")
        if eid is None and q.isdigit():
            eid = warning.current_entry_id(actor, int(q))
        if eid is not None:
            _detail(actor, eid, writer)
        else:
            st.caption("选中一行查看列入依据；可解除警示（须填写原因）。")
