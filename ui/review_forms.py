"""专项审查: the motion form (new motion, or edit-and-resubmit of a returned one)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from sgld import clock
from sgld.errors import SgldError
from sgld.services import special_review as sr
from ui.widgets import md_text


def motion_form(actor, review: dict | None = None) -> None:
    """``review`` None: a new motion (动议); otherwise resubmit that returned one."""
    r = review or {}
    key = f"review_motion_{r.get('id', 'new')}"
    depts = sr.participant_options(actor)
    names = {d["id"]: d["name"] for d in depts}
    default_day = clock.today() + timedelta(days=7)
    if review is None:
        st.markdown("##### 确定专项审查动议")
        st.caption(
            "对涉及国家安全、生态环境保护、安全生产，以及重大生产力布局、战略性资源开发和重大公共利益"
            "等重大项目，梳理后确定专项审查议程，提交分管领导审察。"
        )
    picked_project, picked_case, picked_name = _subject_picker(actor, key, r)
    with st.form(key, clear_on_submit=False):
        title = st.text_input(
            "审查议题", value=r.get("title", ""), placeholder="例如：某某公司危险化学品仓储扩建项目专项审查"
        )
        c = st.columns(3)
        project_no = c[0].text_input("项目编号", value=picked_project or r.get("project_no") or "")
        case_no = c[1].text_input(
            "办件编号",
            value=picked_case or r.get("case_no") or "",
            help="填写审批办件编号时，项目编号可不填，系统按办件关联项目。",
        )
        project_name = c[2].text_input(
            "项目名称", value=picked_name or r.get("project_name") or "", help="项目库中已有的项目，以项目库名称为准。"
        )
        c = st.columns(2)
        scopes = c[0].multiselect(
            "审查范围", sr.SCOPES, default=r.get("scopes", []), placeholder="可多选", select_all=False
        )
        forms = c[1].multiselect(
            "审查形式",
            sr.FORMS,
            default=r.get("forms", [sr.DEFAULT_FORM]),
            help="以专题会议为主，必要时可组织专家评审、现场检查。",
            placeholder="请选择（可多选）",
            select_all=False,
        )
        chosen = [d["department_id"] for d in r.get("departments", [])]
        dept_ids = st.multiselect(
            "参审部门",
            list(names),
            default=chosen,
            format_func=lambda i: names[i],
            placeholder="选择行业主管（监管）部门",
            select_all=False,
        )
        c = st.columns([1, 1, 2])
        m = r.get("meeting_at")
        day = c[0].date_input(
            "会议日期", value=m.date() if m else default_day, min_value=clock.today(), format="YYYY-MM-DD"
        )
        at = c[1].time_input("会议时间", value=m.time() if m else time(9, 0), step=1800)
        place = c[2].text_input("会议地点", value=r.get("place", "市行政审批局第一会议室"))
        background = st.text_area("项目基本情况", value=r.get("background") or "")
        matters = st.text_area(
            "需要协调解决的事项", value=r.get("matters", ""), placeholder="逐条列明需要参审部门协调解决的困难和问题"
        )
        c = st.columns([1, 1, 2])
        major = c[0].checkbox("特别重大、复杂的项目", value=bool(r.get("major")))
        city_chair = c[1].checkbox("报请市政府分管领导主持", value=bool(r.get("city_chair")))
        invited = c[2].text_input(
            "邀请相关单位负责人参加", value=r.get("invited_units") or "", help="仅特别重大、复杂的项目"
        )
        label = "提交分管领导审察" if review is None else "修改后重新提交审察"
        go = st.form_submit_button(label, type="primary", icon=":material/send:")
    if not go:
        return
    fields = dict(
        title=title,
        scopes=scopes,
        forms=forms,
        department_ids=dept_ids,
        meeting_at=datetime.combine(day, at),
        place=place,
        matters=matters,
        background=background,
        case_no=case_no,
        project_no=project_no,
        project_name=project_name,
        major=major,
        city_chair=city_chair,
        invited_units=invited,
    )
    from ui.review_list import open_review

    try:
        if review is None:
            rid = sr.propose(actor, **fields)
        else:
            sr.resubmit(actor, r["id"], **fields)
            rid = r["id"]
    except SgldError as exc:
        st.error(md_text(str(exc)), icon=":material/error:")
        return
    open_review(rid, "动议已提交分管领导审察。" if review is None else "动议已修改并重新提交审察。")
    st.rerun()


def _subject_picker(actor, key: str, r: dict) -> tuple[str | None, str | None, str | None]:
    """Find the project (and optionally the case) in the project library; the
    choice fills the form's 项目编号 / 办件编号."""
    with st.container(border=True):
        c = st.columns([2, 3, 3])
        q = c[0].text_input("查找项目", key=f"{key}_pq", placeholder="项目编号、名称或企业")
        projects = sr.search_projects(actor, q)
        names = {p["project_no"]: p["name"] for p in projects}
        labels = {
            p["project_no"]: f"{p['project_no']}　{p['name']}" + (f"（{p['enterprise']}）" if p["enterprise"] else "")
            for p in projects
        }
        project = c[1].selectbox(
            "项目库中的项目",
            list(labels),
            index=None,
            key=f"{key}_pp",
            placeholder="（不选，手工填写）",
            format_func=lambda k: labels.get(k, k),
        )
        case = None
        if project:
            cases = {x["case_no"]: f"{x['case_no']}　{x['item'] or ''}" for x in sr.project_cases(actor, project)}
            case = c[2].selectbox(
                "关联办件（可选）",
                list(cases),
                index=None,
                key=f"{key}_pc",
                placeholder="（不关联具体办件）",
                format_func=lambda k: cases.get(k, k),
            )
        else:
            c[2].caption("选择项目后可选择该项目的审批办件。")
    return project, case, names.get(project)
