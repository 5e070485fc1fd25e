"""监管录入: follow-up supervision tasks, inspection entry and correction,
bulk import, penalties extracted from the 行权系统 and the extraction runs."""

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from sgld import clock
from sgld.services import enterprises, inspection, penalty
from ui import background, revocation_dept
from ui.auth import page_guard
from ui.penalties import DETAIL_LABELS
from ui.widgets import (
    action,
    badge,
    data_table,
    download_xlsx,
    file_label,
    file_link,
    fmt_date,
    lazy_tabs,
    loaded,
    md_text,
    page_header,
    show_table,
    upload,
)

actor = page_guard("supervise")
background.ensure_started()
page_header("监管录入", "日常检查录入、后续监管任务、行权系统行政处罚抽取")

EVIDENCE_TYPES = ["pdf", "jpg", "jpeg", "png", "ofd"]
# the date fields take any date a person could type; whether it is allowed
# (not after today) is the service's to say, with a message
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(9999, 12, 31)
PROFILE_PAGE = "pages/5_企业画像.py"
writer = actor.has("supervisor")
flash = st.session_state.pop("sup_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")


# -- inspection entry -----------------------------------------------------------------
def entry_form(key: str, code_default: str = "") -> None:
    """Record an inspection; a known code fills in the enterprise name."""
    ver = st.session_state.setdefault(f"{key}_ver", 0)
    k = f"{key}{ver}"
    code = st.text_input(
        "统一社会信用代码 *",
        value=code_default,
        key=f"{k}_code",
        max_chars=40,
        placeholder="18 位统一社会信用代码，全角、小写、空格会自动规范",
        help="输入后按回车，已登记的企业会自动带出名称",
    )
    known = enterprises.find_by_uscc(code) if code.strip() else None
    if known:
        st.caption(
            f":material/domain: 已登记企业：**{md_text(known['name'])}**（{md_text(known['address'] or '地址未登记')}）"
        )
    elif code.strip():
        st.caption(":material/info: 系统中尚无此代码的企业，请填写被检查对象名称，保存时将校验代码并登记该企业。")
    options = inspection.result_options()
    # One set of keys for the whole form: keys (or defaults) that changed with the
    # looked-up enterprise made Streamlit build new, empty widgets and drop what
    # had been typed before the code (issue 16.3).
    with st.form(f"{k}_form", clear_on_submit=False, border=True):
        if known:  # shown, not typed: its own key, so a name typed for a new code stays
            st.text_input("被检查对象名称", value=known["name"], disabled=True, key=f"{k}_known{known['id']}")
            name = None
        else:
            name = st.text_input("被检查对象名称 *", key=f"{k}_name")
        c1, c2, c3 = st.columns(3)
        # no max_value: the field would clamp a later date to today without a word
        # (issue 16.4); the service refuses it with a message instead
        day = c1.date_input(
            "检查日期 *",
            value=clock.today(),
            min_value=DATE_MIN,
            max_value=DATE_MAX,
            key=f"{k}_day",
            format="YYYY-MM-DD",
        )
        now = clock.now()
        at = c2.time_input(
            "检查时刻 *", value=time(now.hour, now.minute - now.minute % 5), step=timedelta(minutes=5), key=f"{k}_time"
        )
        result = c3.selectbox("检查结果 *", options, key=f"{k}_result", placeholder="请选择")
        address = (known or {}).get("address") or ""
        place = st.text_input(
            "检查地点 *", key=f"{k}_place", placeholder=f"留空则为登记地址：{address}" if address else "检查的具体地点"
        )
        findings = st.text_area("检查情况", key=f"{k}_findings", height=100, placeholder="检查发现的问题、整改要求等")
        inspectors = st.text_input("检查人员 *", value=actor.display_name, key=f"{k}_who", help="多人用顿号分隔")
        files = upload("证据材料（可多选）", EVIDENCE_TYPES, key=f"{k}_files")
        if st.form_submit_button("保存检查记录", type="primary", icon=":material/save:"):
            with action():
                iid = inspection.record(
                    actor,
                    uscc_code=code,
                    entity_name=name,
                    inspected_at=datetime.combine(day, at),
                    place=place.strip() or address,
                    result=result,
                    findings=findings,
                    inspectors=inspectors,
                    files=[(f.name, f.getvalue()) for f in files or []],
                )
                st.session_state[f"{key}_ver"] = ver + 1
                st.session_state["sup_flash"] = f"检查记录已保存（编号 {iid}）。"
                st.rerun()


