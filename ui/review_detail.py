"""专项审查: one review — its record, documents and the actions the user may take."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sgld import clock
from sgld.errors import SgldError
from sgld.services import special_review as sr
from ui import review_forms
from ui.review_list import FLASH
from ui.widgets import badge, clear_messages, md_text, reset_selections, show_table

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOT_STATED = "未发表不同意见"


def _run(fn, message) -> None:
    """Call one service function; on success remember the message and rerun."""
    try:
        result = fn()
    except SgldError as exc:
        clear_messages()
        st.error(md_text(str(exc)), icon=":material/error:")
        return
    st.session_state[FLASH] = message(result) if callable(message) else message
    reset_selections()
    st.rerun()


def render(actor, review_id: int) -> None:
    try:
        r = sr.get_review(actor, review_id)
    except SgldError as exc:
        st.warning(md_text(str(exc)))
        return
    with st.container(border=True):
        head = st.columns([5, 1])
        head[0].subheader(f"{md_text(r['review_no'])}　{md_text(r['title'])}")
        with head[1]:
            badge(r["status"])
        _facts(r)
        _departments(r)
        _outcome(r)
        _documents(actor, r)
        _follow_ups(r)
    _actions(actor, r)


def _facts(r: dict) -> None:
    c = st.columns(4)
    c[0].markdown(f"**会议时间**  \n{r['meeting_at']:%Y-%m-%d %H:%M}")
    c[1].markdown(f"**会议地点**  \n{md_text(r['place'])}")
    c[2].markdown(f"**发起处室**  \n{md_text(r['division'])}（{md_text(r['proposed_by_name'])}）")
    c[3].markdown(f"**主持**  \n{md_text(r['chair_level'])}" + ("  \n特别重大、复杂" if r["major"] else ""))
    c = st.columns(4)
    c[0].markdown(f"**审查范围**  \n{md_text('、'.join(r['scopes']))}")
    c[1].markdown(f"**审查形式**  \n{md_text('、'.join(r['forms']))}")
    c[2].markdown(f"**项目**  \n{md_text(r['project_no'] or '—')}  \n{md_text(r['project_name'] or '')}")
    c[3].markdown(f"**办件编号**  \n{md_text(r['case_no'] or '—')}")
    if r["invited_units"]:
        st.markdown(f"**特邀参加**：{md_text(r['invited_units'])}")
    with st.expander("需要协调解决的事项与项目情况", expanded=r["status"] in (sr.S_PENDING, sr.S_NOTIFIED)):
        st.markdown("**需要协调解决的事项**")
        st.text(r["matters"])
        if r["background"]:
            st.markdown("**项目基本情况**")
            st.text(r["background"])
    if r["approval_comment"]:
        who = r["approved_by_name"] or ""
        label = {sr.S_RETURNED: "退回意见", sr.S_WITHDRAWN: "撤回说明"}.get(r["status"], "审察意见")
        st.markdown(f"**{label}**（{md_text(who)}）：{md_text(r['approval_comment'])}")


def _departments(r: dict) -> None:
    st.markdown("**参审部门**")
    rows = [
        {
            "部门": d["name"],
            "参会人员": d["attendees"] or ("待回复" if r["status"] == sr.S_NOTIFIED else ""),
            "出席情况": d["attendance"] or "",
            "缺席理由": d["absence_reason"] or "",
            "意见": d["opinion_label"] if d["opinion"] else "",
            "意见形式": d["basis"] or "",
        }
        for d in r["departments"]
    ]
    show_table(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("依据专项审查制度：" + sr.DEEMED_RULE)
    if r["presentation"]:
        with st.expander("会议记录", expanded=False):
            st.markdown(f"**召开日期**：{r['held_on']:%Y-%m-%d}　**主持人**：{md_text(r['chair'])}")
            st.markdown("**经办人情况说明**")
            st.text(r["presentation"])
            if r["expert_opinions"]:
                st.markdown("**专家评审意见**")
                st.text(r["expert_opinions"])
            if r["site_findings"]:
                st.markdown("**现场检查情况**")
                st.text(r["site_findings"])


def _outcome(r: dict) -> None:
    ev = r["evaluation"]
    if ev:
        if ev["unrecorded"]:
            st.warning(f"{md_text('、'.join(ev['unrecorded']))}的出席情况尚未录入。")
        if ev["missing"]:
            st.warning(
                f"{md_text('、'.join(ev['missing']))}有理由缺席，尚未提交书面意见；提交前不能形成审查结论。",
                icon=":material/hourglass_top:",
            )
        if ev["deemed"]:
            st.info("形成结论时将记录为视为同意：" + "；".join(f"{n}（{why}）" for n, why in ev["deemed"]))
        if ev["outcome"] == sr.OUTCOME_ESCALATED:
            st.warning(f"{md_text('、'.join(ev['dissent']))}不同意，未能达成一致：形成建议后报市政府决定。")
        elif ev["outcome"] == sr.OUTCOME_AGREED:
            st.success("各参审部门意见一致（含视为同意），可以形成审查意见。")
    if r["outcome"]:
        label = "审查意见（达成一致）" if r["outcome"] == sr.OUTCOME_AGREED else "提请市政府决定的建议"
        st.markdown(f"**{label}**")
        st.text(r["conclusion"])
    if r["gov_decision"]:
        st.markdown(f"**市政府决定**（{r['gov_decided_on']:%Y-%m-%d}）：{md_text(r['gov_decision'])}")
        st.text(r["gov_decision_text"])


def _documents(actor, r: dict) -> None:
    if not ({"notice", "minutes"} & r["actions"]):
        return
    c = st.columns(3)
    rid = r["id"]
    # documents are produced only when the button is clicked (deferred data)
    if "notice" in r["actions"]:
        c[0].download_button(
            "下载审查通知",
            lambda: sr.notice_docx(actor, rid)[1],
            file_name=r["notice_file"],
            mime=DOCX,
            on_click="ignore",
            key=f"review_notice_{r['id']}",
            icon=":material/description:",
            width="stretch",
        )
    if "minutes" in r["actions"]:
        c[1].download_button(
            f"下载纪要 {md_text(r['minutes_no'])}",
            lambda: sr.minutes_docx(actor, rid)[1],
            on_click="ignore",
            file_name=r["minutes_file"],
            mime=DOCX,
            key=f"review_minutes_{r['id']}",
            icon=":material/download:",
            type="primary",
            width="stretch",
        )
        c[2].caption(
            f"纪要已于 {r['minutes_issued_at']:%Y-%m-%d %H:%M} 印发给市行政审批局和各参审部门，"
            "作为审批与监管的依据之一。"
        )


def _follow_ups(r: dict) -> None:
    """附件2 五: who has and who has not yet carried out the decision."""
    rows = r.get("follow_ups") or []
    if not rows:
        return
    done = sum(1 for f in rows if f["done"])
    st.markdown(f"**落实会议决定**（已落实 {done} / {len(rows)}）")
    st.caption("市行政审批局和各行业主管部门要认真落实会议决定，分别办理有关审批手续和做好监管工作。")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "部门": f["name"],
                    "落实事项": f["kind"],
                    "状态": "已落实" if f["done"] else "未落实",
                    "落实情况": f["text"] or "",
                    "落实日期": f"{f['done_on']:%Y-%m-%d}" if f["done_on"] else "",
                    "登记人": f["recorded_by_name"] or "",
                }
                for f in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"落实情况": st.column_config.TextColumn(width="large")},
    )
    missing = [f["name"] for f in rows if not f["done"]]
    if missing:
        st.warning(f"尚未登记落实情况：{md_text('、'.join(missing))}。", icon=":material/pending_actions:")


# -- actions --------------------------------------------------------------
def _actions(actor, r: dict) -> None:
    a = r["actions"]
    rid = r["id"]
    if {"approve", "send_back"} <= a:
        with st.form(f"review_approve_{rid}"):
            st.markdown("##### 分管领导审察")
            comment = st.text_area("审察意见", placeholder="同意时可不填；退回时须写明退回意见")
            c = st.columns(2)
            ok = c[0].form_submit_button("同意，发出通知", type="primary", width="stretch")
            back = c[1].form_submit_button("退回修改", width="stretch")
        if ok:
            _run(lambda: sr.approve(actor, rid, comment), "已审察同意，专项审查通知已发送给各参审部门。")
        if back:
            _run(lambda: sr.send_back(actor, rid, comment), "动议已退回经办处室。")
    if "resubmit" in a:
        with st.expander("修改动议并重新提交", expanded=True, icon=":material/edit:"):
            review_forms.motion_form(actor, r)
    if "withdraw" in a:
        with st.expander("撤回动议", icon=":material/undo:"):
            with st.form(f"review_withdraw_{rid}"):
                reason = st.text_input("撤回原因")
                go = st.form_submit_button("撤回")
            if go:
                _run(lambda: sr.withdraw(actor, rid, reason), "动议已撤回。")
    if "name_attendees" in a:
        _attendees_form(actor, r)
    if "submit_opinion" in a:
        _opinion_form(actor, r)
    if "record_meeting" in a:
        _meeting_form(actor, r)
    if "conclude" in a:
        _conclude_form(actor, r)
    if "record_decision" in a:
        _decision_form(actor, r)
    if "follow_up" in a:
        _follow_up_form(actor, r)
    if "issue_minutes" in a:
        with st.form(f"review_minutes_form_{rid}"):
            st.markdown("##### 印发纪要")
            st.caption("生成会议纪要（.docx，公文格式），印发给市行政审批局和各参审部门。")
            go = st.form_submit_button("生成并印发纪要", type="primary")
        if go:
            _run(lambda: sr.issue_minutes(actor, rid), lambda no: f"纪要 {no} 已印发。")


def _own(actor, r: dict) -> dict:
    return next(d for d in r["departments"] if d["department_id"] == actor.department_id)


def _attendees_form(actor, r: dict) -> None:
    own = _own(actor, r)
    with st.form(f"review_attendees_{r['id']}"):
        st.markdown(f"##### 回复通知：{md_text(actor.department_name)}参会人员")
        names = st.text_input(
            "参会人员（姓名、职务）", value=own["attendees"] or "", placeholder="例如：张三 副局长、李四 科长"
        )
        st.caption("参加专项审查的人员要能够代表本部门意见。")
        go = st.form_submit_button("确认参会人员", type="primary")
    if go:
        _run(lambda: sr.name_attendees(actor, r["id"], names), "已确认本部门参会人员。")


def _opinion_form(actor, r: dict) -> None:
    own = _own(actor, r)
    with st.form(f"review_opinion_{r['id']}"):
        st.markdown(f"##### {md_text(actor.department_name)}书面意见")
        if r["status"] == sr.S_HELD:
            st.caption("本部门有理由缺席会议，须提交书面意见后才能形成审查结论。")
        else:
            st.caption("可在会前提交本部门的书面意见；出席会议时发表的意见以会议记录为准。")
        index = (
            sr.OPINIONS.index(own["opinion"]) if own["opinion"] in sr.OPINIONS and own["basis"] == sr.B_WRITTEN else 0
        )
        opinion = st.radio("本部门意见", sr.OPINIONS, index=index, horizontal=True)
        text = st.text_area(
            "理由、条件或说明", value=own["opinion_text"] or "", placeholder="不同意须写明理由；有条件同意须写明条件"
        )
        go = st.form_submit_button("提交本部门意见", type="primary")
    if go:
        _run(lambda: sr.submit_opinion(actor, r["id"], opinion, text), "本部门意见已提交。")


def _meeting_form(actor, r: dict) -> None:
    rid = r["id"]
    held = r["status"] == sr.S_HELD
    with st.expander("修改会议记录" if held else "录入审查会议情况", expanded=not held, icon=":material/edit_note:"):
        with st.form(f"review_meeting_{rid}"):
            c = st.columns([1, 1, 2])
            # no max_value: the browser would replace a later date silently;
            # the service refuses a meeting that has not begun, with a message
            held_on = c[0].date_input("会议召开日期", value=r["held_on"] or r["meeting_at"].date(), format="YYYY-MM-DD")
            start = c[1].time_input("会议开始时间", value=r["meeting_at"].time(), step=900)
            chair = c[2].text_input(
                "主持人",
                value=r["chair"] or "",
                placeholder="实际主持人的职务和姓名，如：市行政审批局分管领导张三",
                help=f"会议安排：{r['chair_level']}。纪要写明实际主持会议的人员。",
            )
            presentation = st.text_area(
                "经办人情况说明", value=r["presentation"] or "", placeholder="经办人说明项目审批相关情况"
            )
            expert = site = None
            if "专家评审" in r["forms"]:
                expert = st.text_area("专家评审意见", value=r["expert_opinions"] or "")
            if "现场检查" in r["forms"]:
                site = st.text_area("现场检查情况", value=r["site_findings"] or "")
            st.markdown("**各参审部门出席情况与意见**")
            st.caption(
                "出席会议未发表不同意见、或无故缺席的部门，形成结论时记录为“视为同意”；有理由缺席的部门须提交书面意见。"
            )
            entries = {}
            for d in r["departments"]:
                did = d["department_id"]
                st.markdown(
                    f"**{md_text(d['name'])}**"
                    + (f"　（书面意见：{md_text(d['opinion_label'])}）" if d["basis"] == sr.B_WRITTEN else "")
                )
                c = st.columns([1.2, 1.6, 1.6, 1.2, 2])
                att = c[0].selectbox(
                    "出席情况",
                    sr.ATTENDANCE,
                    key=f"rm_att_{rid}_{did}",
                    index=sr.ATTENDANCE.index(d["attendance"]) if d["attendance"] in sr.ATTENDANCE else 0,
                    placeholder="请选择",
                )
                people = c[1].text_input("出席人员", value=d["attendees"] or "", key=f"rm_people_{rid}_{did}")
                reason = c[2].text_input("缺席理由", value=d["absence_reason"] or "", key=f"rm_reason_{rid}_{did}")
                stated = d["opinion"] if d["basis"] == sr.B_MEETING else NOT_STATED
                opts = [NOT_STATED, *sr.OPINIONS]
                op = c[3].selectbox(
                    "会上意见", opts, index=opts.index(stated), key=f"rm_op_{rid}_{did}", placeholder="请选择"
                )
                op_text = c[4].text_input(
                    "理由或条件",
                    key=f"rm_optext_{rid}_{did}",
                    value=(d["opinion_text"] or "") if d["basis"] == sr.B_MEETING else "",
                )
                entries[did] = {
                    "attendance": att,
                    "attendees": people,
                    "absence_reason": reason,
                    "opinion": None if op == NOT_STATED else op,
                    "opinion_text": op_text,
                }
            go = st.form_submit_button("保存会议记录", type="primary")
        if go:
            _run(
                lambda: sr.record_meeting(
                    actor,
                    rid,
                    held_on=held_on,
                    start_time=start,
                    chair=chair,
                    presentation=presentation,
                    departments=entries,
                    expert_opinions=expert,
                    site_findings=site,
                ),
                "会议情况已记录。",
            )


def _follow_up_form(actor, r: dict) -> None:
    own = next((f for f in r["follow_ups"] if f["department_id"] == r["follow_up_party"]), None)
    if own is None:
        return
    with st.form(f"review_follow_up_{r['id']}"):
        st.markdown(f"##### 落实会议决定：{md_text(own['name'])}{md_text(own['kind'])}")
        if own["done"]:
            st.caption(
                f"已于 {own['recorded_at']:%Y-%m-%d %H:%M} 登记（{md_text(own['recorded_by_name'] or '')}），"
                "如有新的进展可更新。"
            )
        else:
            st.caption("按纪要落实后，登记本部门办理的情况（如审批手续办理结果、纳入监管的措施）。")
        c = st.columns([3, 1])
        text = c[0].text_area(
            "落实情况",
            value=own["text"] or "",
            placeholder="例如：已于 12 月 5 日核发许可证；已将该项目纳入重点监管名单，每季度现场检查一次。",
        )
        on = c[1].date_input("落实日期", value=own["done_on"] or clock.today(), format="YYYY-MM-DD")
        go = st.form_submit_button("更新落实情况" if own["done"] else "登记落实情况", type="primary")
    if go:
        _run(lambda: sr.record_follow_up(actor, r["id"], text, on), "落实情况已登记。")


def _conclude_form(actor, r: dict) -> None:
    ev = r["evaluation"] or {}
    escalate = ev.get("outcome") == sr.OUTCOME_ESCALATED
    with st.form(f"review_conclude_{r['id']}"):
        st.markdown("##### " + ("形成建议，报市政府决定" if escalate else "形成审查意见"))
        text = st.text_area(
            "提请市政府决定的建议" if escalate else "审查意见（各部门一致意见）",
            placeholder="写明审查结论；有条件同意的，写明附加条件",
        )
        go = st.form_submit_button("提请市政府决定" if escalate else "形成审查结论", type="primary")
    if go:
        _run(
            lambda: sr.conclude(actor, r["id"], text),
            lambda o: "已达成一致，请印发纪要。" if o == sr.OUTCOME_AGREED else "未达成一致，已形成建议报市政府决定。",
        )


def _decision_form(actor, r: dict) -> None:
    with st.form(f"review_decision_{r['id']}"):
        st.markdown("##### 录入市政府决定")
        c = st.columns(2)
        decision = c[0].radio("市政府决定", sr.GOV_DECISIONS, horizontal=True)
        on = c[1].date_input("决定日期", value=clock.today(), format="YYYY-MM-DD")  # later: refused with a message
        text = st.text_area("决定内容")
        go = st.form_submit_button("保存市政府决定", type="primary")
    if go:
        _run(
            lambda: sr.record_government_decision(actor, r["id"], decision, text, on), "市政府决定已记录，请印发纪要。"
        )
