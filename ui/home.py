"""首页驾驶舱: quick query (快速查询) for everyone, classification statistics
(分类统计) for leaders — and for approvers and supervisors within their
scope — and the work view of processing reminders (处理提醒)."""

from __future__ import annotations

import hashlib

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sgld import audit, clock, policy, settings
from sgld.errors import SgldError
from sgld.security import PAGES, Actor, visible_pages
from sgld.services import dashboard, push_query, quick_query
from ui.auth import page_guard
from ui.widgets import action, download_xlsx, finish_chart, lazy_tabs, md_text, plot_chart

PAGE_FILES = {
    "push": "pages/1_审批推送.py",
    "supervise": "pages/2_监管录入.py",
    "review": "pages/3_专项审查.py",
    "liaison": "pages/4_联络员.py",
    "profile": "pages/5_企业画像.py",
    "account": "pages/8_账号设置.py",
    "admin": "pages/9_系统管理.py",
}
FILE_KEYS = {v: k for k, v in PAGE_FILES.items()}
# plotly draws in the browser: name CJK fonts first so Chinese labels never fall back to boxes
CJK_FONTS = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",'
    ' "PingFang SC", "WenQuanYi Micro Hei", "SimHei", sans-serif'
)
# Two palettes that share no colour (issue 16 item 20): states and results
# (a fixed colour per name wherever it shows) and departments (a fixed colour
# per department id, the same in every chart).
STATE_COLOURS = {
    "按时签收": "#2e7d32",
    "合格": "#2e7d32",
    "达成一致": "#2e7d32",
    "已撤销": "#2e7d32",
    "已领取": "#2e7d32",
    "按时派员": "#2e7d32",
    "30 天内": "#1565c0",
    "未超时": "#1565c0",
    "待签收未超时": "#1565c0",
    "待领取": "#1565c0",
    "基本合格": "#1565c0",
    "进行中": "#1565c0",
    "已提交": "#1565c0",
    "参加审查": "#1565c0",
    "新列入": "#c62828",
    "逾期签收": "#f9a825",
    "超时 1–3 天": "#f9a825",
    "责令整改": "#f9a825",
    "核实中": "#f9a825",
    "报市政府决定": "#f9a825",
    "解除": "#2e7d32",
    "超时 4–10 天": "#d84315",
    "超过 30 天": "#d84315",
    "逾期未签收": "#b71c1c",
    "已超时/紧急": "#b71c1c",
    "超时 10 天以上": "#b71c1c",
    "立案查处": "#b71c1c",
    "逾期未派员": "#b71c1c",
    "超期未办结": "#b71c1c",
    "不予撤销": "#616161",
    "已撤回": "#9e9e9e",
    "录入办件": "#1565c0",
    "办结办件": "#2e7d32",
    "件数": "#1565c0",
    "涉及审批局发证企业": "#6a1b9a",
    "月末在列": "#424242",
}
STATE_FALLBACK = ["#1565c0", "#2e7d32", "#f9a825", "#b71c1c", "#6a1b9a", "#424242", "#d84315", "#9e9e9e"]
# (no reds or oranges: those mean "late" in the state palette)
DEPT_PALETTE = [
    "#4e79a7",
    "#a0cbe8",
    "#17becf",
    "#9edae5",
    "#59a14f",
    "#8cd17d",
    "#b6992d",
    "#f1ce63",
    "#499894",
    "#86bcb6",
    "#5d6d7e",
    "#c5b0d5",
    "#79706e",
    "#bab0ac",
    "#d37295",
    "#fabfd2",
    "#b07aa1",
    "#d4a6c8",
    "#9d7660",
    "#d7b5a6",
]


def state_colour(name: str, i: int = 0) -> str:
    return STATE_COLOURS.get(str(name), STATE_FALLBACK[i % len(STATE_FALLBACK)])


