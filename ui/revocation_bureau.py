"""协同处理待办 — the bureau's side (page 审批推送): the window staff's to-do
list, verification and the decision (revoke → licence status and re-push;
refuse → written explanation); leaders and admins read everything."""

from __future__ import annotations

import streamlit as st

from sgld.services import revocation as rv
from ui import revocation_common as common
from ui.widgets import action, data_table, md_text


def _decision_form(actor, d: dict, key: str) -> None:
    r = d["request"]
    if d["can_verify"]:
        c = st.columns([4, 1])
        c[0].caption("开始核实后，提请部门不能再撤回申请。")
        if c[1].button("开始核实", key=f"{key}_start", icon=":material/search_check:", width="stretch"):
            with action():
                rv.start_verification(actor, r["id"])
                st.session_state[common.FLASH] = f"申请 {md_text(r['request_no'])} 已进入核实。"
                st.rerun()
    if not d["can_decide"]:
        return
    new_status = rv.NEW_STATUS[r["requested_action"]]
    with st.form(f"{key}_decide"):
        st.markdown("**核实与处理决定**")
        notes = st.text_area(
            "核实情况 *", r["verification_notes"] or "", height=100, help="对撤销理由进行核实的经过和结论"
        )
        choice = st.radio(
            "处理决定 *",
            [
                f"符合撤销情形：{r['requested_action']}（证照状态改为“{new_status}”）",
                "不符合撤销情形：不予撤销（出具书面说明）",
            ],
            index=None,
        )
        reason = st.text_area("决定理由 *", height=100, help="撤销时写入证照状态变更记录；不予撤销时写入书面说明")
        c = st.columns(2)
        save = c[0].form_submit_button("只保存核实情况", disabled=r["status"] != "核实中")
        go = c[1].form_submit_button("作出决定", type="primary", icon=":material/gavel:")
    if save:
        with action():
            rv.save_notes(actor, r["id"], notes)
            st.session_state[common.FLASH] = "核实情况已保存。"
            st.rerun()
    if go:
        with action():
            if choice is None:
                st.error("请选择处理决定。", icon=":material/error:")
                return
            revoke = choice.startswith("符合")
            res = rv.decide(actor, r["id"], revoke=revoke, reason=reason, notes=notes)
            if revoke:
                n = len(res["pushes"]["push"]) + len(res["pushes"]["claim"])
                st.session_state[common.FLASH] = (
                    f"已{r['requested_action']}：证照状态已更新为“{res['licence_status']}”，处理结果已再次推送给"
                    f" {n} 个联动部门待签收。"
                )
            else:
                st.session_state[common.FLASH] = "已作出不予撤销决定，书面说明已生成并发送给提请部门签收。"
            st.rerun()


def render(actor) -> None:
    common.flash()
    writer = actor.has("approver") and not actor.has("leader")
    if writer:
        n, late = rv.todo_counts(actor)
        m = st.columns(3)
        m[0].metric("我的协同处理待办", n)
        m[1].metric("其中已超过办理期限", late)
        m[2].metric("办理时限（工作日）", rv.decision_days())
        if late:
            st.warning(f"有 {late} 件协同处理申请已超过办理期限，请尽快核实处理。", icon=":material/alarm:")
        view = st.segmented_control("列表", ["我的待办", "全部申请", "分类统计"], default="我的待办", key="xt_view")
    else:
        view = st.segmented_control("列表", ["全部申请", "分类统计"], default="全部申请", key="xt_view")
    view = view or ("我的待办" if writer else "全部申请")
    if view == "分类统计":
        with action():
            data_table(rv.statistics(actor), key="xt_stats", file_name="协同处理分类统计", search=False)
        return
    c = st.columns([2, 2, 3])
    status = None
    if view == "全部申请":
        status = c[0].selectbox(
            "状态", [None, *rv.STATUSES], key="xt_bst", format_func=lambda s: s or "（全部）", placeholder="请选择"
        )
    overdue = c[1].checkbox("只看已超时", key="xt_bover")
    text = c[2].text_input("申请编号 / 企业名称 / 证照编号", key="xt_btext")
    with action():
        frame = rv.list_requests(actor, todo=view == "我的待办", status=status, overdue_only=overdue, text=text)
        if view == "我的待办" and not len(frame):
            st.info("目前没有需要您办理的协同处理申请。", icon=":material/inbox:")
        _, sel = data_table(
            frame, key=f"xt_blist_{view}", file_name="协同处理申请", selection="single-row", hide=["request_id"]
        )
        rid = int(sel.iloc[0]["request_id"]) if len(sel) else None
        if rid is None and len(frame) == 1:
            rid = int(frame.iloc[0]["request_id"])
        if rid is None and st.query_params.get("xt", "").isdigit():
            rid = int(st.query_params["xt"])
        if rid is None:
            st.caption("选中一行查看申请、核实并作出处理决定。")
            return
        d = common.detail(actor, rid, key="xt_bd")
        if d is not None and writer:
            _decision_form(actor, d, "xt_bd")
