"""协同处理: the request detail shared by the department's and the bureau's views."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sgld.services import revocation as rv
from ui.widgets import action, file_label, file_link, fmt_date, loaded, md_text, show_table, status_text

FLASH = "xt_flash"


def flash() -> None:
    msg = st.session_state.pop(FLASH, None)
    if msg:
        st.success(msg, icon=":material/check_circle:")


def detail(actor, request_id: int, *, key: str) -> dict | None:
    """The request with its licence, evidence, files, decision and re-pushes;
    the department's actions (withdraw, sign) are offered here."""
    d = loaded(rv.get_request, actor, request_id)
    if d is None:
        return None
    r, lic, names = d["request"], d["licence"], d["names"]
    with st.container(border=True):
        st.subheader(f"协同处理申请 {md_text(r['request_no'])}")
        late = " :red-badge[:material/alarm: 已超过办理期限]" if r["overdue"] else ""
        st.markdown(
            f"{status_text(r['status'])} **{md_text(r['requested_action'])}** · {md_text(lic['enterprise'])}"
            f"（{md_text(lic['uscc'])}）{late}"
        )
        a, b, c = st.columns(3)
        a.markdown(
            f"**证照**：{md_text(lic['kind'])} {md_text(lic['licence_no'])}  \n**事项**：{md_text(lic['item'])}"
            f"（{md_text(r['category'])}）  \n**证照状态**：{md_text(lic['status'])}"
        )
        b.markdown(
            f"**提请部门**：{md_text(lic['department'])}  \n**提交人**：{md_text(names['filed_by'])}  \n"
            f"**提交时间**：{fmt_date(r['filed_at'], '—')}"
        )
        c.markdown(
            f"**办理期限**：{fmt_date(r['deadline'], '—')}  \n**办理人员**：{md_text('、'.join(d['assignees']))}  \n"
            f"**审批办件**：{md_text(lic['case_no'])}"
        )
        st.markdown("**事实与理由**")
        st.text(r["facts"])
        st.markdown("**法律依据**")
        st.text(r["legal_basis"])
        if d["inspections"]:
            st.markdown(f"**关联日常检查**（{len(d['inspections'])}）")
            show_table(
                pd.DataFrame(
                    [
                        {
                            "检查时间": fmt_date(x["inspected_at"], "—"),
                            "检查部门": x["department"],
                            "检查结果": x["result"],
                            "检查地点": x["place"],
                            "检查情况": x["findings"] or "",
                        }
                        for x in d["inspections"]
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        if d["penalties"]:
            st.markdown(f"**关联行政处罚**（{len(d['penalties'])}）")
            show_table(
                pd.DataFrame(
                    [
                        {
                            "决定书文号": x["decision_no"],
                            "决定日期": fmt_date(x["decision_date"], "—"),
                            "违法行为": x["violation_type"] or "",
                            "处罚类别": x["category"] or "",
                            "罚款（万元）": float(x["fine_wan"]) if x["fine_wan"] is not None else None,
                            "处罚机关": x["authority"] or "",
                        }
                        for x in d["penalties"]
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        for f in d["files"]:
            file_link(
                file_label(f, "证据材料："),
                "revocation",
                request_id,
                f["id"],
                key=f"{key}_f{f['id']}",
                icon=":material/attach_file:",
            )
        if r["verify_started_at"]:
            st.markdown(
                f"**核实情况**（{md_text(names['verifier_id'])}，{fmt_date(r['verify_started_at'], '—')} 开始核实）"
            )
            st.text(r["verification_notes"] or "（尚未记录）")
        if r["status"] in rv.DECIDED:
            st.markdown(
                f"**处理决定**：{md_text(r['status'])}（{md_text(names['decided_by'])}，{fmt_date(r['decided_at'], '—')}）"
            )
            st.text(r["decision_reason"] or "")
        if r["status"] == "已撤回":
            st.markdown(
                f"**已撤回**：{md_text(names['withdrawn_by'])}，{fmt_date(r['withdrawn_at'], '—')}"
                + (f"；原因：{md_text(r['withdraw_reason'])}" if r["withdraw_reason"] else "")
            )
        if d["repushes"]:
            st.markdown("**处理结果再次推送**")
            show_table(
                pd.DataFrame(
                    [
                        {
                            "推送部门": p["department"],
                            "推送时间": fmt_date(p["pushed_at"], "—"),
                            "签收期限": fmt_date(p["due_on"], "—"),
                            "状态": p["status"],
                            "签收人": p["signer"] or "",
                            "签收时间": fmt_date(p["signed_at"], "—"),
                        }
                        for p in d["repushes"]
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        if r["status"] == "不予撤销":
            signed = (
                f"已由 {names['explanation_signed_by']} 于 {fmt_date(r['explanation_signed_at'], '—')} 签收"
                if r["explanation_signed_at"]
                else "待提请部门签收"
            )
            st.markdown(f"**书面说明**：{signed}")
            file_link(
                "下载书面说明（.docx）", "explanation", request_id, key=f"{key}_expl", icon=":material/description:"
            )
        _dept_actions(actor, d, key)
    return d


def _dept_actions(actor, d: dict, key: str) -> None:
    r = d["request"]
    if d["can_sign"]:
        if st.button("签收书面说明", type="primary", key=f"{key}_sign", icon=":material/task_alt:"):
            with action():
                at = rv.sign_explanation(actor, r["id"])
                st.session_state[FLASH] = (
                    f"已签收 {r['request_no']} 的书面说明，签收人 {actor.display_name}，签收时间 {at:%Y-%m-%d %H:%M}。"
                )
                st.rerun()
    if d["can_withdraw"]:
        with st.expander("撤回申请（审批局开始核实前可以撤回）", icon=":material/undo:"):
            reason = st.text_input("撤回原因", key=f"{key}_wr")
            if st.button("撤回", key=f"{key}_wd"):
                with action():
                    rv.withdraw(actor, r["id"], reason)
                    st.session_state[FLASH] = f"申请 {md_text(r['request_no'])} 已撤回。"
                    st.rerun()
