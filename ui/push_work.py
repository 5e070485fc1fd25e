"""审批推送 page parts: recording (form, import) and the supervisors' work
lists (待签收, 已签收, 待领取)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import streamlit as st

from sgld import clock
from sgld.errors import SgldError
from sgld.services import cases_import, enterprises, push, push_query
from ui.push_views import case_detail
from ui.warning_flags import form_flag
from ui.widgets import action, data_table, md_text, show_table, upload

FILE_TYPES = ["pdf", "jpg", "jpeg", "png", "ofd"]
LIST_LIMIT = 2000


# -- record by form -------------------------------------------------------
def _fill_name(prefix: str) -> None:
    """On a typed code: a known enterprise fills in (and fixes) the name."""
    hit = enterprises.find_by_uscc(st.session_state.get(f"{prefix}_uscc", ""))
    st.session_state[f"{prefix}_known"] = hit["name"] if hit else None
    if hit:
        st.session_state[f"{prefix}_ename"] = hit["name"]


def record_form(actor, opts: dict) -> None:
    v = st.session_state.setdefault("rec_v", 0)  # bumped after a save: fresh empty form
    p = f"rec{v}"
    items = {i["id"]: i for i in opts["items"]}
    st.caption(
        "登记审批结果后，系统自动将其存入证照批文库和项目库，并推送给事项的监管部门（非集中事项开放给相关部门领取）。"
    )
    c = st.columns(3)
    case_no = c[0].text_input("办件编号 *", key=f"{p}_no")
    item_id = c[1].selectbox(
        "审批事项 *",
        list(items),
        index=None,
        placeholder="选择事项",
        format_func=lambda i: f"{items[i]['code']} {items[i]['name']}",
        key=f"{p}_item",
    )
    stage = c[2].selectbox("办理环节 *", opts["stages"], index=1, key=f"{p}_stage", placeholder="请选择")
    if item_id:
        it = items[item_id]
        how = "推送给" if it["centralised"] else "开放给以下部门领取："
        st.caption(f"{how}{md_text('、'.join(it['departments']))}；签收时限 {it['sign_limit_days']} 个工作日。")
    c = st.columns(3)
    c[0].text_input(
        "统一社会信用代码 *",
        key=f"{p}_uscc",
        on_change=_fill_name,
        args=(p,),
        help="输入后按回车：已登记的企业自动带出名称",
    )
    known = st.session_state.get(f"{p}_known")
    c[1].text_input("企业名称 *", key=f"{p}_ename", disabled=bool(known), help="已登记企业沿用登记名称；新企业请填写")
    decided = c[2].date_input("决定日期 *", value=clock.today(), format="YYYY-MM-DD", key=f"{p}_date")
    form_flag(st.session_state.get(f"{p}_uscc"))  # 警示名单 (revocation issue)
    c = st.columns(3)
    project_no = c[0].text_input("项目编号 *", key=f"{p}_proj")
    project_name = c[1].text_input("项目名称（新项目填写）", key=f"{p}_pname")
    reply = st.text_area("批复信息 *", key=f"{p}_reply", height=90)
    has_lic = st.checkbox("有证照批文", value=stage == "办结", key=f"{p}_haslic")
    licence = None
    if has_lic:
        l1, l2, l3, l4 = st.columns(4)
        licence = {
            "licence_no": l1.text_input("证照编号 *", key=f"{p}_lno"),
            "kind": l2.selectbox("证照类型 *", opts["licence_kinds"], key=f"{p}_lkind", placeholder="请选择"),
            "issued_on": l3.date_input("发证日期 *", value=clock.today(), format="YYYY-MM-DD", key=f"{p}_lissued"),
            "valid_until": l4.date_input(
                "有效期至（长期有效可空）", value=None, format="YYYY-MM-DD", key=f"{p}_luntil"
            ),
        }
    files = upload("扫描件（可多选）", FILE_TYPES, key=f"{p}_files")
    if st.button("保存并推送", type="primary", key=f"{p}_save", icon=":material/send:"):
        st.session_state.pop("rec_last", None)  # its message belongs to the previous save
        with action():
            cid = push.record_case(
                actor,
                case_no=case_no,
                item_id=item_id,
                uscc=st.session_state.get(f"{p}_uscc"),
                enterprise_name=st.session_state.get(f"{p}_ename"),
                project_no=project_no,
                project_name=project_name,
                stage=stage,
                reply=reply,
                decided_on=decided,
                licence=licence,
                files=[(f.name, f.getvalue()) for f in files or []],
            )
            st.session_state["rec_v"] = v + 1
            st.session_state["rec_last"] = cid
            st.rerun()
    last = st.session_state.get("rec_last")
    if last:
        st.success("已保存。以下是刚登记的办件：", icon=":material/check_circle:")
        case_detail(actor, last, key="rec_detail")


# -- bulk import ----------------------------------------------------------
def import_panel(actor) -> None:
    st.caption(
        "从 .xlsx 或 .csv 批量导入审批结果：先预览并列出全部有问题的行，确认后才导入；"
        "合格的行在一个事务中全部导入，有问题的行可下载修改后重新导入。"
    )
    st.download_button(
        "下载导入模板",
        cases_import.template,
        file_name="审批结果导入模板.xlsx",
        icon=":material/download:",
        key="imp_tpl",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    up = upload("选择文件（.xlsx / .csv）", ["xlsx", "csv"], key="imp_file", multiple=False, for_import=True)
    if up is None:
        return
    data = up.getvalue()
    sig = hashlib.sha256(data).hexdigest()
    ss = st.session_state
    if ss.get("imp_sig") != sig:
        ss["imp_sig"], ss["imp_preview"], ss["imp_done"] = sig, None, None
        try:
            ss["imp_preview"] = cases_import.import_cases(actor, up.name, data, commit=False)
        except SgldError as exc:
            st.error(md_text(str(exc)), icon=":material/error:")
            return
    res = ss.get("imp_done") or ss.get("imp_preview")
    if res is None:
        return
    a, b, c = st.columns(3)
    a.metric("数据行", res.total)
    b.metric("已导入" if res.committed else "可导入", res.ok)
    c.metric("有问题的行", len(res.rejected))
    if len(res.errors):
        st.markdown("**有问题的行**（行号为表格中的行号，含表头）")
        show_table(res.errors, hide_index=True, width="stretch", height=240)
        st.download_button(
            "下载有问题的行",
            res.rejected_xlsx,
            file_name="未导入的行.xlsx",
            icon=":material/download:",
            key="imp_rej",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    if res.committed:
        n = res.counts
        st.success(
            f"已导入 {n['cases']} 件办件：新增企业 {n['enterprises']} 个、项目 {n['projects']} 个、"
            f"证照 {n['licences']} 个，推送 {n['pushes']} 条，开放领取 {n['claims']} 条。",
            icon=":material/check_circle:",
        )
    elif res.ok:
        if st.button(f"确认导入 {res.ok} 行", type="primary", key="imp_go", icon=":material/upload:"):
            with action():
                ss["imp_done"] = cases_import.import_cases(actor, up.name, data, commit=True)
                st.rerun()
    else:
        st.warning("没有可以导入的行，请修正后重新上传。")


# -- supervisors' lists ---------------------------------------------------
def _quick_open(actor, key: str) -> int | None:
    no = st.text_input(
        "按办件编号打开", key=f"{key}_open", placeholder="输入完整办件编号后回车", icon=":material/search:"
    )
    if not no:
        return None
    cid = push_query.find_case_id(actor, no)
    if cid is None:
        st.warning(f"没有找到推送给或开放给本部门的办件“{md_text(no.strip())}”。")
    return cid


def to_sign(actor) -> None:
    total, overdue = push_query.pending_count(actor)
    st.subheader(f"待签收 {total} 条" + (f"（其中已超时 {overdue} 条）" if overdue else ""))
    st.caption("签收人和签收时间由系统自动记录；可在列表中勾选多条后一并签收。")
    frame = push_query.push_list(actor, status="待签收", limit=LIST_LIMIT)
    if total > len(frame):
        st.caption(f"按签收期限列出最早到期的 {len(frame)} 条；请先处理这些，或按办件编号直接打开。")
    _todo_list(
        actor,
        frame,
        kind="sign",
        id_col="push_id",
        file_name="待签收推送",
        verb="签收",
        icon=":material/done_all:",
        run=lambda ids: push.sign_pushes(actor, ids),
        done=lambda res: (
            f"已签收 {res['signed']} 条推送，签收人 {md_text(actor.display_name)}，"
            f"签收时间 {res['signed_at']:%Y-%m-%d %H:%M}。"
        ),
    )


def _todo_list(actor, frame, *, kind: str, id_col: str, file_name: str, verb: str, icon: str, run, done) -> None:
    """A to-do list (待签收 / 待领取): open a case by its number, tick rows and
    act on them all at once (``run(ids)``; ``done(result)`` the message on
    the next run), and the one ticked row's or the opened case's detail."""
    cid = _quick_open(actor, kind)
    _, sel = data_table(frame, key=f"{kind}_list", file_name=file_name, selection="multi-row", hide=[id_col, "case_id"])
    if len(sel):
        if st.button(f"{verb}所选 {len(sel)} 条", type="primary", key=f"{kind}_batch", icon=icon):
            with action():
                res = run(sel[id_col].tolist())
                st.session_state["push_flash"] = done(res)
                st.rerun()
        if len(sel) == 1 and cid is None:
            cid = int(sel.iloc[0]["case_id"])
    if cid:
        case_detail(actor, cid, key=f"{kind}_detail")


def signed(actor) -> None:
    c = st.columns([2, 3])
    period = c[0].date_input(
        "签收日期范围", value=(clock.today() - timedelta(days=90), clock.today()), format="YYYY-MM-DD", key="signed_p"
    )
    late = c[1].checkbox("只看逾期签收", key="signed_late")
    with action():
        frame = push_query.push_list(
            actor,
            status="已签收",
            overdue_only=late,
            date_from=period[0] if len(period) > 0 else None,
            date_to=period[1] if len(period) > 1 else None,
        )
        _, sel = data_table(
            frame, key="signed_list", file_name="已签收推送", selection="single-row", hide=["push_id", "case_id"]
        )
        if len(sel):
            case_detail(actor, int(sel.iloc[0]["case_id"]), key="signed_detail")


def claims(actor) -> None:
    frame = push_query.claim_list(actor, status="待领取")
    st.subheader(f"待领取 {len(frame)} 条")
    st.caption("非集中至审批局事项的审批结果，由本部门主动领取；领取人和领取时间由系统自动记录。")
    _todo_list(
        actor,
        frame,
        kind="claim",
        id_col="claim_id",
        file_name="待领取审批结果",
        verb="领取",
        icon=":material/move_to_inbox:",
        run=lambda ids: push.claim_results(actor, ids),
        done=lambda res: (
            f"已领取 {res['claimed']} 条，领取人 {md_text(actor.display_name)}，"
            f"领取时间 {res['claimed_at']:%Y-%m-%d %H:%M}。"
        ),
    )
    with st.expander("已领取记录"):
        done = push_query.claim_list(actor, status="已领取", limit=2000)
        data_table(done, key="claimed_list", file_name="已领取审批结果", hide=["claim_id", "case_id"])
