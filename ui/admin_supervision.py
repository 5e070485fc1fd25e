"""系统管理 → 监管数据: inspection result options, penalty sources and the
run log, penalty file import, and the quarantine (correct and release)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from sgld import penalty_sources as ps
from sgld.errors import ValidationError
from sgld.services import inspection, penalty
from ui import admin_forms as forms
from ui.widgets import action, data_table, download_xlsx, md_text, show_table, upload

TAB_TITLE = "监管数据"

KIND_LABELS = {"sql": "数据库表（SQLAlchemy）", "file": "文件目录（.csv/.xlsx）"}


def _results(actor) -> None:
    st.markdown("##### 检查结果选项")
    rows = inspection.list_results(actor)
    frame = pd.DataFrame(
        [
            {
                "检查结果": r["name"],
                "内置": "是" if r["builtin"] else "否",
                "状态": "在用" if r["active"] else "停用",
                "已使用": r["used"],
            }
            for r in rows
        ]
    )
    show_table(frame, hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    with c1.form("res_add"):  # a refused name stays in the field
        name = st.text_input("新增检查结果", key="res_new")
        if st.form_submit_button("新增"):
            with action("已新增"):
                inspection.add_result(actor, name)
                forms.clear_fields("res_new")
                st.rerun()
    with c2:
        pick = st.selectbox(
            "停用或启用",
            [r["name"] for r in rows],
            key="res_pick",
            on_change=forms.cancel_confirm,
            placeholder="请选择",
        )
        row = next((r for r in rows if r["name"] == pick), None)
        if row and row["active"]:
            if forms.confirmed(
                "res_off", "停用", f"停用后录入检查时不再能选“{md_text(pick)}”。确定停用？", "确认停用该检查结果"
            ):
                with action("已停用"):
                    inspection.set_result_active(actor, pick, False)
                    st.rerun()
        elif row and st.button("启用", key="res_toggle"):
            with action("已启用"):
                inspection.set_result_active(actor, pick, True)
                st.rerun()


def _sources(actor) -> None:
    st.markdown("##### 行政处罚数据源（行权系统）")
    sources = penalty.list_sources(actor)
    if sources:
        show_table(
            pd.DataFrame(
                [
                    {
                        "名称": s["name"],
                        "类型": KIND_LABELS[s["kind"]],
                        "地址或目录": s["location"],
                        "表名": s["table_name"] or "",
                        "增量字段": s["watermark_column"] or "",
                        "当前增量位置": s["watermark_text"],
                        "启用": "是" if s["enabled"] else "否",
                    }
                    for s in sources
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    by_name = {s["name"]: s for s in sources}
    choice = st.selectbox(
        "新建或修改数据源",
        [None] + list(by_name),
        key="src_pick",
        format_func=lambda n: "＋ 新建数据源" if n is None else n,
        placeholder="全部",
    )
    cur = by_name.get(choice, {})
    default_mapping = cur.get("mapping") or {k: "" for k in ps.FIELDS}
    with st.form(f"src_{choice}"):
        c1, c2 = st.columns(2)
        name = c1.text_input("名称", cur.get("name", ""), disabled=choice is not None)
        kind = c2.selectbox(
            "类型",
            list(KIND_LABELS),
            format_func=KIND_LABELS.get,
            index=list(KIND_LABELS).index(cur.get("kind", "sql")),
            placeholder="请选择",
        )
        location = st.text_input(
            "连接地址（数据库）或目录（文件）",
            cur.get("location", ""),
            help="例如 sqlite:////srv/xq.sqlite、postgresql+psycopg://user:pass@host/db、"
            "mysql+pymysql://user:pass@host/db，或 /srv/xq/export/",
        )
        c3, c4 = st.columns(2)
        table = c3.text_input("表名或视图名（数据库）", cur.get("table_name") or "")
        wm = c4.text_input("增量字段（单调递增的编号或更新时间）", cur.get("watermark_column") or "")
        mapping = st.text_area(
            "列映射（JSON：字段 → 源表列名）",
            json.dumps(default_mapping, ensure_ascii=False, indent=1),
            height=220,
            help="字段：" + "、".join(f"{k}={v}" for k, v in ps.LABELS.items()),
        )
        enabled = st.checkbox("启用（参与定时抽取和立即同步）", cur.get("enabled", True))
        if st.form_submit_button("保存数据源", type="primary"):
            with action("数据源已保存"):
                penalty.save_source(
                    actor,
                    name=choice or name,
                    kind=kind,
                    location=location,
                    table_name=table,
                    watermark_column=wm,
                    column_mapping=mapping,
                    enabled=enabled,
                )
                st.rerun()
    if choice:
        c1, c2, c3 = st.columns(3)
        if c1.button("测试连接", key="src_test", icon=":material/lan:"):
            with action():
                st.info(penalty.check_source(actor, choice))
        if c2.button("立即同步此数据源", key="src_sync", icon=":material/sync:"):
            with action():
                r = penalty.sync_source(actor, choice)
                st.success(
                    f"读取 {r['rows_read']}，导入 {r['imported']}，重复 {r['duplicates']}，隔离 {r['quarantined']}。"
                )
        if forms.confirmed(
            f"src_reset_{choice}",
            "重置增量位置",
            "重置后下次同步从头读取该数据源（已入库的处罚按决定书文号识别，不会重复导入）。确定重置？",
            "确认重置增量位置",
            where=c3,
            help="下次从头读取；已入库的处罚按决定书文号识别，不会重复导入",
        ):
            with action("已重置"):
                penalty.reset_watermark(actor, choice)
                st.rerun()


def _upload(actor) -> None:
    st.markdown("##### 导入行政处罚文件")
    st.caption(
        "国家“双公示”行政处罚数据格式的 .csv（UTF-8、GBK、GB18030 自动识别）或 .xlsx；同一数据源内按决定书文号去重，重复导入不会产生重复记录。"
    )
    files = upload("选择文件", ["csv", "xlsx"], key="pen_files", for_import=True)
    source = st.text_input("数据源名称", penalty.SOURCE_FILE, key="pen_src")
    if files and st.button("导入", type="primary", key="pen_import"):
        with action():
            r = penalty.import_files(actor, [(f.name, f.getvalue()) for f in files], source=source, trigger="上传")
            st.success(
                f"批次 {r['run_id']}：读取 {r['rows_read']}，导入 {r['imported']}，重复 {r['duplicates']}，"
                f"隔离 {r['quarantined']}。",
                icon=":material/check_circle:",
            )


def _quarantine(actor) -> None:
    st.markdown("##### 隔离数据")
    status = st.segmented_control("状态", list(penalty.QUARANTINE_STATUSES), default="待处理", key="q_status")
    q = penalty.list_quarantine(actor, status=status or None)
    _, picked = data_table(q, key="q_t", file_name="隔离数据", selection="single-row", height=300, hide=["原始数据"])
    if not len(picked):
        st.caption("选中一行后可修正并放行（导入），或忽略。")
        return
    qid = int(picked.iloc[0]["编号"])
    item = penalty.quarantine_item(actor, qid)
    st.markdown(f"**隔离原因：** {md_text(item['reason'])}")
    with st.expander("原始数据", expanded=False):
        st.json(item["raw"])
    if item["status"] != "待处理":
        st.info(
            f"该记录{md_text(item['status'])}（{md_text(item['handled_by'])}，{md_text(item['handled_at'])}）。{md_text(item['note'] or '')}"
        )
        return
    with st.form(f"q_fix{qid}"):
        values = {}
        cols = st.columns(2)
        for i, (k, label) in enumerate(ps.LABELS.items()):
            values[k] = cols[i % 2].text_input(
                label + (" *" if k in ps.REQUIRED else ""), item["values"].get(k, ""), key=f"q{qid}_{k}"
            )
        note = st.text_input("处理说明", key=f"q{qid}_note")
        sure = st.checkbox("确认忽略该记录（不导入）", key=f"q{qid}_sure", help="点“忽略（不导入）”时须勾选")
        c1, c2 = st.columns(2)
        release = c1.form_submit_button("修正并放行", type="primary")
        dismiss = c2.form_submit_button("忽略（不导入）")
    if release:
        with action():
            pid = penalty.release(actor, qid, values, note)
            st.success(f"已放行，行政处罚编号 {pid}。")
    if dismiss:
        with action():
            if not sure:
                raise ValidationError("忽略须勾选“确认忽略该记录（不导入）”。")
            penalty.dismiss(actor, qid, note)
            st.success("已忽略。")


def render(actor) -> None:
    _results(actor)
    st.divider()
    _sources(actor)
    st.divider()
    _upload(actor)
    st.divider()
    st.markdown("##### 抽取记录")
    runs = penalty.list_runs(actor)
    data_table(runs, key="adm_runs", file_name="行政处罚抽取记录", height=240)
    if len(runs):
        rid = st.selectbox("下载某批次的隔离数据", runs["批次"].tolist(), key="adm_run_pick", placeholder="请选择")
        q = penalty.list_quarantine(actor, status=None, run_id=int(rid))
        download_xlsx(f"下载批次 {rid} 的隔离数据（{len(q)} 行）", q, f"隔离数据-批次{rid}", key="adm_q_dl")
    st.divider()
    _quarantine(actor)
