"""专项审查: reminders, filters, the list / agenda, and which review is open."""

from __future__ import annotations

import time
from datetime import timedelta

import pandas as pd
import streamlit as st

from sgld import clock
from sgld.services import special_review as sr
from ui.widgets import data_table, md_text

FLASH = "review_flash"
FLASH_SECONDS = 6
PICK = "review_pick"
PICK_NEXT = "review_pick_next"  # set after the selectbox ran; applied on the next run
TAB = "review_tab"
TAB_NEXT = "review_tab_next"
ALL = "全部"
PERIODS = ["全部", "即将召开", "本周", "本月", "已过会议日期"]
# the columns of sr.list_frame as the table (and its .xlsx) shows them; id kept for selection
LIST_HEADERS = {
    "review_no": "编号",
    "title": "审查议题",
    "status": "状态",
    "meeting_at": "会议时间",
    "place": "地点",
    "scopes": "审查范围",
    "forms": "审查形式",
    "departments": "参审部门",
    "division": "发起处室",
    "project_no": "项目编号",
    "project_name": "项目名称",
    "case_no": "办件编号",
    "outcome": "审查结论",
    "minutes_no": "纪要编号",
    "replies": "通知回复",
    "follow_ups": "落实情况",
    "own_attendees": "本部门参会人员",
    "own_opinion": "本部门意见",
}


def list_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame of ``sr.list_frame`` with the table's Chinese headers."""
    return frame.rename(columns=LIST_HEADERS)


def flash() -> None:
    """The message of the last successful action.  Shown for a few seconds so
    that an immediate extra rerun (e.g. the login cookie's) does not hide it."""
    msg = st.session_state.get(FLASH)
    if not msg:
        return
    if isinstance(msg, str):  # set by an action: stamp it on first display
        msg = st.session_state[FLASH] = (msg, time.monotonic())
    text, shown_at = msg
    if time.monotonic() - shown_at > FLASH_SECONDS:
        st.session_state.pop(FLASH, None)
        return
    st.success(text, icon=":material/check_circle:")


def open_review(review_id: int, message: str | None = None) -> None:
    """Open a review in the detail panel (after creating it, for example)."""
    st.session_state[PICK_NEXT] = review_id
    st.session_state[TAB_NEXT] = "审查一览"
    if message:
        st.session_state[FLASH] = message


def apply_next_tab() -> None:
    """Switch tabs as an action asked (before the tabs are drawn)."""
    if TAB_NEXT in st.session_state:
        st.session_state[TAB] = st.session_state.pop(TAB_NEXT)


def _period(choice: str) -> dict:
    today = clock.today()
    if choice == "即将召开":
        return {"date_from": today}
    if choice == "本周":
        start = today - timedelta(days=today.weekday())
        return {"date_from": start, "date_to": start + timedelta(days=6)}
    if choice == "本月":
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return {"date_from": start, "date_to": end}
    if choice == "已过会议日期":
        return {"date_to": today - timedelta(days=1)}
    return {}


