"""协同处理申请 — the supervision department's side (page 监管录入, and the
enterprise profile): file a request, follow the department's requests,
withdraw, sign for written explanations."""

from __future__ import annotations

import streamlit as st

from sgld.errors import SgldError
from sgld.services import profile
from sgld.services import revocation as rv
from ui import revocation_common as common
from ui.widgets import action, data_table, loaded, md_text, upload

FILE_TYPES = ["pdf", "jpg", "jpeg", "png", "ofd"]


def _fmt_fine(x) -> str:
    return f"，罚款 {float(x):g} 万元" if x is not None else ""


def filing_form(
    actor,
    enterprise_id: int,
    *,
    key: str,
    source_kind: str = "企业画像",
    inspection_id: int | None = None,
    penalty_id: int | None = None,
) -> None:
    """The 协同处理申请单 for one enterprise."""
    opts = loaded(rv.filing_options, actor, enterprise_id)
    if opts is None:
        return
    ver = st.session_state.setdefault(f"{key}_v", 0)
    k = f"{key}{ver}"
    ent = opts["enterprise"]
    st.markdown(f"**协同处理申请单** · {md_text(ent['name'])}（{md_text(ent['uscc'])}）")
    st.caption("向市行政审批局提请吊销营业执照，或者撤销许可决定、许可证。审批局开始核实前，本部门可以撤回。")
    lic = {r["id"]: r for r in opts["licences"]}
    usable = [i for i, r in lic.items() if r["fileable"]]
    blocked = [r for r in opts["licences"] if not r["fileable"]]
    if not usable:
        st.info("该企业没有可以提请处理的有效证照。", icon=":material/info:")
        if blocked:
            st.caption("；".join(f"{r['licence_no']}（{r['open_request'] or r['status']}）" for r in blocked))
        return
    c = st.columns([3, 2])
    lid = c[0].selectbox(
        "证照 *",
        usable,
        key=f"{k}_lic",
        format_func=lambda i: f"{lic[i]['kind']} {lic[i]['licence_no']} · {lic[i]['item']}",
        placeholder="请选择",
    )
    kind = lic[lid]["kind"]
    actions = [a for a in rv.ACTIONS if rv.KIND_FOR_ACTION.get(a, kind) == kind]
    act = c[1].selectbox("提请事项 *", actions, key=f"{k}_act", placeholder="请选择")
    if blocked:
        st.caption(
            "不能提请的证照："
            + "；".join(
                f"{md_text(r['licence_no'])}（{md_text('已有申请 ' + r['open_request'] if r['open_request'] else r['status'])}）"
                for r in blocked
            )
        )
    facts = st.text_area(
        "事实与理由 *", key=f"{k}_facts", height=110, placeholder="写明违法事实、调查经过及建议撤销（吊销）的理由"
    )
    basis = st.text_area(
        "法律依据 *", key=f"{k}_basis", height=68, placeholder="例如：《中华人民共和国行政许可法》第六十九条"
    )
    ins = {r["id"]: r for r in opts["inspections"]}
    pen = {r["id"]: r for r in opts["penalties"]}
    c = st.columns(2)
    ins_ids = c[0].multiselect(
        "关联日常检查（本部门）",
        list(ins),
        key=f"{k}_ins",
        default=[inspection_id] if inspection_id in ins else [],
        format_func=lambda i: f"{ins[i]['inspected_at']:%Y-%m-%d} {ins[i]['result']}（{ins[i]['place']}）",
        placeholder="请选择（可多选）",
        select_all=False,
    )
    pen_ids = c[1].multiselect(
        "关联行政处罚",
        list(pen),
        key=f"{k}_pen",
        default=[penalty_id] if penalty_id in pen else [],
        format_func=lambda i: f"{pen[i]['decision_no']} {pen[i]['category'] or ''}{_fmt_fine(pen[i]['fine_wan'])}",
        placeholder="请选择（可多选）",
        select_all=False,
    )
    files = upload("证据材料（可多选）", FILE_TYPES, key=f"{k}_files")
    if st.button("提交协同处理申请", type="primary", key=f"{k}_go", icon=":material/send:"):
        with action():
            rid = rv.file_request(
                actor,
                licence_id=lid,
                requested_action=act,
                facts=facts,
                legal_basis=basis,
                inspection_ids=ins_ids,
                penalty_ids=pen_ids,
                files=[(f.name, f.getvalue()) for f in files or []],
                source_kind=source_kind,
            )
            no = rv.get_request(actor, rid)["request"]["request_no"]
            st.session_state[f"{key}_v"] = ver + 1
            st.session_state[common.FLASH] = (
                f"协同处理申请 {no} 已提交市行政审批局，可在“监管录入 → 协同处理申请”中跟踪办理情况。"
            )
            st.session_state["xt_open"] = rid
            st.rerun()


def profile_panel(actor, enterprise_id: int) -> None:
    """On the enterprise profile: file a request (supervisors)."""
    if not actor.has("supervisor") or actor.has("leader"):
        return
    common.flash()
    with st.expander("提请协同处理（撤销许可决定、吊销许可证或营业执照）", icon=":material/gavel:"):
        filing_form(actor, int(enterprise_id), key=f"xtp{enterprise_id}", source_kind="企业画像")


def _prefill() -> dict:
    """?xt_enterprise=…&xt_inspection=…&xt_penalty=… (links from the
    inspection and penalty views) or a dict in session state."""
    pre = dict(st.session_state.get("xt_prefill") or {})
    q = st.query_params
    for name in ("enterprise", "inspection", "penalty"):
        if f"xt_{name}" in q and q[f"xt_{name}"].isdigit():
            pre[name] = int(q[f"xt_{name}"])
    return pre