def dept_colour(department_id: int) -> str:
    return DEPT_PALETTE[(int(department_id) - 1) % len(DEPT_PALETTE)]


def series_colour(name: str, i: int, dept_ids: dict[str, int]) -> str:
    """A department's own colour, else the state's."""
    if str(name) in dept_ids:
        return dept_colour(dept_ids[str(name)])
    return state_colour(name, i)


CACHE_TTL = 3600  # memory hygiene only: the data version and the day are in every key


def _actor_key(a: Actor):
    return (a.user_id, tuple(sorted(a.roles)), a.department_id)


def _scope_key(a: Actor):
    """Whose figures an actor sees: the whole city (bureau roles) or one
    department's.  Everyone of a scope shares one cached set, so a write
    costs one recomputation per scope, not one per user."""
    return "city" if policy.sees_all_departments(a) else policy.scope_department(a)


def _filters_key(f: dashboard.Filters):
    return (f.date_from, f.date_to, f.department_id, f.category, f.basis)


def version() -> tuple:
    """What cached figures depend on besides the user and the filters: the
    process-wide data version (every committed write moves it, so every
    session sees every write on its next run) and the day (overdue counts)."""
    return audit.data_version(), clock.today()


@st.cache_resource(
    ttl=CACHE_TTL,
    show_spinner="正在计算统计数据…",
    max_entries=200,
    hash_funcs={Actor: _scope_key, dashboard.Filters: _filters_key},
)
def _figures(actor: Actor, filters: dashboard.Filters, version: tuple) -> dashboard.Dashboard:
    """The figures' data, once per data version and scope: a rerun draws
    them without computing anything.  Shared objects (``cache_resource``, no
    copy per run): nothing may change them.  Keyed by the actor's scope
    (:func:`_scope_key`): the caller checks the actor's own right to the
    figures first.  Charts are built when their tab is drawn
    (:func:`_chart_of`), so a write costs the open tab's charts only."""
    return dashboard.leader_figures(actor, filters)


def _chart_of(fig_: dashboard.Figure):
    """The figure's built chart (None: nothing to plot), kept per content."""
    if fig_.empty or fig_.frame is None or not len(fig_.frame):
        return None
    return _built_chart(_chart_digest(fig_), fig_)


def _chart_digest(fig_: dashboard.Figure) -> str:
    """What a chart is drawn from: its kind, spec and data."""
    h = hashlib.sha256(repr((fig_.key, fig_.chart, list(fig_.frame.columns))).encode())
    try:
        h.update(pd.util.hash_pandas_object(fig_.frame, index=False).to_numpy().tobytes())
    except TypeError:  # unhashable cells: their text
        h.update(fig_.frame.to_csv(index=False).encode())
    return h.hexdigest()


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=2000)
def _built_chart(digest: str, _fig: dashboard.Figure):
    """A chart built once for its data: after a write elsewhere in the city
    most of a user's figures hold the same numbers, and building a plotly
    figure costs 30–60 ms of CPU (half of an uncached dashboard)."""
    plot = chart(_fig)
    return finish_chart(plot) if plot is not None else None


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=500, hash_funcs={Actor: _actor_key})
def cached_work_view(actor: Actor, version: tuple) -> dashboard.WorkView:
    """The work view, shared by the landing page and the sidebar counts (once
    per user and data version)."""
    return dashboard.work_view(actor)


# -- charts ---------------------------------------------------------------------
def _style(fig: go.Figure, height: int = 360) -> go.Figure:
    fig.update_layout(
        font_family=CJK_FONTS,
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": None},
        legend_title_text="",
        hoverlabel={"font_family": CJK_FONTS},
    )
    return fig


