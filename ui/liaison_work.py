"""联络员 page, the liaison's own workspace: work discipline, assignments,
review record, report signature, rectifications, feedback to the department."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from sgld import clock
from sgld.security import Actor
from sgld.services import liaison as svc
from ui import liaison_tables as tables
from ui.liaison_common import (
    done,
    enterprise_box,
    form_key,
    letter_download,
    pick,
    renew,
    report_box,
    review_facts,
    state,
)
from ui.widgets import action, data_table, lazy_tabs, md_text

MY_TAB = "lz_my_tab"  # the open inner tab of 我的审查任务
# the 只看 filter of 我的审查任务: the lists the reminders count
TODO_FILTERS = {
    "全部": lambda r: True,
    "待参加/待记录": lambda r: r["recorded_at"] is None,
    "待签字": lambda r: r["todo"] == "待签字",
    "待反馈": lambda r: r["todo"] == "待反馈",
}


def discipline_box(actor: Actor) -> bool:
    """The 工作纪律 on the first assignment; True when acknowledged."""
    status = svc.discipline_status(actor)
    if not status["needed"]:
        return True
    with st.container(border=True):
        st.subheader("联络员工作纪律", anchor=False)
        st.caption("您已被派出参加审查。开始工作前，请阅读并确认遵守以下工作纪律（附件3 五）：")
        for line in status["text"]:
            st.markdown(line)
        st.markdown("**工作职责**")
        for line in status["duties"]:
            st.markdown(line)
        if st.button("我已阅读，承诺遵守工作纪律", type="primary", icon=":material/verified:", key="lz_ack"):
            with action():
                svc.acknowledge_discipline(actor)
                done("已确认联络员工作纪律。")
    return False


def assignments_tab(actor: Actor) -> None:
    acknowledged = discipline_box(actor)
    rows = []
    with action():
        rows = svc.my_assignments(actor)
    if not rows:
        st.info("目前没有派给您的审查任务。")
        return
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("待参加/待记录", sum(1 for r in rows if r["recorded_at"] is None))
    c2.metric("待签字报告", sum(1 for r in rows if r["todo"] == "待签字"))
    c3.metric("待反馈本部门", sum(1 for r in rows if r["todo"] == "待反馈"))
    c4.metric("全部任务", len(rows))
    show = st.segmented_control("只看", list(TODO_FILTERS), default="全部", key="lz_my_todo")
    chosen = [r for r in rows if TODO_FILTERS[show or "全部"](r)]
    if not chosen:
        st.caption(f"没有“{md_text(show)}”的任务，下面列出全部任务。")
    every, rows = rows, chosen or rows
    data_table(tables.assignments_table(rows), key="lz_my_table", file_name="我的审查任务")
    st.divider()
    order = sorted(
        rows,
        key=lambda r: (
            r["todo"] == "",
            r["review_date"] != clock.today(),
            abs((r["review_date"] - clock.today()).days),
        ),
    )
    want = st.query_params.get("request", "")
    if want.isdigit():  # 快速查询 link: that task first, if it is one of the liaison's own
        if any(r["id"] == int(want) for r in rows):
            order.sort(key=lambda r: r["id"] != int(want))
        else:
            st.warning("链接中的审查任务不是派给您的，无法查看。", icon=":material/block:")
    # the label names the task, not its to-do (see liaison_common.pick)
    a = pick(
        "选择审查任务",
        order,
        lambda r: f"{r['review_date']:%Y-%m-%d} · {r['title']}（{r['letter_no']}）",
        key="lz_my_pick",
        pool=every,
    )
    if a is None:
        return
    d = None
    with action():
        d = svc.get_letter(actor, a["id"])
    if d is None:
        return
    st.markdown(f"### {md_text(d['title'])}　{state(d['state'])}")

    def arrangement() -> None:
        review_facts(d)
        enterprise_box(d)
        letter_download(d, f"lz_my_docx_{d['id']}")

    views = {
        "审查安排": arrangement,
        "审查记录": lambda: record_form(actor, d, acknowledged),
        "审查报告与签字": lambda: report_section(actor, d, acknowledged),
        "整改事项": lambda: rect_section(actor, d, acknowledged),
        "反馈本部门": lambda: feedback_form(actor, d, acknowledged),
    }
    lazy_tabs(views, key=MY_TAB)  # the open tab is kept when another task is picked


def _locked_reason(d: dict, acknowledged: bool) -> str | None:
    if not acknowledged:
        return "请先在上方确认联络员工作纪律。"
    if d["review_date"] > clock.today():
        return f"审查定于 {d['review_date']:%Y-%m-%d} 举行，审查当天起可填写。"
    return None


def record_form(actor: Actor, d: dict, acknowledged: bool) -> None:
    why = _locked_reason(d, acknowledged)
    if why:
        st.info(why, icon=":material/schedule:")
        return
    locked = d["feedback_at"] is not None or d["signed_at"] is not None
    if locked:
        st.caption("已签字或已反馈，审查记录不能再修改。")
    k = f"lz_rec_{d['id']}"
    attended = st.radio(
        "是否参加审查",
        ["参加", "未参加"],
        horizontal=True,
        key=f"{k}_att",
        index=0 if d["attended"] in (None, True) else 1,
        disabled=locked,
    )
    with st.form(k):
        if attended == "参加":
            record = st.text_area(
                "审查记录",
                value=d["record_text"] or "",
                height=160,
                key=f"{k}_text",
                placeholder="审查过程、核查内容、发现的问题",
                disabled=locked,
            )
            rec_i = svc.RECOMMENDATIONS.index(d["recommendation"]) if d["recommendation"] else 0
            recommendation = st.radio(
                "对是否通过审查的建议",
                svc.RECOMMENDATIONS,
                index=rec_i,
                horizontal=True,
                key=f"{k}_rec",
                disabled=locked,
            )
            suggestions = st.text_area(
                "意见建议", value=d["suggestions"] or "", height=100, key=f"{k}_sug", disabled=locked
            )
            info = st.text_area(
                "申请人基本情况（为后续监管掌握）",
                value=d["applicant_info"] or "",
                height=100,
                key=f"{k}_info",
                disabled=locked,
            )
            reason = None
        else:
            reason = st.text_area("未参加原因", value=d["absence_reason"] or "", key=f"{k}_reason", disabled=locked)
            record = suggestions = info = recommendation = None
        if st.form_submit_button("保存审查记录", type="primary", icon=":material/save:", disabled=locked):
            with action():
                svc.save_record(
                    actor,
                    d["id"],
                    attended=attended == "参加",
                    record_text=record,
                    suggestions=suggestions,
                    recommendation=recommendation,
                    applicant_info=info,
                    absence_reason=reason,
                )
                done("审查记录已保存。")


def report_section(actor: Actor, d: dict, acknowledged: bool) -> None:
    report_box(d, actor, "lz_my")
    if d["signed_at"] is not None:
        st.success(
            f"您已于 {d['signed_at']:%Y-%m-%d %H:%M} 签字（账号 {md_text(actor.username)}）。"
            f"签字文本摘要 SHA-256：{d['signed_hash'][:16]}…",
            icon=":material/draw:",
        )
        return
    why = _locked_reason(d, acknowledged)
    if why:
        st.info(why, icon=":material/schedule:")
        return
    if not d["attended"]:
        st.info("填写参加审查的审查记录后，可协助整理报告并签字。")
        return
    if not d["report_signatures"]:
        with st.form(f"lz_my_report_{d['id']}"):
            text = st.text_area(
                "协助整理审查情况报告", value=d["report_text"] or "", height=180, key=f"lz_my_report_text_{d['id']}"
            )
            if st.form_submit_button("保存报告修改", icon=":material/edit_note:"):
                with action():
                    svc.save_report(actor, d["review_id"], text)
                    done("审查报告已保存。")
    if d["report_text"]:
        with st.form(f"lz_sign_{d['id']}"):
            sure = st.checkbox("本人参加了本次审查，已核对审查报告内容，确认签字", key=f"lz_sign_ok_{d['id']}")
            if st.form_submit_button("在审查报告上签字", type="primary", icon=":material/draw:"):
                if not sure:
                    st.error("请先勾选确认。")
                else:
                    with action():
                        svc.sign_report(actor, d["id"])
                        done("已在审查报告上签字。")


def rect_section(actor: Actor, d: dict, acknowledged: bool) -> None:
    for x in d["rectifications"]:
        st.markdown(
            f"- {state(x['state'])} **{md_text(x['problem'])}**（期限 {x['deadline']:%Y-%m-%d}"
            f"{md_text('，涉及硬件设施' if x['hardware'] else '')}；复查 {x['checks']} 次）"
        )
    if d["rectifications"]:
        st.caption("复查记录在“整改跟踪”中登记。")
    why = _locked_reason(d, acknowledged)
    if why or not d["attended"]:
        return
    base = f"lz_rect_new_{d['id']}"
    k = form_key(base)  # empty after a save; kept as typed after an error
    with st.form(k):
        st.markdown("**登记整改事项**")
        problem = st.text_area("存在问题", key=f"{k}_p", height=80)
        requirement = st.text_input("整改要求", key=f"{k}_r")
        c1, c2 = st.columns(2)
        deadline = c1.date_input(
            "整改期限",
            value=clock.today() + timedelta(days=15),
            min_value=clock.today(),
            key=f"{k}_d",
            format="YYYY-MM-DD",
        )
        hardware = c2.checkbox("涉及硬件设施（复查须赴现场）", key=f"{k}_h")
        if st.form_submit_button("登记整改事项", icon=":material/add_task:"):
            with action():
                svc.add_rectification(
                    actor, d["id"], problem=problem, requirement=requirement, deadline=deadline, hardware=hardware
                )
                renew(base)
                done("整改事项已登记。")


def feedback_form(actor: Actor, d: dict, acknowledged: bool) -> None:
    if d["feedback_at"] is not None:
        st.success(
            f"已于 {d['feedback_at']:%Y-%m-%d %H:%M} 报送本部门（{md_text(d['department'])}）。",
            icon=":material/forward_to_inbox:",
        )
        st.text(d["feedback_text"])
        return
    why = _locked_reason(d, acknowledged)
    if why:
        st.info(why, icon=":material/schedule:")
        return
    if d["recorded_at"] is None:
        st.info("请先填写审查记录。")
        return
    st.caption(
        "实地审查活动结束时，将收集的审查信息及时报所在监管部门（附件3 四(四)）。"
        "审查记录、意见建议、申请人基本情况和整改事项随反馈一并报送。"
    )
    default = (
        "审查已结束。"
        + (f"建议：{d['recommendation']}。" if d["recommendation"] else "")
        + (f"提出整改事项 {len(d['rectifications'])} 项，将按期督促复查。" if d["rectifications"] else "")
        + "申请人基本情况已记录，请纳入后续日常监管。"
    )
    with st.form(f"lz_fb_{d['id']}"):
        text = st.text_area("反馈内容", value=default, height=120, key=f"lz_fb_text_{d['id']}")
        if st.form_submit_button("报送本部门", type="primary", icon=":material/forward_to_inbox:"):
            with action():
                svc.submit_feedback(actor, d["id"], text)
                done("审查信息已报送本部门。")