def render(actor) -> None:
    """Tab 协同处理申请 of page 监管录入."""
    common.flash()
    mine = rv.list_requests(actor)
    n_sign = int((mine["书面说明"] == "待签收").sum()) if len(mine) else 0
    n_open = int(mine["状态"].isin(rv.OPEN).sum()) if len(mine) else 0
    m = st.columns(3)
    m[0].metric("办理中的申请", n_open)
    m[1].metric("待签收书面说明", n_sign)
    m[2].metric("本部门申请总数", len(mine))
    if actor.has("supervisor") and not actor.has("leader"):
        pre = _prefill()
        with st.expander("新建协同处理申请", expanded=bool(pre), icon=":material/add_circle:"):
            eid = pre.get("enterprise")
            if eid is None and pre.get("inspection"):
                eid = _enterprise_of("inspection", actor, pre["inspection"])
            if eid is None and pre.get("penalty"):
                eid = _enterprise_of("penalty", actor, pre["penalty"])
            how = (
                "按企业"
                if eid is not None
                else st.segmented_control(
                    "发起方式", ["按企业", "按日常检查", "按行政处罚"], default="按企业", key="xt_how"
                )
            )
            if eid is None and how == "按日常检查":
                pre["inspection"] = _pick_inspection(actor)
                if pre["inspection"] is not None:
                    eid = _enterprise_of("inspection", actor, pre["inspection"])
            elif eid is None and how == "按行政处罚":
                pre["penalty"] = _pick_penalty(actor)
                if pre["penalty"] is not None:
                    eid = _enterprise_of("penalty", actor, pre["penalty"])
            elif eid is None:
                text = st.text_input("查找企业（名称或统一社会信用代码）", key="xt_find", icon=":material/search:")
                hits = profile.search(actor, text, limit=30) if text else []
                if text and not hits:
                    st.warning("没有找到本部门监管或检查过的相关企业。")
                by = {h["id"]: h for h in hits}
                eid = st.selectbox(
                    "企业",
                    list(by),
                    index=None,
                    key="xt_pick",
                    placeholder="选择企业",
                    format_func=lambda i: f"{by[i]['name']}（{by[i]['uscc']}）",
                )
            if eid is not None:
                source = "日常检查" if pre.get("inspection") else "行政处罚" if pre.get("penalty") else "企业画像"
                filing_form(
                    actor,
                    eid,
                    key=f"xtf{eid}",
                    source_kind=source,
                    inspection_id=pre.get("inspection"),
                    penalty_id=pre.get("penalty"),
                )
    st.subheader("本部门协同处理申请")
    c = st.columns([2, 2, 3])
    status = c[0].selectbox(
        "状态", [None, *rv.STATUSES], key="xt_dst", format_func=lambda s: s or "（全部）", placeholder="请选择"
    )
    to_sign = c[1].checkbox("只看待签收书面说明", key="xt_dsign", value=False)
    with action():
        frame = rv.list_requests(actor, status=status, to_sign_only=to_sign)
        _, sel = data_table(
            frame, key="xt_dlist", file_name="协同处理申请", selection="single-row", hide=["request_id"]
        )
        rid = int(sel.iloc[0]["request_id"]) if len(sel) else st.session_state.get("xt_open")
        if rid is None and len(frame) == 1:
            rid = int(frame.iloc[0]["request_id"])
        if rid is None and st.query_params.get("xt", "").isdigit():
            rid = int(st.query_params["xt"])
        if rid is not None:
            common.detail(actor, rid, key="xt_dd")
        else:
            st.caption("选中一行查看申请详情、书面说明和签收。")


def _pick_inspection(actor) -> int | None:
    from sgld.services import inspection

    c = st.columns([2, 3])
    result = c[0].selectbox(
        "检查结果",
        [None, *inspection.result_options()],
        key="xt_ires",
        format_func=lambda r: r or "（全部）",
        placeholder="请选择",
    )
    text = c[1].text_input("被检查对象 / 统一社会信用代码", key="xt_itext")
    frame = inspection.list_inspections(actor, text=text, result=result, limit=200)
    rows = {int(r["编号"]): r for _, r in frame.iterrows()}
    return st.selectbox(
        "本部门的检查记录",
        list(rows),
        index=None,
        key="xt_ipick",
        placeholder="选择检查记录",
        format_func=lambda i: f"{rows[i]['检查时间']:%Y-%m-%d} {rows[i]['被检查对象']}：{md_text(rows[i]['检查结果'])}",
    )


def _pick_penalty(actor) -> int | None:
    from sgld.services import penalty

    text = st.text_input("决定书文号 / 行政相对人 / 统一社会信用代码", key="xt_ptext")
    if not text:
        return None
    frame = penalty.list_penalties(actor, text=text, limit=50)
    rows = {int(r["编号"]): r for _, r in frame.iterrows()}
    if not rows:
        st.warning("没有找到本部门可查看的相关行政处罚。")
    return st.selectbox(
        "行政处罚",
        list(rows),
        index=None,
        key="xt_ppick",
        placeholder="选择行政处罚",
        format_func=lambda i: (
            f"{rows[i]['决定书文号']} {rows[i]['行政相对人']}（{md_text(rows[i]['处罚类别'] or '')}）"
        ),
    )


def _enterprise_of(kind: str, actor, record_id: int) -> int | None:
    try:
        if kind == "inspection":
            from sgld.services import inspection

            return inspection.get(actor, record_id)["enterprise_id"]
        from sgld.services import penalty

        return penalty.get_penalty(actor, record_id)["enterprise_id"]
    except SgldError as exc:
        st.error(md_text(str(exc)), icon=":material/error:")
        return None
