"""审批推送 page parts: case detail, archive, libraries, overview (read side)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from sgld import clock
from sgld.services import push, push_query
from ui.warning_flags import archive_flag, case_flag
from ui.widgets import (
    action,
    data_table,
    file_link,
    fmt_date,
    loaded,
    md_text,
    plot_chart,
    show_table,
    status_text,
    upload,
)

ALL = "（全部）"


# -- case detail ----------------------------------------------------------
def case_detail(actor, case_id: int, *, key: str) -> None:
    """Everything about one case, with the actions the actor may take on it."""
    d = loaded(push_query.case_detail, actor, case_id)
    if d is None:
        return
    c = d["case"]
    with st.container(border=True):
        st.subheader(f"办件 {md_text(c['case_no'])}")
        st.markdown(
            f"{status_text(c['stage'] if c['stage'] == '办结' else '核实中')} "
            f"**{md_text(c['item'])}**（{md_text(c['item_code'])}，{md_text(c['category'])}）"
        )
        case_flag(c["enterprise_id"])  # 警示名单 (revocation issue)
        a, b, e = st.columns(3)
        a.markdown(
            f"**企业名称**：{md_text(c['enterprise'])}  \n**统一社会信用代码**：{md_text(c['uscc'])}  \n"
            f"**法定代表人**：{md_text(c['legal_rep'] or '—')}"
        )
        b.markdown(
            f"**项目编号**：{md_text(c['project_no'])}  \n**项目名称**：{md_text(c['project_name'] or '—')}  \n"
            f"**办理环节**：{md_text(c['stage'])}"
        )
        e.markdown(
            f"**决定日期**：{fmt_date(c['decided_on'])}  \n**经办人**：{md_text(c['handler'] or '—')}"
            f"（{md_text(c['division'] or '—')}）  \n**登记时间**：{fmt_date(c['created_at'])}"
        )
        st.markdown("**批复信息**")
        st.text(c["reply"])

        if d["licences"]:
            st.markdown("**证照批文**")
            show_table(
                pd.DataFrame(
                    [
                        {
                            "证照编号": x["licence_no"],
                            "类型": x["kind"],
                            "状态": x["status"],
                            "发证日期": x["issued_on"],
                            "有效期至": x["valid_until"] or "长期",
                        }
                        for x in d["licences"]
                    ]
                ),
                hide_index=True,
                width="stretch",
            )

        if d["pushes"]:
            st.markdown("**推送与签收**")
            lines = []
            for p in d["pushes"]:
                if p["status"] == "已签收":
                    tail = f"签收人 **{md_text(p['signer'])}**，签收时间 {fmt_date(p['signed_at'])}" + (
                        " " + status_text("逾期签收") if p["late"] else ""
                    )
                else:
                    tail = f"签收期限 {fmt_date(p['due_on'])}" + (" " + status_text("已超时") if p["overdue"] else "")
                why = f"（{md_text(p['reason'])}）" if p["reason"] else ""
                lines.append(
                    f"- {status_text(p['status'])} **{md_text(p['department'])}** · "
                    f"{md_text(p['stage'])}{why} · 推送 {fmt_date(p['pushed_at'])} · {tail}"
                )
            st.markdown("\n".join(lines))
        if d["claims"]:
            st.markdown("**领取**")
            lines = []
            for k in d["claims"]:
                tail = (
                    f"领取人 **{k['claimer']}**，领取时间 {fmt_date(k['claimed_at'])}"
                    if k["status"] == "已领取"
                    else "等待部门领取"
                )
                lines.append(
                    f"- {status_text(k['status'])} **{k['department']}** · {k['stage']} · "
                    f"开放 {fmt_date(k['available_at'])} · {md_text(tail)}"
                )
            st.markdown("\n".join(lines))

        _actions(actor, d, key)
        _scans(actor, d["scans"], key)

        st.markdown("**办件时间线**")
        tl = pd.DataFrame(d["timeline"])
        if len(tl):
            tl["时间"] = tl["时间"].map(fmt_date)
        show_table(tl, hide_index=True, width="stretch")


def _actions(actor, d: dict, key: str) -> None:
    mine = [p for p in d["pushes"] if p["status"] == "待签收" and p["department_id"] == actor.department_id]
    if actor.has("supervisor") and not actor.has("leader") and mine:
        label = "签收" if len(mine) == 1 else f"签收（{len(mine)} 条推送）"
        if st.button(label, type="primary", key=f"{key}_sign", icon=":material/task_alt:"):
            with action():
                res = push.sign_pushes(actor, [p["id"] for p in mine])
                st.session_state["push_flash"] = (
                    f"已签收 {res['signed']} 条推送，签收人 "
                    f"{md_text(actor.display_name)}，签收时间 "
                    f"{res['signed_at']:%Y-%m-%d %H:%M}。"
                )
                st.rerun()
    open_claims = [k for k in d["claims"] if k["status"] == "待领取" and k["department_id"] == actor.department_id]
    if actor.has("supervisor") and not actor.has("leader") and open_claims:
        if st.button("领取", type="primary", key=f"{key}_claim", icon=":material/move_to_inbox:"):
            with action():
                res = push.claim_results(actor, [k["id"] for k in open_claims])
                st.session_state["push_flash"] = (
                    f"已领取，领取人 {actor.display_name}，领取时间 {res['claimed_at']:%Y-%m-%d %H:%M}。"
                )
                st.rerun()
    c = d["case"]
    if actor.has("approver") and not actor.has("leader"):
        if c["stage"] != push.STAGE_DONE:
            with st.expander("办结该办件（结果将再次推送）", icon=":material/flag:"):
                _conclude_form(actor, c, key)
        with st.expander("补充扫描件", icon=":material/attach_file:"):
            files = upload("选择扫描件", ["pdf", "jpg", "jpeg", "png", "ofd"], key=f"{key}_more")
            if st.button("上传", key=f"{key}_more_btn", disabled=not files):
                with action():
                    push.add_scans(actor, c["id"], [(f.name, f.getvalue()) for f in files])
                    st.session_state["push_flash"] = f"已上传 {len(files)} 个扫描件。"
                    st.rerun()


def _conclude_form(actor, c: dict, key: str) -> None:
    with st.form(f"{key}_conclude"):
        reply = st.text_area("批复信息", c["reply"])
        decided = st.date_input("办结日期", value=clock.today(), format="YYYY-MM-DD")
        has_lic = st.checkbox("有证照批文", value=True)
        l1, l2, l3, l4 = st.columns(4)
        no = l1.text_input("证照编号")
        kind = l2.selectbox("证照类型", push.LICENCE_KINDS, placeholder="请选择")
        issued = l3.date_input("发证日期", value=clock.today(), format="YYYY-MM-DD")
        until = l4.date_input("有效期至（长期有效可空）", value=None, format="YYYY-MM-DD")
        files = upload("扫描件", ["pdf", "jpg", "jpeg", "png", "ofd"], key=f"{key}_conclude_files")
        if st.form_submit_button("办结并推送", type="primary"):
            with action():
                push.conclude_case(
                    actor,
                    c["id"],
                    reply=reply,
                    decided_on=decided,
                    licence={"licence_no": no, "kind": kind, "issued_on": issued, "valid_until": until}
                    if has_lic
                    else None,
                    files=[(f.name, f.getvalue()) for f in files or []],
                )
                st.session_state["push_flash"] = f"办件 {md_text(c['case_no'])} 已办结，结果已推送。"
                st.rerun()


def _scans(actor, scans: list[dict], key: str) -> None:
    if not scans:
        st.caption("没有扫描件。")
        return
    st.markdown(f"**扫描件**（{len(scans)} 个）")
    for s in scans:
        cols = st.columns([4, 1])
        cols[0].markdown(
            f":material/description: {md_text(s['file_name'])}"
            f"（{md_text(s['file_type'].upper())}，{s['size_bytes'] / 1024:.0f} KB）"
        )
        with cols[1]:
            file_link("下载", "scan", s["id"], s["id"], key=f"{key}_dl_{s['id']}")
        if s["file_type"] in ("png", "jpg"):
            with st.expander(f"查看 {md_text(s['file_name'])}"), action():
                st.image(push.read_scan(actor, s["id"])[1], width=420)


# -- archive --------------------------------------------------------------
def archive(actor, opts: dict, key: str = "arc") -> None:
    """审批办件档案: quick query, list (export), detail with timeline."""
    items = {i["id"]: f"{i['code']} {i['name']}" for i in opts["items"]}
    depts = {d["id"]: d["name"] for d in opts["departments"]}
    with st.form(f"{key}_form"):
        r1 = st.columns(5)
        ent = r1[0].text_input("企业名称（可部分）")
        code = r1[1].text_input("统一社会信用代码")
        proj = r1[2].text_input("项目编号")
        case_no = r1[3].text_input("办件编号")
        lic = r1[4].text_input("证照编号")
        r2 = st.columns(5)
        item = r2[0].selectbox(
            "事项", [None] + list(items), format_func=lambda i: items.get(i, ALL), placeholder="全部"
        )
        if push.scoped(actor):
            dept = None
            r2[1].text_input("部门", actor.department_name, disabled=True)
        else:
            dept = r2[1].selectbox(
                "推送/领取部门", [None] + list(depts), format_func=lambda i: depts.get(i, ALL), placeholder="全部"
            )
        stage = r2[2].selectbox("办理环节", [None] + opts["stages"], format_func=lambda s: s or ALL, placeholder="全部")
        pstat = r2[3].selectbox(
            "推送状态", [None] + opts["push_filters"], format_func=lambda s: s or ALL, placeholder="全部"
        )
        period = r2[4].date_input("决定日期范围", value=(), format="YYYY-MM-DD")
        st.form_submit_button("查询", type="primary", icon=":material/search:")
    d_from = period[0] if len(period) > 0 else None
    d_to = period[1] if len(period) > 1 else None
    with action():
        frame, total = push_query.search_cases(
            actor,
            enterprise=ent,
            uscc_code=code,
            project_no=proj,
            case_no=case_no,
            licence_no=lic,
            item_id=item,
            department_id=dept,
            stage=stage,
            push_status=pstat,
            date_from=d_from,
            date_to=d_to,
        )
        frame = archive_flag(frame)  # 警示名单 (revocation issue)
        if total > len(frame):
            st.caption(f"共找到 {total} 件，列出最新的 {len(frame)} 件；请用上方条件缩小范围。")
        _, sel = data_table(
            frame, key=f"{key}_list", file_name="审批办件档案", selection="single-row", hide=["case_id"]
        )
        if len(frame) == 1:
            sel = frame
        if len(sel):
            case_detail(actor, int(sel.iloc[0]["case_id"]), key=f"{key}_detail")
        else:
            st.caption("选中一行查看办件详情、时间线和扫描件。")


# -- libraries ------------------------------------------------------------
def licences(actor, opts: dict, key: str = "lib") -> None:
    items = {i["id"]: f"{i['code']} {i['name']}" for i in opts["items"]}
    c = st.columns([3, 1, 1, 2])
    text = c[0].text_input("证照编号 / 企业名称 / 信用代码", key=f"{key}_q")
    kind = c[1].selectbox(
        "类型", [None] + opts["licence_kinds"], format_func=lambda s: s or ALL, key=f"{key}_k", placeholder="全部"
    )
    status = c[2].selectbox(
        "状态", [None] + opts["licence_statuses"], format_func=lambda s: s or ALL, key=f"{key}_s", placeholder="全部"
    )
    item = c[3].selectbox(
        "事项", [None] + list(items), format_func=lambda i: items.get(i, ALL), key=f"{key}_i", placeholder="全部"
    )
    with action():
        frame, total = push_query.list_licences(actor, text=text, kind=kind, status=status, item_id=item)
        if total > len(frame):
            st.caption(f"共 {total} 个证照批文，列出最新的 {len(frame)} 个。")
        _, sel = data_table(
            frame,
            key=f"{key}_list",
            file_name="证照批文库",
            search=False,
            selection="single-row",
            hide=["licence_id", "case_id"],
        )
        if len(sel):
            licence_detail(actor, int(sel.iloc[0]["licence_id"]), key=f"{key}_scan")


def licence_detail(actor, licence_id: int, *, key: str) -> None:
    """One licence with its status history and scans."""
    d = loaded(push_query.licence_detail, actor, licence_id)
    if d is None:
        return
    lic = d["licence"]
    with st.container(border=True):
        st.subheader(f"{md_text(lic['kind'])} {md_text(lic['licence_no'])}")
        st.markdown(
            f"{status_text(lic['status'])} **{md_text(lic['item'])}** · {md_text(lic['enterprise'])}"
            f"（{md_text(lic['uscc'])}）  \n发证日期 {fmt_date(lic['issued_on'])}，有效期至 "
            f"{fmt_date(lic['valid_until']) or '长期'}；办件 {md_text(lic['case_no'])}，"
            f"项目 {md_text(lic['project_no'])}"
        )
        st.markdown("**状态变更记录**")
        show_table(d["history"], hide_index=True, width="stretch")
        _scans(actor, d["scans"], key)


def projects(actor, key: str = "prj") -> None:
    text = st.text_input("项目编号 / 项目名称 / 企业名称 / 信用代码", key=f"{key}_q")
    with action():
        frame, total = push_query.list_projects(actor, text=text)
        if total > len(frame):
            st.caption(f"共 {total} 个项目，列出最近更新的 {len(frame)} 个。")
        _, sel = data_table(frame, key=f"{key}_list", file_name="项目库", search=False, selection="single-row")
        if len(sel):
            project_detail(actor, sel.iloc[0]["项目编号"])


def project_detail(actor, project_no: str) -> None:
    """A project with its cases and licences (a supervisor: their department's)."""
    d = loaded(push_query.project_detail, actor, project_no)
    if d is None:
        return
    p = d["project"]
    if push.scoped(actor) and not len(d["cases"]):
        st.error(
            f"项目 {md_text(p['project_no'])} 的办件均未推送或开放给{md_text(actor.department_name)}，您无权查看。",
            icon=":material/error:",
        )
        return
    with st.container(border=True):
        st.subheader(f"项目 {md_text(p['project_no'])}")
        st.markdown(f"**{md_text(p['name'])}** · {md_text(p['enterprise'] or '')}（{md_text(p['uscc'] or '')}）")
        st.markdown(f"**办件**（{len(d['cases'])}）")
        show_table(
            d["cases"], hide_index=True, width="stretch", column_order=[c for c in d["cases"].columns if c != "case_id"]
        )
        st.markdown(f"**证照批文**（{len(d['licences'])}）")
        show_table(
            d["licences"],
            hide_index=True,
            width="stretch",
            column_order=[c for c in d["licences"].columns if c != "licence_id"],
        )


def linked_record(actor) -> bool:
    """A record opened by link (快速查询, 企业画像): ``?case=``, ``?licence=`` or
    ``?project=`` shown above the tabs; the services check the data scope.
    True when a link named a record."""
    qp = st.query_params
    shown = False
    if qp.get("case", "").isdigit():
        case_detail(actor, int(qp["case"]), key="qp_case")
        shown = True
    if qp.get("licence", "").isdigit():
        licence_detail(actor, int(qp["licence"]), key="qp_lic")
        shown = True
    if qp.get("project", "").strip():
        project_detail(actor, qp["project"].strip())
        shown = True
    return shown


OVERDUE_SCOPES = ("本处室及本人经办", "全局")


def overview(actor, key: str = "ovw") -> None:
    """The bureau's view: which departments sign late, what is overdue."""
    c = st.columns([2, 3])
    period = c[0].date_input(
        "推送日期范围", value=(clock.today() - timedelta(days=365), clock.today()), format="YYYY-MM-DD", key=f"{key}_p"
    )
    d_from = period[0] if len(period) > 0 else None
    d_to = period[1] if len(period) > 1 else None
    with action():
        frame = push_query.sign_overview(actor, date_from=d_from, date_to=d_to)
        data_table(frame, key=f"{key}_t", file_name="各部门签收情况", search=False)
        if len(frame) and frame["逾期未签收"].sum():
            fig = px.bar(
                frame,
                x="部门",
                y=["逾期未签收", "待签收未超时"],
                barmode="stack",
                labels={"value": "推送数", "variable": ""},
                height=320,
                color_discrete_sequence=["#d62728", "#ff9f1c"],
            )
            plot_chart(fig, width="stretch", key=f"{key}_chart")
        st.subheader("逾期未签收的推送")
        own = False
        if actor.has("approver"):  # the to-do (本处室) or the bureau-wide list
            st.session_state.setdefault(f"{key}_scope", OVERDUE_SCOPES[1])
            own = st.segmented_control("范围", OVERDUE_SCOPES, key=f"{key}_scope") == OVERDUE_SCOPES[0]
        late = push_query.push_list(actor, status="待签收", overdue_only=True, own_cases=own)
        data_table(late, key=f"{key}_late", file_name="逾期未签收推送", hide=["push_id", "case_id"])