def chart(fig_: dashboard.Figure) -> go.Figure | None:
    spec, frame = fig_.chart, fig_.frame
    if not spec or frame is None or not len(frame):
        return None
    data = frame
    if fig_.key == "penalties":
        data = frame[frame["处罚类别"] != "合计"]
    ys = [y for y in spec["y"] if y in data.columns]
    if not ys:
        return None
    # graph_objects directly: plotly.express costs ~50 ms per figure, ten figures a page
    horizontal = spec.get("orientation") == "h"
    traces = []
    for i, y in enumerate(ys):
        colour = state_colour(y, i)
        if spec["kind"] == "line":
            traces.append(
                go.Scatter(x=data[spec["x"]], y=data[y], name=y, mode="lines+markers", line={"color": colour})
            )
        elif horizontal:
            traces.append(go.Bar(y=data[spec["x"]], x=data[y], name=y, orientation="h", marker_color=colour))
        else:
            traces.append(go.Bar(x=data[spec["x"]], y=data[y], name=y, marker_color=colour))
    fig = go.Figure(traces)
    if spec["kind"] != "line":
        fig.update_layout(barmode=spec.get("barmode", "group"))
    if horizontal:
        fig.update_yaxes(title_text="", autorange="reversed")
        fig.update_xaxes(title_text="数量")
    else:
        fig.update_yaxes(title_text="数量")
        fig.update_xaxes(title_text="")
    if spec.get("orientation") != "h":
        fig.update_xaxes(type="category")  # months stay "2026-03", not parsed as dates
    if spec.get("line") and spec["line"] in data.columns:
        fig.add_scatter(
            x=data[spec["x"]], y=data[spec["line"]], name=spec["line"], mode="lines+markers", line={"color": "#424242"}
        )
    fig.update_layout(legend_title_text="")
    return _style(fig)


def _metric_value(h: dashboard.Headline) -> str:
    if h.value is None:
        return "—"
    if h.fmt == "pct":
        return f"{h.value:.1f}%"
    if h.fmt == "float":
        # a card holds about seven digits: no decimals once the integer part has four
        return f"{h.value:,.0f}" if abs(h.value) >= 1000 else f"{h.value:,.2f}"
    return f"{int(h.value):,}"


def _metric_delta(h: dashboard.Headline) -> str | None:
    d = h.delta
    if d is None:
        return None
    if h.fmt == "pct":
        return f"{d:+.1f} 个百分点"
    if h.fmt == "float":
        return f"{d:+,.0f}" if abs(d) >= 1000 else f"{d:+,.2f}"
    return f"{int(d):+,}"


# -- the leader view (分类统计) ----------------------------------------------------
def _filter_bar(actor: Actor) -> dashboard.Filters | None:
    opts = dashboard.filter_options(actor)
    c = st.columns([1.2, 1.2, 1.2, 1.5, 1.5])
    preset = c[0].selectbox("统计期间", opts["periods"], index=3, key="dash_period", placeholder="请选择")
    if preset == "自定义":
        d0, d1 = dashboard.period_range("本年")
        d_from = c[1].date_input("起始日期", value=d0, key="dash_from", format="YYYY-MM-DD")
        d_to = c[2].date_input("结束日期", value=d1, key="dash_to", format="YYYY-MM-DD")
    else:
        d_from, d_to = dashboard.period_range(preset)
        c[1].date_input("起始日期", value=d_from, disabled=True, key=f"dash_from_{preset}", format="YYYY-MM-DD")
        c[2].date_input("结束日期", value=d_to, disabled=True, key=f"dash_to_{preset}", format="YYYY-MM-DD")
    depts = opts["departments"]
    if opts["locked_department"]:
        c[3].selectbox(
            "部门",
            [depts[0]["name"]],
            disabled=True,
            key="dash_dept_locked",
            placeholder="请选择",
            help="监管部门账号只能查看本部门的统计。",
        )
        dept_id = depts[0]["id"]
    else:
        names = {d["id"]: d["name"] for d in depts}
        dept_id = c[3].selectbox(
            "部门",
            [None] + list(names),
            key="dash_dept",
            format_func=lambda i: "全市（全部部门）" if i is None else names[i],
            placeholder="全部",
        )
    category = c[4].selectbox(
        "事项分类",
        [None] + opts["categories"],
        key="dash_cat",
        format_func=lambda x: "全部分类" if x is None else x,
        placeholder="全部",
    )
    try:
        return dashboard.make_filters(d_from, d_to, dept_id, category, preset=preset)
    except SgldError as exc:
        st.error(md_text(str(exc)), icon=":material/error:")
        return None