def inspection_detail(iid: int, key: str) -> None:
    d = loaded(inspection.get, actor, iid)
    if d is None:
        return
    with st.container(border=True):
        top = st.columns([4, 1])
        top[0].markdown(f"#### 检查记录 {d['id']}：{md_text(d['entity_name'])}")
        with top[1]:
            badge(d["result"])
        c1, c2, c3 = st.columns(3)
        c1.markdown(f"**统一社会信用代码**  \n{md_text(d['uscc'])}")
        c2.markdown(f"**检查时间**  \n{fmt_date(d['inspected_at'], '—')}")
        c3.markdown(f"**检查部门**  \n{md_text(d['department'])}")
        c1.markdown(f"**检查地点**  \n{md_text(d['place'])}")
        c2.markdown(f"**检查人员**  \n{md_text(d['inspectors'])}")
        c3.markdown(
            f"**录入**  \n{md_text(d['recorder'] or '系统')} · {fmt_date(d['recorded_at'], '—')}"
            + (f"  \n更正：{md_text(d['updater'])} · {fmt_date(d['updated_at'], '—')}" if d["updated_at"] else "")
        )
        st.markdown("**检查情况**")
        st.text(d["findings"] or "（未填写）")
        st.markdown(f"**证据材料**（{len(d['files'])} 份）")
        for f in d["files"]:
            file_link(file_label(f), "evidence", iid, f["id"], key=f"{key}_f{f['id']}", icon=":material/attach_file:")
        st.page_link(
            PROFILE_PAGE,
            label="查看企业画像",
            icon=":material/domain:",
            query_params={"enterprise": str(d["enterprise_id"])},
        )
        if d["editable"]:
            with st.expander("更正本记录（留痕：更正前后内容记入操作日志）", icon=":material/edit:"):
                correction_form(d, key)


def correction_form(d: dict, key: str) -> None:
    options = inspection.result_options()
    if d["result"] not in options:
        options = [d["result"]] + options
    with st.form(f"{key}_fix{d['id']}"):
        c1, c2 = st.columns(2)
        code = c1.text_input("统一社会信用代码", d["uscc"])
        name = c2.text_input("被检查对象名称", d["entity_name"])
        c3, c4, c5 = st.columns(3)
        day = c3.date_input(
            "检查日期", d["inspected_at"].date(), min_value=DATE_MIN, max_value=DATE_MAX, format="YYYY-MM-DD"
        )
        at = c4.time_input("检查时刻", d["inspected_at"].time(), step=timedelta(minutes=5))
        result = c5.selectbox("检查结果", options, index=options.index(d["result"]), placeholder="请选择")
        place = st.text_input("检查地点", d["place"])
        findings = st.text_area("检查情况", d["findings"] or "")
        inspectors = st.text_input("检查人员", d["inspectors"])
        files = upload("补充证据材料", EVIDENCE_TYPES, key=f"{key}_fix_files{d['id']}")
        reason = st.text_input("更正原因 *")
        if st.form_submit_button("保存更正", type="primary"):
            with action():
                inspection.correct(
                    actor,
                    d["id"],
                    uscc_code=code,
                    entity_name=name,
                    inspected_at=datetime.combine(day, at),
                    place=place,
                    result=result,
                    findings=findings,
                    inspectors=inspectors,
                    reason=reason,
                    files=[(f.name, f.getvalue()) for f in files or []],
                )
                st.session_state["sup_flash"] = f"检查记录 {d['id']} 已更正。"
                st.rerun()


def inspection_list(key: str) -> None:
    c1, c2, c3 = st.columns([2, 1, 1])
    result = c1.selectbox(
        "检查结果",
        [""] + inspection.result_options(include_inactive=True),
        key=f"{key}_r",
        format_func=lambda x: x or "全部结果",
        placeholder="请选择",
    )
    dfrom = c2.date_input("起始日期", value=None, key=f"{key}_from", format="YYYY-MM-DD")
    dto = c3.date_input("结束日期", value=None, key=f"{key}_to", format="YYYY-MM-DD")
    with action():
        frame = inspection.list_inspections(actor, result=result or None, date_from=dfrom, date_to=dto)
        _, picked = data_table(
            frame,
            key=f"{key}_t",
            file_name="日常检查记录",
            selection="single-row",
            height=380,
            column_config={
                "检查时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                "证据材料": st.column_config.NumberColumn(format="%d 份"),
            },
        )
        if len(picked):
            inspection_detail(int(picked.iloc[0]["编号"]), key)
        else:
            st.caption("选中一行查看详情、下载证据材料" + ("或更正记录。" if writer else "。"))


TASK_LIMIT = 1000  # rows listed; the search looks through every open task


