"""联络员 page: pieces shared by every role (letter detail, rectifications,
feedback, statistics)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from sgld.security import Actor
from sgld.services import liaison as svc
from ui import liaison_tables as tables
from ui.widgets import action, data_table, file_link, md_text, plot_chart, reset_selections, status_text

STATE_COLOURS = {
    "待派员": "orange",
    "逾期未派员": "red",
    "已撤回": "gray",
    "已派员": "blue",
    "已记录": "blue",
    "未参加": "gray",
    "已签字": "green",
    "已反馈": "green",
    "整改中": "blue",
    "即将到期": "orange",
    "已逾期": "red",
    "已整改": "green",
}


FLASH = "lz_flash"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def done(message: str) -> None:
    """After a successful change: remember the message and rerun, so every
    list shows the new state; :func:`flash` shows it on the next run."""
    st.session_state[FLASH] = message
    reset_selections()
    st.rerun()


def form_key(base: str) -> str:
    """The key of a form that creates a record: it changes after each
    successful save (:func:`renew`), so every widget of the form (checkboxes
    included) starts empty instead of offering the saved values again; after
    an error it stays, so what was typed is kept."""
    return f"{base}_{st.session_state.get(f'{base}_gen', 0)}"


def renew(base: str) -> None:
    st.session_state[f"{base}_gen"] = st.session_state.get(f"{base}_gen", 0) + 1


def flash() -> None:
    msg = st.session_state.pop(FLASH, None)
    if msg:
        st.success(msg, icon=":material/check_circle:")


def state(s: str) -> str:
    return f":{STATE_COLOURS.get(s, 'blue')}-badge[{s}]" if s in STATE_COLOURS else status_text(s)


PICK_LIMIT = 300


def pick(
    label: str,
    rows: list[dict],
    fmt,
    *,
    key: str,
    default_index: int | None = 0,
    frame=None,
    pool: list[dict] | None = None,
    total: int | None = None,
):
    """A selectbox over ``rows`` by id (tables list, the selectbox opens one).
    With ``frame`` (the table as filtered by the user) only its rows are
    offered; at most PICK_LIMIT of them.

    ``fmt`` must not show what an action changes (a state): Streamlit's
    browser side keeps the choice by its label, so a label that changed
    with the action would show the old text and then fall back to another
    row.  After an action the item acted on stays open even when it no
    longer matches the filter (it is looked up in ``pool``, all the rows
    before filtering); when it is gone altogether nothing is selected —
    never a different item."""
    if frame is not None and "编号" in frame.columns:
        keep = set(frame["编号"])
        rows = [r for r in rows if r["id"] in keep]
    total = len(rows) if total is None else total  # ``total``: rows already cut to the limit
    if total > PICK_LIMIT:
        st.caption(f"下拉框列出前 {PICK_LIMIT} 条（共 {total:,} 条），请用上方筛选缩小范围。")
        rows = rows[:PICK_LIMIT]
    current = st.session_state.get(key)
    index = None if default_index is None else min(default_index, max(len(rows) - 1, 0))
    if current is not None and current not in {r["id"] for r in rows}:
        kept = next((r for r in pool or [] if r["id"] == current), None)
        if kept is not None:
            rows = [kept, *rows]
        else:  # it went away: nothing selected rather than the next one
            st.session_state[key] = None
            index = None
    if not rows:
        return None
    ids = [r["id"] for r in rows]
    by_id = {r["id"]: r for r in rows}
    if current is not None and current in by_id:
        # set it again so the browser gets the current label too (an edit
        # may have changed a name shown in it)
        st.session_state[key] = current
    chosen = st.selectbox(label, ids, index=index, format_func=lambda i: fmt(by_id[i]), key=key, placeholder="请选择")
    return by_id.get(chosen)


def letter_label(r: dict) -> str:
    """What identifies a letter (no state: see :func:`pick`)."""
    return f"{r['review_date']:%Y-%m-%d} · {r['title']} · {r['department']}（{r['letter_no']}）"


def review_facts(d: dict) -> None:
    """What the liaison must know (附件3 四(二)): purpose, basis, scope, content, schedule."""
    c1, c2, c3 = st.columns(3)
    c1.markdown(f"**审查日期**：{d['review_date']:%Y-%m-%d}")
    c2.markdown(f"**审查类型**：{md_text(d['kind'])}")
    c3.markdown(f"**审查地点**：{md_text(d['place'])}")
    c1.markdown(f"**函号**：{md_text(d['letter_no'])}")
    c2.markdown(f"**监管部门**：{md_text(d['department'])}")
    c3.markdown(f"**状态**：{state(d['state'])}")
    if d.get("applicant") or d.get("case_no"):
        c1.markdown(f"**申请人**：{md_text(d.get('applicant') or '—')}")
        c2.markdown(f"**办件编号**：{md_text(d.get('case_no') or '—')}")
        c3.markdown(f"**联系人**：{md_text(d.get('contact_name') or '—')} {md_text(d.get('contact_phone') or '')}")
    for label, key in (
        ("审查目的", "purpose"),
        ("审查依据", "basis"),
        ("审查范围", "scope"),
        ("主要内容", "content"),
        ("日程安排", "schedule"),
    ):
        st.markdown(f"**{label}**")
        st.text(d[key])


def enterprise_box(d: dict) -> None:
    ent = d.get("enterprise")
    if ent:
        st.markdown(
            f"**申请人**：{md_text(ent['name'])}　统一社会信用代码 {md_text(ent['uscc'])}　"
            f"法定代表人：{md_text(ent['legal_rep'] or '—')}　地址：{md_text(ent['address'] or '—')}"
        )


def dispatch_box(d: dict) -> None:
    if d["dispatched_at"] is not None:
        on_time = "按时" if d["on_time"] else "审查当日（未提前）"
        st.markdown(
            f"**派出联络员**：{md_text(d['liaison_name'])}　派员人：{md_text(d['dispatched_by_name'] or '—')}　"
            f"派员时间：{d['dispatched_at']:%Y-%m-%d %H:%M}（{md_text(on_time)}）"
        )
        if d.get("dispatch_note"):
            st.caption(f"派员说明：{md_text(d['dispatch_note'])}")
        for x in d.get("replaced_dispatches") or []:
            when = f"{x['dispatched_at']:%Y-%m-%d %H:%M}" if x["dispatched_at"] else "—"
            st.markdown(
                f"**已更换的派员**：{md_text(x['liaison_name'])}　"
                f"派员人：{md_text(x['dispatched_by_name'] or '—')}　"
                f"派员时间：{when}　更换人：{md_text(x['replaced_by_name'] or '—')}　"
                f"更换时间：{x['replaced_at']:%Y-%m-%d %H:%M}"
            )
            if x.get("dispatch_note"):
                st.caption(f"原派员说明：{md_text(x['dispatch_note'])}")
    elif d["status"] == "已撤回":
        st.markdown(f"**已撤回**：{md_text(d['withdrawn_reason'])}（{d['withdrawn_at']:%Y-%m-%d %H:%M}）")


def record_box(d: dict) -> None:
    if d["recorded_at"] is None:
        st.caption("联络员尚未填写审查记录。")
        return
    if not d["attended"]:
        st.markdown(f"**未参加审查**：{md_text(d['absence_reason'])}")
        return
    st.markdown(f"**审查记录**（{d['recorded_at']:%Y-%m-%d %H:%M}）")
    st.text(d["record_text"])
    st.markdown(f"**意见建议**：{md_text(d['recommendation'])}")
    st.text(d["suggestions"])
    if d.get("applicant_info"):
        st.markdown("**申请人基本情况**")
        st.text(d["applicant_info"])


def report_box(d: dict, actor: Actor | None = None, key: str = "lz_report") -> None:
    st.markdown("**审查情况报告**")
    if d.get("report_text"):
        st.text(d["report_text"])
        if actor is not None:
            rid = d["id"]
            # produced only when the button is clicked (deferred data)
            st.download_button(
                "下载现场审查情况报告（.docx）",
                lambda: svc.report_docx(actor, rid)[1],
                file_name=svc.report_file_name(d),
                key=f"{key}_report_docx_{rid}",
                on_click="ignore",
                icon=":material/description:",
                mime=DOCX,
            )
    else:
        st.caption("审查报告尚未起草。")
    if d.get("report_signatures"):
        st.caption(
            "签字："
            + "；".join(
                f"{s['department']} {s['liaison']}（{s['signed_at']:%Y-%m-%d %H:%M}）" for s in d["report_signatures"]
            )
        )


def letter_download(d: dict, key: str) -> None:
    file_link("下载商请函（.docx）", "letter", d["id"], key=key, icon=":material/description:")


def letter_detail(actor: Actor, d: dict, key: str) -> None:
    """Everything about one letter, read-only."""
    review_facts(d)
    enterprise_box(d)
    letter_download(d, f"{key}_docx")
    dispatch_box(d)
    record_box(d)
    if d.get("feedback_at"):
        st.markdown(f"**向本部门反馈**（{d['feedback_at']:%Y-%m-%d %H:%M}）")
        st.text(d["feedback_text"])
    report_box(d, actor, key)
    if d["rectifications"]:
        st.markdown("**整改事项**")
        for x in d["rectifications"]:
            st.markdown(
                f"- {state(x['state'])} {md_text(x['problem'])}（期限 {x['deadline']:%Y-%m-%d}"
                f"{md_text('，涉及硬件设施' if x['hardware'] else '')}）"
            )


DUE = "到期/逾期"


def rectifications_tab(actor: Actor) -> None:
    """整改跟踪: list with states; the liaison records checks here."""
    choice = st.segmented_control(
        "整改状态",
        ["全部", DUE, "即将到期", "已逾期", "整改中", "已整改"],
        default="全部",
        key="lz_rect_state",
        help=f"“{DUE}”即处理提醒所计：即将到期或已逾期的整改事项。",
    )
    filt = None if choice in (None, "全部") else ("即将到期", "已逾期") if choice == DUE else choice
    with action():
        rows = svc.list_rectifications(actor, state=filt)
        shown, _ = data_table(tables.rects_table(rows), key="lz_rect_table", file_name="整改事项")
        st.divider()
        # the label names the item, not its state or deadline (a check changes them)
        x = pick(
            "查看整改事项",
            rows,
            lambda r: f"{r['problem']} · {r['title']}（编号 {r['id']}）",
            key="lz_rect_pick",
            frame=shown,
            pool=svc.list_rectifications(actor) if filt else rows,
        )
        if x is None:
            return
        st.markdown(f"**{md_text(x['problem'])}**　{state(x['state'])}")
        st.caption(
            f"{md_text(x['applicant'] or '')} · {md_text(x['title'])} · {md_text(x['department'])} · 联络员 {md_text(x['liaison_name'])}"
            f" · 整改期限 {x['deadline']:%Y-%m-%d}" + (" · 涉及硬件设施，须赴现场检查" if x["hardware"] else "")
        )
        if x.get("requirement"):
            st.text(x["requirement"])
        for c in svc.rectification_checks(actor, x["id"]):
            st.markdown(
                f"- {c['checked_on']:%Y-%m-%d} {md_text('现场检查' if c['site_visit'] else '资料审查')}"
                f"：**{md_text(c['result'])}**　{md_text(c['note'])}"
                + (f"（新期限 {c['new_deadline']:%Y-%m-%d}）" if c["new_deadline"] else "")
                + f" — {c['checked_by']}"
            )
        if actor.has("liaison") and x["liaison_user_id"] == actor.user_id and x["status"] != "已整改":
            check_form(actor, x)


def check_form(actor: Actor, x: dict) -> None:
    from sgld import clock

    with st.form(f"lz_check_{x['id']}", clear_on_submit=False):
        st.markdown("**登记复查**")
        c1, c2, c3 = st.columns(3)
        # no max_value (a later date would be replaced silently): the service refuses it
        checked_on = c1.date_input("复查日期", value=clock.today(), key=f"lz_chk_on_{x['id']}", format="YYYY-MM-DD")
        site = c2.checkbox(
            "赴现场检查", value=bool(x["hardware"]), key=f"lz_chk_site_{x['id']}", help="涉及硬件设施的整改须赴现场检查"
        )
        result = c3.radio("复查结论", svc.CHECK_RESULTS, horizontal=True, key=f"lz_chk_res_{x['id']}")
        note = st.text_area("复查情况（现场检查的，写明现场检查情况）", key=f"lz_chk_note_{x['id']}")
        new_deadline = st.date_input(
            "新的整改期限（未整改时可填）", value=None, key=f"lz_chk_nd_{x['id']}", format="YYYY-MM-DD"
        )
        if st.form_submit_button("保存复查记录", type="primary"):
            with action():
                svc.check_rectification(
                    actor,
                    x["id"],
                    checked_on=checked_on,
                    site_visit=site,
                    result=result,
                    note=note,
                    new_deadline=new_deadline,
                )
                done("复查记录已保存。")


def feedback_tab(actor: Actor) -> None:
    with action():
        frame = tables.feedback_table(svc.department_feedback(actor))
        data_table(frame, key="lz_fb_table", file_name="联络员反馈", hide=["反馈内容"])
        if frame.empty:
            return
        rid = st.selectbox(
            "查看反馈",
            list(frame["编号"]),
            key="lz_fb_pick",
            format_func=lambda i: " · ".join(
                str(v) for v in frame.loc[frame["编号"] == i, ["审查日期", "审查事项", "联络员"]].iloc[0]
            ),
            placeholder="请选择",
        )
        letter_detail(actor, svc.get_letter(actor, int(rid)), "lz_fb")


def statistics_tab(actor: Actor) -> None:
    with action():
        frame = tables.statistics_table(svc.statistics(actor))
        data_table(frame, key="lz_stat_table", file_name="联络员工作统计", search=False)
        if len(frame) > 1:
            long = frame.melt(
                id_vars="部门", value_vars=["收到商请函", "按时派员", "参加审查"], var_name="指标", value_name="数量"
            )
            fig = px.bar(long, x="部门", y="数量", color="指标", barmode="group", height=340)
            fig.update_layout(margin=dict(l=10, r=10, t=30, b=10), legend_title_text="")
            plot_chart(fig, width="stretch")