def leader_view(actor: Actor) -> None:
    f = _filter_bar(actor)
    if f is None:
        return
    # issue 16 item 20: while a new period is computed, the previous period's
    # figures must not stay on screen under the new filters (Streamlit keeps an
    # element of the last run until this run writes its position).  A new
    # period starts from an empty slot, which clears the old figures at once;
    # the same period keeps its container, so a rerun redraws in place.
    shown = _filters_key(f)
    changed = st.session_state.get("dash_shown") != shown
    holder = st.empty() if changed else st.container()
    with action():
        dashboard.scope_department(actor, f.department_id)  # the role check, cached or not
        dash = _figures(actor, f, version())
        st.session_state["dash_shown"] = shown
        with holder.container() if changed else holder:
            _leader_figures(dash, f, _key_suffix(shown))


def _key_suffix(filters_key) -> str:
    """Element keys of one period's figures: a chart of another period is a
    new element, never the previous one patched."""
    return hashlib.blake2s(repr(filters_key).encode(), digest_size=4).hexdigest()


def _leader_figures(dash: dashboard.Dashboard, f: dashboard.Filters, suffix: str) -> None:
    p0, p1 = dash.previous
    top = st.columns([4, 1.3, 1])
    top[0].caption(
        f"统计范围：**{md_text(dash.scope)}** · {f.date_from:%Y-%m-%d} 至 {f.date_to:%Y-%m-%d}"
        f"（{f.days} 天），箭头为较{f.basis}（{p0:%Y-%m-%d} 至 {p1:%Y-%m-%d}）的变化 · "
        f"数据时间 {dash.computed_at:%H:%M:%S}",
        help="系统中的任何修改都会在下一次刷新页面时反映到统计中。",
    )
    with top[1]:
        download_xlsx("导出全部统计", lambda: dashboard.workbook(dash), "首页统计", key="dash_all_x")
    if top[2].button("刷新", icon=":material/refresh:", key="dash_refresh"):
        _figures.clear()
        st.rerun()
    _headline(dash)
    groups: dict[str, list] = {}
    last = list(FIGURE_GROUPS)[-1]
    for fig_ in dash.figures:
        group = next((g for g, keys in FIGURE_GROUPS.items() if fig_.key in keys), last)
        groups.setdefault(group, []).append(fig_)

    def cards(figs) -> None:
        for i in range(0, len(figs), 2):
            cols = st.columns(2)
            for col, fig_ in zip(cols, figs[i : i + 2]):
                with col:
                    _figure_card(fig_, suffix)

    # one group of charts at a time: the browser drew all ten at once
    # (7.6 s from login to a drawn dashboard on a loaded machine)
    lazy_tabs({g: (lambda figs=figs: cards(figs)) for g, figs in groups.items()}, key="dash_group")


# the leader's figures by subject, one tab each (only the open tab is drawn)
FIGURE_GROUPS = {
    "审批与推送": ("cases_by_category", "cases_by_month", "push_ranking", "claims"),
    "监管与协同处理": ("inspections", "penalties", "revocations", "warning"),
    "专项审查与联络员": ("reviews", "liaison"),
}