def tasks_tab() -> None:
    st.caption(
        "本部门已签收的推送即为后续监管任务；录入对该企业的日常检查（检查日期不早于签收日）后任务自动关闭。按签收时间从早到晚排列。"
    )
    text = st.text_input(
        "查找任务",
        key="tasks_find",
        max_chars=60,
        placeholder="企业名称、统一社会信用代码或办件编号（可部分），回车查找全部待开展任务",
        label_visibility="collapsed",
    )
    with action():
        tasks, total = inspection.followup_task_page(actor, text=text, limit=TASK_LIMIT)
        if not total:
            if text.strip():
                st.info(f"没有企业名称、统一社会信用代码或办件编号包含“{md_text(text.strip())}”的待开展任务。")
            else:
                st.success("本部门暂无待开展的后续监管任务。", icon=":material/task_alt:")
            return
        if total > len(tasks):
            st.caption(
                f"{'符合条件的' if text.strip() else ''}待开展任务共 {total:,} 项，"
                f"列出签收最早的 {len(tasks):,} 项；可按企业、代码或办件编号查找。"
            )
        _, picked = data_table(
            tasks,
            key="tasks",
            file_name="后续监管任务",
            selection="single-row",
            search=False,
            height=360,
            hide=["企业编号"],
            export=lambda: inspection.followup_task_page(actor, text=text)[0],
            column_config={
                "签收时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                "已等待（天）": st.column_config.ProgressColumn(
                    format="%d 天", min_value=0, max_value=max(30, int(tasks["已等待（天）"].max() or 0))
                ),
            },
        )
        if len(picked):
            row = picked.iloc[0]
            st.markdown(
                f"##### 为 {md_text(row['企业名称'])} 录入检查（推送 {row['推送编号']}，办件 {md_text(row['办件编号'])}）"
            )
            entry_form(f"task{row['推送编号']}", code_default=row["统一社会信用代码"])
        else:
            st.caption("选中一项任务即可直接录入对该企业的检查。")


def import_tab() -> None:
    st.caption(
        "从 .xlsx 或 .csv 批量导入本部门的检查记录：先预览，列出每一个有问题的行；确认后才导入，合格的行在一个事务中全部写入。"
    )
    download_xlsx("下载导入模板", inspection.import_template(), "日常检查导入模板", key="imp_tpl")
    up = upload("选择文件", ["xlsx", "csv"], key="imp_file", multiple=False, for_import=True)
    if up is None:
        return
    data = up.getvalue()
    with action():
        preview = inspection.import_inspections(actor, up.name, data, commit=False)
        st.write(f"可导入 **{preview['ok']}** 行，有问题 **{len(preview['errors'])}** 行。")
        if preview["errors"]:
            show_table(pd.DataFrame(preview["errors"]), hide_index=True, width="stretch", height=240)
            download_xlsx("下载有问题的行", preview["rejected"], "日常检查导入-未导入的行", key="imp_rej")
        if preview["ok"] and st.button(f"确认导入 {preview['ok']} 行", type="primary", key="imp_go"):
            result = inspection.import_inspections(actor, up.name, data, commit=True)
            st.success(f"已导入 {result['ok']} 条检查记录。", icon=":material/check_circle:")


def penalty_detail(pid: int) -> None:
    p = loaded(penalty.get_penalty, actor, pid)
    if p is None:
        return
    with st.container(border=True):
        st.markdown(f"#### 行政处罚 {md_text(p['decision_no'])}")
        rows = [(label, p.get(k)) for k, label in DETAIL_LABELS.items()]
        show_table(
            pd.DataFrame([{"项目": a, "内容": "" if b is None else str(b)} for a, b in rows]),
            hide_index=True,
            width="stretch",
        )
        if p["enterprise_id"]:
            st.page_link(
                PROFILE_PAGE,
                label="查看企业画像",
                icon=":material/domain:",
                query_params={"enterprise": str(p["enterprise_id"])},
            )


def penalty_tab() -> None:
    c1, c2, c3 = st.columns([2, 1, 1])
    text = c1.text_input("企业名称、统一社会信用代码或决定书文号", key="pen_q")
    dfrom = c2.date_input("决定日期起", value=None, key="pen_from", format="YYYY-MM-DD")
    dto = c3.date_input("决定日期止", value=None, key="pen_to", format="YYYY-MM-DD")
    with action():
        frame = penalty.list_penalties(actor, text=text, date_from=dfrom, date_to=dto)
        if not (actor.sees_everything or actor.has("approver")):
            st.caption("显示本部门监管或检查过的企业的行政处罚。")
        _, picked = data_table(
            frame,
            key="pen_t",
            file_name="行政处罚",
            selection="single-row",
            height=360,
            column_config={"罚款（万元）": st.column_config.NumberColumn(format="%.2f")},
        )
        if len(picked):
            penalty_detail(int(picked.iloc[0]["编号"]))


