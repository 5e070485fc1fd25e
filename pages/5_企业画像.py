"""企业画像: find an enterprise by name or code and see its licences, cases,
pushes, inspections, penalties (and what other features add) on one
timeline, newest first, with links to each record."""

from datetime import date, datetime

import pandas as pd
import streamlit as st

from sgld.security import PAGES
from sgld.services import profile
from ui import background, revocation_dept
from ui.auth import page_guard
from ui.widgets import data_table, loaded, md_text, page_header, status_text

actor = page_guard("profile")
background.ensure_started()
page_header("企业画像", "证照、办件、推送、日常检查、行政处罚等信息按时间汇总")

PAGE_KEYS = {
    "pages/1_审批推送.py": "push",
    "pages/2_监管录入.py": "supervise",
    "pages/5_企业画像.py": "profile",
    "pages/3_专项审查.py": "review",
}
KIND_COLOURS = {
    "证照": "green",
    "办件": "blue",
    "推送": "violet",
    "检查": "orange",
    "处罚": "red",
    "协同处理": "red",
    "警示名单": "red",
}
PAGE_SIZE = 50


def _when(v) -> str:
    if v is None or v is pd.NaT:
        return "—"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _can_open(page: str) -> bool:
    key = PAGE_KEYS.get(page)
    return key is not None and actor.has(*PAGES[key][1])


def timeline(events: list[dict]) -> None:
    if not events:
        st.info("暂无记录。")
        return
    shown = st.session_state.get("pf_more", PAGE_SIZE)
    for i, e in enumerate(events[:shown]):
        c1, c2, c3 = st.columns([1.3, 6, 1.2], vertical_alignment="center")
        c1.markdown(f"**{_when(e.get('at'))}**  \n:{KIND_COLOURS.get(e['kind'], 'blue')}-badge[{md_text(e['kind'])}]")
        status = f" {status_text(e['status'])}" if e.get("status") and e["status"] != e["kind"] else ""
        c2.markdown(f"{md_text(e['title'])}{status}  \n{md_text(e.get('detail'))}")
        link = e.get("link")
        if link and e.get("may_open", True) and _can_open(link["page"]):
            c3.page_link(
                link["page"], label="查看", icon=":material/open_in_new:", query_params=link.get("params") or {}
            )
        elif link and not e.get("may_open", True):
            c3.caption(md_text(e.get("why_not") or "无权查看"))  # no 查看 that would be refused
        if i < min(shown, len(events)) - 1:
            st.divider()
    if len(events) > shown:
        if st.button(f"显示更多（还有 {len(events) - shown} 条）", key="pf_more_btn"):
            st.session_state["pf_more"] = shown + PAGE_SIZE
            st.rerun()


def show(eid: int) -> None:
    data = loaded(profile.profile, actor, eid)
    if data is None:
        return
    ent, n = data["enterprise"], data["counts"]
    st.subheader(md_text(ent["name"]))
    st.caption(
        f"统一社会信用代码 {md_text(ent['uscc'])} · 法定代表人 {md_text(ent['legal_rep'] or '—')} · "
        f"{md_text(ent['address'] or '地址未登记')}"
    )
    for flag in data["flags"]:
        getattr(st, flag.get("level", "warning"), st.warning)(
            f"**{md_text(flag.get('label', ''))}** {md_text(flag.get('text', ''))}", icon=":material/warning:"
        )
    m = st.columns(6)
    m[0].metric("有效证照", f"{n['licences_valid']} / {n['licences']}")
    m[1].metric("审批办件", n["cases"])
    m[2].metric("推送", n["pushes"])
    m[3].metric("日常检查", n["inspections"])
    m[4].metric("行政处罚", n["penalties"])
    m[5].metric("罚款合计（万元）", f"{n['fines_wan']:.2f}")
    t = st.tabs(["时间线", "证照", "办件", "推送", "日常检查", "行政处罚"])
    with t[0]:
        timeline(data["timeline"])
    frames = {
        1: (
            data["licences"],
            {
                "licence_no": "证照编号",
                "kind": "类型",
                "item_name": "事项",
                "issued_on": "发证日期",
                "valid_until": "有效期至",
                "status": "状态",
            },
            "证照",
        ),
        2: (
            data["cases"],
            {"case_no": "办件编号", "item_name": "事项", "project_no": "项目编号", "stage": "环节", "at": "日期"},
            "办件",
        ),
        3: (
            data["pushes"],
            {
                "case_no": "办件编号",
                "department": "推送部门",
                "stage": "环节",
                "pushed_at": "推送时间",
                "status": "状态",
                "signer": "签收人",
                "signed_at": "签收时间",
            },
            "推送",
        ),
        4: (
            data["inspections"],
            {
                "inspected_at": "检查时间",
                "department": "检查部门",
                "result": "检查结果",
                "place": "检查地点",
                "inspectors": "检查人员",
                "files": "证据材料",
            },
            "日常检查",
        ),
        5: (
            data["penalties"],
            {
                "decision_no": "决定书文号",
                "decision_date": "决定日期",
                "violation_type": "违法行为类型",
                "category": "处罚类别",
                "fine_wan": "罚款（万元）",
                "authority": "处罚机关",
                "source": "数据源",
            },
            "行政处罚",
        ),
    }
    for i, (rows, labels, name) in frames.items():
        with t[i]:
            frame = pd.DataFrame(rows)
            frame = (
                frame[[c for c in labels if c in frame.columns]].rename(columns=labels)
                if len(frame)
                else pd.DataFrame(columns=list(labels.values()))
            )
            data_table(frame, key=f"pf_{i}", file_name=f"{ent['name']}-{name}", search=False)
    if actor.has("supervisor"):
        revocation_dept.profile_panel(actor, eid)


qp = st.query_params
c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
text = c1.text_input("企业名称（可部分输入）或统一社会信用代码", key="pf_q", placeholder="例如：食品、91320602…")
chosen = int(qp["enterprise"]) if qp.get("enterprise", "").isdigit() else None
if text.strip():
    hits = profile.search(actor, text)
    if not hits:
        st.info(
            "没有找到匹配的企业"
            + (
                "（只能查看本部门监管或检查过的企业）。"
                if not (actor.sees_everything or actor.has("approver"))
                else "。"
            )
        )
    else:
        label = {h["id"]: f"{h['name']}（{h['uscc']}）" for h in hits}
        pick = c2.selectbox(
            "选择企业",
            list(label),
            format_func=label.get,
            key="pf_pick",
            label_visibility="collapsed",
            placeholder="请选择",
        )
        if len(hits) == 50:
            st.caption("只显示前 50 个匹配结果，请输入更完整的名称或代码。")
        if pick != chosen:
            st.session_state["pf_more"] = PAGE_SIZE
        chosen = pick
        st.query_params["enterprise"] = str(pick)
if chosen is not None:
    show(chosen)
elif not text.strip():
    st.caption("输入企业名称或统一社会信用代码查找企业。")