def _headline(dash: dashboard.Dashboard) -> None:
    per_row = 5
    items = dash.headline
    for i in range(0, len(items), per_row):
        cols = st.columns(per_row)
        for col, h in zip(cols, items[i : i + per_row]):
            prev = dashboard.Headline(h.label, h.previous, None, h.unit, fmt=h.fmt)
            col.metric(
                f"{h.label}（{h.unit}）" if h.unit and h.fmt != "pct" else h.label,
                _metric_value(h),
                _metric_delta(h),
                delta_color="normal" if h.better == "up" else "inverse",
                border=True,
                help=f"{dash.filters.basis}：{_metric_value(prev)}（{dash.previous[0]:%Y-%m-%d} 至 "
                f"{dash.previous[1]:%Y-%m-%d}）",
            )


def _figure_card(fig_: dashboard.Figure, suffix: str = "") -> None:
    with st.container(border=True):
        st.markdown(f"**{fig_.title}**")
        if fig_.empty:
            st.info(fig_.empty, icon=":material/hourglass_empty:")
            return
        if fig_.note:
            st.caption(fig_.note)
        if not len(fig_.frame):
            st.info("所选范围内暂无数据。", icon=":material/info:")
            return
        plot = _chart_of(fig_)
        if plot is not None:
            plot_chart(plot, width="stretch", key=f"chart_{fig_.key}_{suffix}", config={"displaylogo": False})
        # the table on demand: a collapsed expander still sent every figure's
        # frame and mounted a grid for it on each run
        c = st.columns([1, 1])
        shown = c[0].toggle("显示数据表", key=f"tbl_{fig_.key}")
        with c[1]:
            download_xlsx("导出本图数据", fig_.frame, fig_.title, key=f"x_{fig_.key}")
        if shown:
            st.dataframe(fig_.frame, hide_index=True, width="stretch")


def warm_up() -> None:
    """Build one small chart: plotly's first figure in a process costs ~0.2 s."""
    _style(go.Figure([go.Bar(y=["x"], x=[1], orientation="h")])).to_plotly_json()


# -- the work view (处理提醒) ------------------------------------------------------
def work_view(actor: Actor) -> None:
    with action():
        wv = cached_work_view(actor, version())
        pages = set(visible_pages(actor))
        m = st.columns(3)
        m[0].metric("待办合计", f"{wv.total:,}", border=True)
        m[1].metric("其中超时/紧急", f"{wv.overdue:,}", border=True)
        m[2].metric("提醒类型", len([r for r in wv.reminders if r.count]), border=True)
        shown = [r for r in wv.reminders if r.count]
        if not shown:
            st.success("暂无待办事项。", icon=":material/task_alt:")
            return
        left, right = st.columns([1, 1.2])
        with left:
            st.markdown("**我的待办**")
            for r in shown:
                with st.container(border=True):
                    c = st.columns([3, 2])
                    text = f"**{r.label}**　{r.count:,} 件"
                    if r.overdue:
                        text += f"　:red-badge[超时/紧急 {r.overdue:,}]"
                    c[0].markdown(text)
                    if r.page in pages and r.page in PAGE_FILES:
                        c[1].page_link(
                            PAGE_FILES[r.page],
                            label=f"前往{PAGES[r.page][0]}",
                            icon=":material/arrow_forward:",
                            query_params={"todo": r.kind},
                        )
        with right:
            st.markdown("**待办分布（按类型和时限）**")
            plot = _reminder_chart(actor, version())
            if plot is not None:
                plot_chart(plot, width="stretch", key="chart_reminders", config={"displaylogo": False})
                download_xlsx("导出待办分布", wv.chart, "处理提醒", key="x_reminders")


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=500, hash_funcs={Actor: _actor_key})
def _reminder_chart(actor: Actor, version: tuple):
    """The 待办分布 chart, built once per user and data version."""
    wv = cached_work_view(actor, version)
    if not len(wv.chart):
        return None
    dept_ids = dashboard.department_ids()
    # graph_objects directly: plotly.express costs ~0.15 s per figure
    fig = go.Figure(
        [
            go.Bar(
                y=part["提醒类型"],
                x=part["数量"],
                name=str(name),
                orientation="h",
                marker_color=series_colour(name, i, dept_ids),
            )
            for i, (name, part) in enumerate(wv.chart.groupby("分布", sort=False))
        ]
    )
    fig.update_layout(barmode="stack", legend_title_text="分布")
    fig.update_yaxes(title_text="", autorange="reversed")
    return finish_chart(_style(fig, 80 + 40 * wv.chart["提醒类型"].nunique()))


