"""Admin tab 节假日设置: holidays and adjusted working days (调休) that
override the chinese-calendar package, for years it does not know yet."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from sgld import clock, workdays
from sgld.errors import ValidationError
from ui import admin_forms as forms
from ui.widgets import action, data_table

TAB_TITLE = "节假日设置"


def render(actor) -> None:
    st.caption(
        "签收期限按工作日计算：系统使用 chinese-calendar 软件包中国务院已公布的节假日与调休安排；"
        "此处维护的日期优先于软件包。两者都没有数据的年份按周一至周五计算。"
    )
    this = clock.today().year
    years = list(range(this - 1, this + 4))
    missing = workdays.fallback_years(years)
    known = [y for y in years if y not in missing]
    if missing:
        st.warning(
            f"{'、'.join(map(str, missing))} 年尚无节假日数据，签收期限按周一至周五计算。"
            "国务院公布安排后请在下方录入放假日期和调休上班日期。",
            icon=":material/event_busy:",
        )
    st.caption(f"已有节假日数据的年份：{'、'.join(map(str, known)) or '无'}")

    rows: list[dict] = []
    with action():
        rows = workdays.list_days(actor)
        frame = pd.DataFrame(
            [
                {
                    "日期": r["day"],
                    "类型": "调休上班" if r["is_workday"] else "放假",
                    "星期": "一二三四五六日"[r["day"].weekday()],
                    "说明": r["note"] or "",
                    "维护人": r["updated_by"] or "",
                    "维护时间": r["updated_at"],
                }
                for r in rows
            ],
            columns=["日期", "类型", "星期", "说明", "维护人", "维护时间"],
        )
        data_table(frame, key="cal_list", file_name="节假日设置", search=False)

    left, right = st.columns(2)
    with left:
        # not clear_on_submit: a refused entry keeps what was typed
        with st.form("cal_add"):
            st.markdown("**新增或修改日期**")
            day = st.date_input(
                "日期",
                value=None,
                format="YYYY-MM-DD",
                key="cal_day",
                min_value=date(2000, 1, 1),
                max_value=date(2100, 12, 31),
            )
            kind = st.radio("类型", ["放假", "调休上班"], horizontal=True, key="cal_kind")
            note = st.text_input("说明", placeholder="如：2027 年春节", key="cal_note")
            if st.form_submit_button("保存", type="primary"):
                with action("已保存"):
                    if day is None:
                        raise ValidationError("请选择日期。", field="日期")
                    workdays.set_day(actor, day, kind == "调休上班", note.strip() or None)
                    forms.clear_fields("cal_day", "cal_kind", "cal_note")
                    st.rerun()
    with right:
        with st.form("cal_remove"):
            st.markdown("**删除自定义日期**（恢复为软件包或周一至周五的规则）")
            options = [r["day"] for r in rows]
            day = st.selectbox("日期", options, index=None, placeholder="选择已维护的日期")
            sure = st.checkbox("确认删除该日期")
            if st.form_submit_button("删除"):
                with action("已删除"):
                    if day is None:
                        raise ValidationError("请选择要删除的日期。")
                    if not sure:
                        raise ValidationError("删除须勾选“确认删除该日期”。")
                    workdays.remove_day(actor, day)
                    st.rerun()
    with st.expander("查询某一天"):
        d = st.date_input("日期", value=clock.today(), format="YYYY-MM-DD", key="cal_probe")
        if d:
            src = (
                "系统管理员设置"
                if d in {r["day"] for r in rows}
                else "国务院公布的安排"
                if workdays.package_knows(d)
                else "周一至周五规则"
            )
            st.write(
                f"{d:%Y-%m-%d}（星期{'一二三四五六日'[d.weekday()]}）："
                f"{'工作日' if workdays.is_workday(d) else '休息日'}（依据：{src}）"
            )