def render(actor) -> int | None:
    """Filters and the list; returns the id of the review to show, or None."""
    if PICK_NEXT in st.session_state:
        st.session_state[PICK] = st.session_state.pop(PICK_NEXT)
    reminder_specs = sr.reminder_lists(actor)
    todo = {}
    for kind, spec in reminder_specs.items():
        ids = sr.reminder_ids(actor, spec)
        if ids:
            todo[kind] = (f"{spec['label']}（{len(ids)}）", ids)
    picked_todo = None
    if todo:
        picked_todo = st.pills(
            "处理提醒",
            list(todo),
            key="review_todo",
            format_func=lambda k: todo[k][0] if k in todo else str(k),
            help="点击只看这一类待办的专项审查；再次点击取消。",
        )

    c = st.columns([2, 1, 1, 1, 1, 1])
    text = c[0].text_input("快速查询", key="review_q", placeholder="编号、议题、项目编号、办件编号")
    status = c[1].selectbox("状态", [ALL, *sr.STATUSES], key="review_status", placeholder="请选择")
    scope = c[2].selectbox("审查范围", [ALL, *sr.SCOPES], key="review_scope", placeholder="请选择")
    form = c[3].selectbox("审查形式", [ALL, *sr.FORMS], key="review_form", placeholder="请选择")
    dept_id = None
    if not sr.department_scoped(actor):
        depts = sr.participant_options(actor)
        names = {d["id"]: d["name"] for d in depts}
        # a None value (e.g. set by a reminder link) shows the placeholder: 全部, not English
        dept_id = c[4].selectbox(
            "参审部门",
            [None, *names],
            key="review_dept",
            placeholder=ALL,
            format_func=lambda i: ALL if i is None else names[i],
        )
    else:
        c[4].text_input("参审部门", value=actor.department_name, disabled=True)
    period = c[5].selectbox("会议时间", PERIODS, key="review_period", placeholder="请选择")
    filters = {
        "text": text or None,
        "status": None if status == ALL else status,
        "scope": None if scope == ALL else scope,
        "form": None if form == ALL else form,
        "department_id": dept_id,
        **_period(period),
    }
    frame = list_table(sr.list_frame(actor, **filters))
    if picked_todo in todo:  # (a count that changed drops the selection)
        frame = frame[frame["id"].isin(todo[picked_todo][1])]

    view = st.segmented_control(
        "视图", ["列表", "日程"], default="列表", key="review_view", label_visibility="collapsed"
    )
    if view == "日程":
        _agenda(frame)
        rows = frame.iloc[0:0]
    else:
        _, rows = data_table(
            frame,
            key="review_table",
            file_name="专项审查",
            search=False,
            hide=["id"],
            selection="single-row",
            column_config={"会议时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
        )
    if len(rows):
        rid = int(rows.iloc[0]["id"])
        if st.session_state.get("review_table_last") != rid:
            st.session_state["review_table_last"] = rid
            st.session_state[PICK] = rid
    if frame.empty:
        if st.session_state.get(PICK) is None:
            st.info("没有符合条件的专项审查。", icon=":material/info:")
            return None
    options = [int(i) for i in frame["id"]]
    # labels must not change with the review's state: Streamlit keeps the
    # selection by its label
    labels = {int(i): f"{no}　{title}" for i, no, title in zip(frame["id"], frame["编号"], frame["审查议题"])}
    current = st.session_state.get(PICK)
    if current is not None and current not in options:
        options.insert(0, current)  # keep the open review when filters change
        labels[current] = labels.get(current) or f"当前打开的专项审查（编号 {current}）"
    if current is None and options:
        st.caption("在列表中点选一行，或在下方选择，查看详情并办理。")
    choice = st.selectbox(
        "查看详情",
        options,
        index=None,
        key=PICK,
        placeholder="请选择专项审查…",
        format_func=lambda i: labels.get(i, str(i)),
    )
    if choice is not None and not isinstance(choice, int):  # label changed (e.g. edited title)
        by_no = {str(no): int(i) for i, no in zip(frame["id"], frame["编号"])}
        choice = by_no.get(str(choice).split("　")[0])
    return choice


def _agenda(frame) -> None:
    """Meetings by day: upcoming first, then the most recent past ones."""
    if frame.empty:
        return
    today = clock.today()
    f = frame.sort_values("会议时间")
    upcoming = f[f["会议时间"].dt.date >= today]
    past = f[f["会议时间"].dt.date < today].iloc[::-1].head(30)
    for title, part in (("即将召开", upcoming), ("近期已过会议日期", past)):
        st.markdown(f"##### {title}（{len(part)}）")
        if part.empty:
            st.caption("无")
            continue
        for day, rows in part.groupby(part["会议时间"].dt.date, sort=False):
            weekday = "一二三四五六日"[day.weekday()]
            with st.container(border=True):
                st.markdown(f"**{day:%Y-%m-%d}（星期{weekday}）**")
                for _, r in rows.iterrows():
                    st.markdown(
                        f"{r['会议时间']:%H:%M}　{md_text(r['编号'])}　"
                        f"{md_text(r['审查议题'])}　· {md_text(r['地点'])}　"
                        f":{'orange' if r['状态'] in (sr.S_PENDING, sr.S_NOTIFIED) else 'gray'}"
                        f"-badge[{md_text(r['状态'])}]"
                    )
