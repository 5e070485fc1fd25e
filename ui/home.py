"""The landing page (首页驾驶舱).  The dashboard issue fills it; for now it
greets the user and lists the pages their roles open."""
import streamlit as st

from sgld import settings
from sgld.security import PAGES, visible_pages
from ui.auth import page_guard


def render() -> None:
    actor = page_guard("home")
    cfg = settings.get()
    st.title(f"{cfg.app_title} · 首页")
    st.caption(f"{actor.display_name}，您好。所属部门：{actor.department_name}；角色：{actor.role_names}")
    st.info("首页驾驶舱（分类统计、快速查询、处理提醒）建设中。", icon=":material/construction:")
    st.subheader("您可以使用的功能")
    for key in visible_pages(actor):
        if key not in ("home", "account"):
            st.markdown(f"- {PAGES[key][0]}")
