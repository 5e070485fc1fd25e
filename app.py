"""审管联动系统 — entry point: login, role-based navigation, landing page."""

import streamlit as st

from sgld import audit, reminders, settings
from sgld.errors import ConfigError
from sgld.security import PAGES, visible_pages
from ui import auth, home
from ui.widgets import chinese_ui_text, enter_page, nav_label, show_flash

try:
    cfg = settings.get()
except ConfigError as exc:  # e.g. production without SGLD_COOKIE_KEY / SGLD_AUDIT_KEY
    from sgld import startup

    startup.refuse(exc)
st.set_page_config(page_title=cfg.app_title, page_icon=":material/account_balance:", layout="wide")
chinese_ui_text()  # Streamlit's own English texts (uploader, "Press Enter to apply"...)
audit.refresh_data_version()  # PostgreSQL: another process's writes (one read a run); DuckDB: nothing


@st.cache_resource
def _warm_up() -> bool:
    """Once per server process, in the background, while the first user is
    still typing: imports, the landing page's columns, the chart library."""
    from sgld import startup

    return startup.warm_up_in_background(home.warm_up)


_warm_up()
actor = auth.current_actor()  # before st.navigation: shows the login form or stops


@st.cache_resource
def _maintenance() -> bool:
    """Once per server process: scheduled penalty sync, webhook delivery,
    backup requests from the command line and the daily backup (in the
    process that leads, sgld/leader.py)."""
    from sgld import startup

    startup.start_background()
    return True


_maintenance()


def _nav_counts(version: tuple) -> dict[str, int]:
    """Sidebar counts from the same cached work view as the landing page
    (recomputed once per data version)."""
    totals: dict[str, int] = {}
    if actor.has("admin", "leader", "approver", "supervisor", "liaison"):
        for r in home.cached_work_view(actor, version).reminders:
            totals[r.page] = totals.get(r.page, 0) + r.count
    else:
        totals = reminders.counts_by_page(actor)
    return totals


FILES = {
    "home": home.render,
    "push": "pages/1_审批推送.py",
    "supervise": "pages/2_监管录入.py",
    "review": "pages/3_专项审查.py",
    "liaison": "pages/4_联络员.py",
    "profile": "pages/5_企业画像.py",
    "account": "pages/8_账号设置.py",
    "admin": "pages/9_系统管理.py",
}
ICONS = {
    "home": ":material/dashboard:",
    "push": ":material/send:",
    "supervise": ":material/fact_check:",
    "review": ":material/groups:",
    "liaison": ":material/badge:",
    "profile": ":material/domain:",
    "account": ":material/manage_accounts:",
    "admin": ":material/settings:",
}

pages = {
    key: st.Page(
        FILES[key],
        title=PAGES[key][0],
        icon=ICONS[key],
        default=(key == "home"),
        url_path="home" if key == "home" else None,
    )
    for key in visible_pages(actor)
}


def _denied(title: str):
    """A page of another role opened by its address (/专项审查 as a liaison):
    a Chinese refusal instead of Streamlit's English "Page not found"."""

    def page() -> None:
        st.error(f"您没有权限访问该页面（{title}）。", icon=":material/block:")
        st.page_link(pages["home"], label="返回首页", icon=":material/home:")

    page.__name__ = f"denied_{abs(hash(title))}"
    return page


denied = [
    st.Page(_denied(PAGES[key][0]), title=PAGES[key][0], url_path=PAGES[key][0]) for key in PAGES if key not in pages
]
current = st.navigation([*pages.values(), *denied], position="hidden")

with st.sidebar:
    st.markdown(f"### {cfg.app_title}")
    st.caption(cfg.bureau_name)
    if cfg.demo:
        st.warning("演示模式", icon=":material/science:")
    counts = _nav_counts(home.version())
    for key, page in pages.items():
        if key != "account":
            st.page_link(page, label=nav_label(PAGES[key][0], counts.get(key, 0)))
    st.divider()
    st.markdown(f"**{actor.display_name}**（{actor.username}）")
    st.caption(f"{actor.department_name} · {actor.role_names}")
    st.page_link(pages["account"])
    if st.button("退出登录", icon=":material/logout:", width="stretch"):
        auth.logout(actor)
        st.switch_page(pages["home"])  # the next login starts on 首页, not on this user's page

enter_page(f"{current.url_path}|{current.title}")
show_flash()
current.run()