def sync_tab() -> None:
    status = penalty.sync_status()
    if status["running"]:
        st.info(
            f"抽取正在运行（批次 {status['run_id']}，开始于 {fmt_date(status['started_at'], '—')}）。",
            icon=":material/sync:",
        )
    last = status["last_run"]
    if last:
        st.caption(
            f"最近一次：批次 {last['id']}，{md_text(last['source'])}，{md_text(last['trigger'])}，{last['status']}，"
            f"{fmt_date(last['ended_at'] or last['started_at'], '—')}；读取 {last['rows_read']}、导入 {last['imported']}、"
            f"重复 {last['duplicates']}、隔离 {last['quarantined']}。"
        )
    if actor.has("admin", "approver"):
        if st.button(
            "立即同步",
            type="primary",
            icon=":material/sync:",
            key="sync_now",
            help="从已配置的数据源（行权系统）增量抽取新的行政处罚",
        ):
            with action():
                with st.spinner("正在抽取行政处罚…"):
                    results = penalty.sync_all(actor, trigger="立即同步")
                for r in results:
                    if r["status"] == "完成":
                        st.success(
                            f"{md_text(r['source'])}：读取 {r['rows_read']}，导入 {r['imported']}，重复 {r['duplicates']}，"
                            f"隔离 {r['quarantined']}。",
                            icon=":material/check_circle:",
                        )
                    else:
                        st.error(
                            f"{md_text(r['source'])}：抽取失败，未导入任何数据。{md_text(r.get('error', ''))}",
                            icon=":material/error:",
                        )
                if not results:
                    st.warning("没有启用的数据源，请系统管理员在“系统管理 → 监管数据”中配置。")
    with action():
        runs = penalty.list_runs(actor)
        _, picked = data_table(
            runs,
            key="runs_t",
            file_name="行政处罚抽取记录",
            selection="single-row",
            height=300,
            column_config={
                "开始时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
                "结束时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            },
        )
        if len(picked):
            run_id = int(picked.iloc[0]["批次"])
            q = penalty.list_quarantine(actor, status=None, run_id=run_id)
            st.markdown(f"批次 {run_id} 隔离 {len(q)} 行")
            if len(q):
                show_table(q.drop(columns=["原始数据"]), hide_index=True, width="stretch", height=200)
                download_xlsx("下载本批次隔离数据（含原因）", q, f"隔离数据-批次{run_id}", key=f"q_dl{run_id}")


def followup_stats() -> None:
    with action():
        counts = inspection.open_task_counts(actor)
        st.caption("各监管部门已签收但尚未开展日常检查的推送数。")
        data_table(counts, key="fu_stats", file_name="后续监管统计", search=False)
        stats = inspection.statistics(actor)
        if len(stats):
            st.markdown("##### 日常检查分类统计")
            pivot = stats.pivot_table(index="部门", columns="检查结果", values="次数", fill_value=0, aggfunc="sum")
            pivot["合计"] = pivot.sum(axis=1)
            data_table(pivot.reset_index(), key="insp_stats", file_name="日常检查分类统计", search=False)


# -- a record opened by link (?inspection= / ?penalty=) -----------------------------------------
qp = st.query_params
if qp.get("inspection", "").isdigit():
    inspection_detail(int(qp["inspection"]), "qp")
if qp.get("penalty", "").isdigit():
    penalty_detail(int(qp["penalty"]))


# stable labels: the selected tab is remembered by label (key "sup_tab"), so a
# count in a label would lose the user's tab after a save; the lists show theirs
tabs: dict = {}
if writer:
    tabs["后续监管任务"] = tasks_tab
    tabs["录入检查"] = lambda: entry_form("new")
    tabs["检查记录"] = lambda: inspection_list("mine")
    tabs["批量导入"] = import_tab
else:
    tabs["检查记录"] = lambda: inspection_list("all")
    tabs["后续监管统计"] = followup_stats
tabs["行政处罚"] = penalty_tab
if actor.has("admin", "approver", "leader"):
    tabs["处罚抽取"] = sync_tab
if writer:
    tabs["分类统计"] = followup_stats
if writer:
    tabs["协同处理申请"] = lambda: revocation_dept.render(actor)

# a request link (?xt=, or ?xt_enterprise= / ?xt_inspection= / ?xt_penalty= to file
# one) opens the tab that shows it; ?inspection= / ?penalty= are shown above the tabs
XT_LINKS = ("xt", "xt_enterprise", "xt_inspection", "xt_penalty")
default_tab = "协同处理申请" if "协同处理申请" in tabs and any(qp.get(k, "").isdigit() for k in XT_LINKS) else None
lazy_tabs(tabs, key="sup_tab", default=default_tab)
