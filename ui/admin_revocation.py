"""Admin tab: which window staff handle which item categories (协同处理待办)
and the warning-list thresholds."""

from __future__ import annotations

import streamlit as st

from sgld.services import inspection, org, warning
from sgld.services import revocation as rv
from ui.widgets import action, show_table

TAB_TITLE = "协同处理与警示规则"


def render(actor) -> None:
    st.subheader("窗口事项分工")
    st.caption(
        "协同处理申请按证照所属事项的分类，作为负责该分类的窗口工作人员（审批局经办人）的待办件；"
        "无人负责的分类由全部经办人办理。"
    )
    staff = rv.list_user_categories(actor)
    show_table(staff.drop(columns=["user_id"]), hide_index=True, width="stretch")
    cats = org.item_categories()
    if len(staff):
        names = dict(zip(staff["user_id"], staff["姓名"] + "（" + staff["用户名"] + "）"))
        uid = st.selectbox("经办人", list(names), format_func=names.get, key="xt_adm_user", placeholder="请选择")
        with st.form(f"xt_adm_cats_{uid}"):
            chosen = st.multiselect(
                "负责的事项分类",
                cats,
                default=rv.user_categories(uid),
                placeholder="请选择（可多选）",
                select_all=False,
            )
            if st.form_submit_button("保存分工", type="primary"):
                with action("已保存"):
                    rv.set_user_categories(actor, uid, chosen)
                    st.rerun()

    st.subheader("警示名单列入规则")
    r = warning.get_rules(actor)
    st.caption("保存后立即按新规则重新计算警示名单；已人工解除的记录不会因原有依据被重新列入。")
    with st.form("wl_rules"):
        c = st.columns(2)
        fine = c[0].number_input("单笔罚款达到（万元，0 表示不启用）", min_value=0.0, value=float(r.fine_wan), step=1.0)
        categories = c[1].text_input("处罚类别包含（逗号分隔，留空表示不启用）", ",".join(r.categories))
        c = st.columns(2)
        count = c[0].number_input(
            "期间内处罚次数达到（次，0 表示不启用）", min_value=0, max_value=100, value=int(r.count)
        )
        months = c[1].number_input("处罚次数统计期间（月）", min_value=1, max_value=120, value=int(r.months))
        results = st.multiselect(
            "检查结果为",
            inspection.result_options(include_inactive=True),
            default=[x for x in r.results],
            placeholder="请选择（可多选）",
            select_all=False,
        )
        revoked = st.checkbox("证照被撤销或吊销即列入", value=r.revoked)
        if st.form_submit_button("保存并重新计算", type="primary"):
            with action():
                res = warning.save_rules(
                    actor,
                    fine_wan=fine,
                    categories=categories,
                    count=count,
                    months=months,
                    results=results,
                    revoked=revoked,
                )
                st.success(
                    f"规则已保存。重新计算：新列入 {res['listed']} 家，自动解除 {res['lifted']} 家。",
                    icon=":material/check_circle:",
                )
