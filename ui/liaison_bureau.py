"""联络员 page, bureau side: the approver records the review and sends the
request letters (at least one day ahead), follows the answers, drafts the
review report; leaders and admins read the overview."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from sgld import clock
from sgld.security import Actor
from sgld.services import liaison as svc
from ui import liaison_tables as tables
from ui.liaison_common import PICK_LIMIT, done, form_key, letter_detail, letter_label, pick, renew
from ui.widgets import action, data_table

FILTERS = ["全部", "待派员", "逾期未派员", "已派员", "已撤回"]


def letters_tab(actor: Actor) -> None:
    if actor.has("approver"):
        with st.expander(
            "新建审查并发出商请函", icon=":material/outgoing_mail:", expanded=st.session_state.get("lz_new_open", False)
        ):
            new_review_form(actor)
    letters = None
    with action():
        letters = svc.letters_overview(actor)
    if letters is None:
        return
    today = clock.today()
    state = letters["state"]
    waiting = state == "待派员"
    dispatched = letters["status"] == "已派员"
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("未答复商请函", int(waiting.sum()))
    c2.metric("明天（或今天）审查未答复", int((waiting & (letters["review_date"] <= today + timedelta(days=1))).sum()))
    c3.metric("逾期未派员", int((state == "逾期未派员").sum()))
    c4.metric("已派员", int(dispatched.sum()))
    choice = st.segmented_control("状态", FILTERS, default="全部", key="lz_bur_filter")
    if choice in (None, "全部"):
        shown = letters
    else:
        shown = letters[dispatched if choice == "已派员" else state == choice]
    frame, _ = data_table(tables.letters_table(shown), key="lz_bur_letters", file_name="商请函")
    st.divider()
    # the drop-down needs rows only for what it lists, and the open letter
    offered = shown[shown["id"].isin(frame["编号"])]
    current = st.session_state.get("lz_bur_pick")
    kept = letters[letters["id"] == current] if current is not None else letters.iloc[:0]
    d = pick(
        "选择商请函",
        _records(offered.head(PICK_LIMIT)),
        letter_label,
        key="lz_bur_pick",
        pool=_records(kept),
        total=len(offered),
    )
    if d is None:
        return
    detail = None
    with action():
        detail = svc.get_letter(actor, d["id"])
    if detail is None:
        return
    letter_detail(actor, detail, "lz_bur")
    if actor.has("approver"):
        approver_actions(actor, detail)


def _records(frame) -> list[dict]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in frame.to_dict("records")]


def approver_actions(actor: Actor, d: dict) -> None:
    today = clock.today()
    if d["status"] == "待派员":
        with st.form(f"lz_withdraw_{d['id']}"):
            reason = st.text_input("撤回原因", key=f"lz_withdraw_reason_{d['id']}")
            if st.form_submit_button("撤回商请函", icon=":material/undo:"):
                with action():
                    svc.withdraw_letter(actor, d["id"], reason)
                    done(f"商请函 {d['letter_no']} 已撤回。")
    if not d["report_signatures"]:
        with st.form(f"lz_report_{d['review_id']}"):
            text = st.text_area(
                "审查情况报告（联络员签字前可修改）",
                value=d.get("report_text") or "",
                height=180,
                key=f"lz_report_text_{d['review_id']}",
            )
            if st.form_submit_button("保存审查报告", icon=":material/save:"):
                with action():
                    svc.save_report(actor, d["review_id"], text)
                    done("审查报告已保存。")
    if d["review_date"] > today:
        depts = svc.supervision_departments(actor)
        with st.form(f"lz_more_{d['review_id']}"):
            dep = st.selectbox(
                "再向其他监管部门发函",
                [x["id"] for x in depts],
                format_func={x["id"]: x["name"] for x in depts}.get,
                key=f"lz_more_dep_{d['review_id']}",
                placeholder="请选择",
            )
            if st.form_submit_button("发出商请函", icon=":material/send:"):
                with action():
                    svc.send_letter(actor, d["review_id"], dep)
                    done("商请函已发出。")


def new_review_form(actor: Actor) -> None:
    today = clock.today()
    st.caption(
        f"商请函须至少提前一天发出：今天（{today:%Y-%m-%d}）只能为 "
        f"{today + timedelta(days=1):%Y-%m-%d} 及以后的审查发函。"
    )
    srs = []
    with action():
        srs = svc.special_reviews_for_letters(actor)
    src = None
    if srs:
        labels = {r["id"]: f"{r['review_no']} · {r['title']} · {r['meeting_date']:%Y-%m-%d}" for r in srs}
        labels = {0: "（不依据专项审查：联合审查 / 现场审查）"} | labels
        src = st.selectbox(
            "依据已审察同意的专项审查（可选）",
            list(labels),
            format_func=labels.get,
            key="lz_new_src",
            placeholder="请选择",
        )
    facts: dict = {}
    if src:
        with action():
            facts = svc.special_review_facts(actor, src)
    depts = svc.supervision_departments(actor)
    dept_names = {x["id"]: x["name"] for x in depts}
    key = form_key(f"lz_new_{src or 'manual'}")
    with st.form(key):
        c1, c2, c3 = st.columns(3)
        kinds = ["专项审查"] if facts else ["现场审查", "联合审查", "专项审查"]
        kind = c1.selectbox("审查类型", kinds, key=f"{key}_kind", placeholder="请选择")
        rdate = c2.date_input(
            "审查日期",
            value=facts.get("review_date") or today + timedelta(days=1),
            key=f"{key}_date",
            format="YYYY-MM-DD",
        )
        case_no = c3.text_input("办件编号", value=facts.get("case_no") or "", key=f"{key}_case")
        title = st.text_input(
            "审查事项",
            value=facts.get("title", ""),
            key=f"{key}_title",
            placeholder="如：南通某某食品有限公司食品生产许可现场审查",
        )
        c1, c2 = st.columns(2)
        uscc = c1.text_input("申请人统一社会信用代码（可选）", key=f"{key}_uscc")
        applicant = c2.text_input("申请人名称（新企业必填）", key=f"{key}_app")
        place = st.text_input("审查地点", value=facts.get("place", ""), key=f"{key}_place")
        purpose = st.text_area("审查目的", value=facts.get("purpose", ""), key=f"{key}_purpose", height=80)
        basis = st.text_area("审查依据", value=facts.get("basis", ""), key=f"{key}_basis", height=80)
        scope = st.text_area("审查范围", value=facts.get("scope", ""), key=f"{key}_scope", height=80)
        content = st.text_area("主要内容", value=facts.get("content", ""), key=f"{key}_content", height=100)
        schedule = st.text_area("日程安排", value=facts.get("schedule", ""), key=f"{key}_schedule", height=80)
        c1, c2 = st.columns([3, 1])
        chosen = c1.multiselect(
            "商请派员的监管部门",
            list(dept_names),
            format_func=dept_names.get,
            default=[d for d in facts.get("department_ids", []) if d in dept_names],
            key=f"{key}_depts",
            placeholder="请选择（可多选）",
            select_all=False,
        )
        phone = c2.text_input("联系电话", key=f"{key}_phone")
        if st.form_submit_button("保存并发出商请函", type="primary", icon=":material/send:"):
            st.session_state["lz_new_open"] = True
            with action():
                svc.create_review(
                    actor,
                    kind=kind,
                    title=title,
                    review_date=rdate,
                    place=place,
                    purpose=purpose,
                    basis=basis,
                    scope=scope,
                    content=content,
                    schedule=schedule,
                    case_no=case_no or None,
                    applicant_uscc=uscc or None,
                    applicant_name=applicant or None,
                    special_review_id=facts.get("special_review_id"),
                    contact_phone=phone or None,
                    department_ids=chosen,
                )
                st.session_state["lz_new_open"] = False
                renew(f"lz_new_{src or 'manual'}")
                done(f"商请函已发往：{'、'.join(dept_names[d] for d in chosen)}。")


def reviews_tab(actor: Actor) -> None:
    with action():
        data_table(tables.reviews_table(svc.list_reviews(actor)), key="lz_reviews", file_name="联络员参与的审查")