# -- quick query (快速查询) ----------------------------------------------------------
@st.fragment
def quick_search(actor: Actor) -> None:
    """A fragment: typing a query reruns only the query, not the statistics."""
    text = st.text_input(
        "快速查询",
        key="qq_text",
        placeholder=f"输入{quick_query.HINT}",
        icon=":material/search:",
        label_visibility="collapsed",
    )
    if not text or not text.strip():
        return
    with action():
        groups = quick_query.search(actor, text)
        if not groups:
            st.info(f"没有找到与“{md_text(text.strip())}”相关、且在您查看范围内的记录。", icon=":material/search_off:")
            return
        pages = set(visible_pages(actor))
        st.caption("查询结果（" + "、".join(f"{g.label} {len(g.hits)}{'+' if g.more else ''}" for g in groups) + "）")
        cols = st.columns(min(3, len(groups)))
        for i, g in enumerate(groups):
            with cols[i % len(cols)].container(border=True):
                st.markdown(f"**{g.label}**")
                for hit in g.hits:
                    key = FILE_KEYS.get(hit.page)
                    row = st.columns([3, 1])
                    row[0].markdown(f"{md_text(hit.title)}  \n:gray[{md_text(hit.detail)}]")
                    if key in pages and hit.may_open:
                        row[1].page_link(
                            hit.page, label=hit.link_label, query_params=hit.params, icon=":material/open_in_new:"
                        )
                    elif not hit.may_open:  # no link that would be refused
                        row[1].caption(md_text(hit.why_not or "无权查看"))
                    if hit.profile and hit.profile_open and g.kind != "enterprise" and "profile" in pages:
                        row[1].page_link(
                            PAGE_FILES["profile"],
                            label="企业画像",
                            query_params={k: str(v) for k, v in hit.profile.items()},
                            icon=":material/domain:",
                        )
                if g.more:
                    st.caption(f"仅显示前 {quick_query.LIMIT} 条，请输入更完整的内容。")


def holiday_notice() -> None:
    """The missing holiday data, for the admin who can add it, here only
    (issue 16 item 21: not on every 审批推送 page for every role)."""
    note = push_query.calendar_note()
    if not note:
        return
    with st.container(border=True):
        c = st.columns([5, 1])
        c[0].warning(note, icon=":material/event_busy:")
        c[1].page_link(PAGE_FILES["admin"], label="维护节假日", icon=":material/edit_calendar:")


# -- the page --------------------------------------------------------------------------
def render() -> None:
    actor = page_guard("home")
    cfg = settings.get()
    st.title("首页")
    st.caption(
        f"{md_text(actor.display_name)}，您好。{md_text(actor.department_name)} · {md_text(actor.role_names)} · "
        f"{clock.today():%Y年%m月%d日} · {cfg.app_title}"
    )
    if actor.has("admin"):
        holiday_notice()
    quick_search(actor)
    stats = actor.has("admin", "leader", "approver", "supervisor")
    if actor.has("leader", "admin"):
        tabs = ["统计分析", "处理提醒"]
    elif stats:
        tabs = ["处理提醒", "本部门统计" if not actor.has("approver") else "统计分析"]
    else:
        tabs = ["处理提醒"]
    views = {"统计分析": leader_view, "本部门统计": leader_view, "处理提醒": work_view}
    # only the open tab runs, so a leader does not pay for the work view and vice versa
    lazy_tabs({t: (lambda v=views[t]: v(actor)) for t in tabs}, key="home_tab")
