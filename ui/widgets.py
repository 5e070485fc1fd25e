"""Shared widgets so every page looks and behaves alike: lists with a quick
filter and .xlsx export, status badges, message helpers, the sidebar."""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sgld.errors import SgldError
from sgld.export import to_xlsx

# status -> badge colour (Streamlit's badge colours)
STATUS_COLOURS = {
    "待签收": "orange",
    "已签收": "green",
    "待领取": "orange",
    "已领取": "green",
    "超时": "red",
    "已超时": "red",
    "有效": "green",
    "已撤销": "red",
    "已吊销": "red",
    "已注销": "gray",
    "已过期": "gray",
    "已提交": "blue",
    "核实中": "orange",
    "不予撤销": "violet",
    "已撤回": "gray",
    "在用": "green",
    "停用": "gray",
    "锁定": "red",
    "建设中": "gray",
}


# every ASCII punctuation character Markdown, Streamlit directives (:red[..],
# :material/..:, emoji codes), KaTeX ($) or HTML entities (&) could act on;
# CommonMark renders a backslash-escaped ASCII punctuation character as itself
_MD_SPECIAL = "\\`*_{}[]()<>#+-.!|~$:=^&"


def md_text(text) -> str:
    """User text (names, reasons, remarks ...) for any widget that renders
    Markdown (markdown, caption, info/error, labels, tabs, expanders):
    shown verbatim, never as emphasis, links, KaTeX, directives or HTML.
    Line breaks stay line breaks; leading blanks cannot start a code block."""
    s = "" if text is None else str(text)
    s = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in s)
    lines = [ln.strip() for ln in s.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "  \n".join(lines)


def badge(status: str) -> None:
    st.badge(md_text(status), color=STATUS_COLOURS.get(status, "blue"))


def status_text(status: str) -> str:
    """A status as coloured Markdown text for use inside other Markdown."""
    return f":{STATUS_COLOURS.get(status, 'blue')}-badge[{md_text(status)}]"


def page_header(title: str, caption: str | None = None) -> None:
    st.title(title)
    if caption:
        st.caption(caption)


def under_construction(what: str) -> None:
    st.info(f"“{what}”功能建设中，将在后续版本上线。", icon=":material/construction:")


@contextmanager
def action(success: str | None = None):
    """Run a service call: a SgldError becomes a clear Chinese error message
    (nothing was changed); success shows a toast — also when the block ends
    with ``st.rerun()``, through a flash shown on the next run."""
    try:
        yield
    except SgldError as exc:
        clear_messages()  # an old success must not stand under this error
        st.error(md_text(str(exc)), icon=":material/error:")
    except Exception:
        raise
    except BaseException as exc:  # st.rerun() inside the block: the call succeeded
        if type(exc).__name__ == "RerunException":
            reset_selections()
        if success:
            st.session_state[FLASH_KEY] = success
        raise
    else:
        if success:
            st.toast(success, icon=":material/check_circle:")


def loaded(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` (a service read of one record), or None after
    showing why it cannot be read (not found, not in the actor's scope) as
    a Chinese error message."""
    try:
        return fn(*args, **kwargs)
    except SgldError as exc:
        st.error(md_text(str(exc)), icon=":material/error:")
        return None


FLASH_KEY = "sgld_flash"
# session keys holding the message of one action (shown on the next run);
# they belong to the page that set them: cleared on an error and when the
# user goes to another page
MESSAGE_KEYS = {FLASH_KEY, "push_flash", "sup_flash", "review_flash", "lz_flash", "xt_flash", "wl_flash", "rec_last"}
PAGE_KEY = "sgld_page"
SELECTION_GEN = "sgld_sel_gen"


def clear_messages() -> None:
    for k in MESSAGE_KEYS:
        st.session_state.pop(k, None)


def enter_page(page_id: str) -> None:
    """app.py calls this before running a page: messages set on another page
    (or on this page before the user left it) are not shown."""
    if st.session_state.get(PAGE_KEY) != page_id:
        if PAGE_KEY in st.session_state:
            clear_messages()
            reset_selections()
        st.session_state[PAGE_KEY] = page_id


def reset_selections() -> None:
    """After an action no row of any list stays selected (the keys of the
    tables change, so Streamlit starts them without a selection)."""
    st.session_state[SELECTION_GEN] = st.session_state.get(SELECTION_GEN, 0) + 1


def _fingerprint(shown: pd.DataFrame, hide: list[str] | None, text: str) -> str:
    """Identifies the rows shown (their ids, else their content) and the filter:
    a table whose rows change gets a new key and thus no stale selection."""
    ids = [c for c in (hide or []) if c in shown.columns] or [c for c in ("id", "编号", "批次") if c in shown.columns]
    part = shown[ids] if ids else shown
    try:
        digest = pd.util.hash_pandas_object(part.astype(str), index=False).values.tobytes()
    except Exception:  # unhashable content: fall back to its text
        digest = part.to_csv(index=False).encode()
    h = hashlib.sha1(digest)
    h.update(f"|{len(shown)}|{text}|{st.session_state.get(SELECTION_GEN, 0)}".encode())
    return h.hexdigest()[:12]


def selected_rows(shown: pd.DataFrame, rows) -> pd.DataFrame:
    """The rows at the selected positions; positions no longer in the frame
    (a row went away since the click) are ignored."""
    valid = [r for r in (rows or []) if isinstance(r, int) and 0 <= r < len(shown)]
    return shown.iloc[valid]


def show_flash() -> None:
    """Show the confirmation of a write made in the previous run (app.py calls this)."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.toast(message, icon=":material/check_circle:")


# -- one display format for every list ------------------------------------------
DATE_FMT = "%Y-%m-%d"  # a date-only value: 2026-12-07
TIME_FMT = "%Y-%m-%d %H:%M"  # a timestamp: 2026-12-07 14:30
_TS_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
# money columns: at most two decimals, no trailing zeros
_MONEY = ("万元", "金额", "罚款")
# who / when columns that must stay on screen: right after the first column
KEY_COLUMNS = ("时限", "状态", "签收人", "签收时间", "领取人", "领取时间")
NO_ROWS = "暂无记录。"
MAX_ROWS = 2000  # rows of a list sent to the browser (data_table)


def _missing(value) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return not isinstance(value, str) and bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_date(value, empty: str = "") -> str:
    """A date or timestamp as shown everywhere: 2026-12-07 (a date, or a
    timestamp at midnight stored for a date) or 2026-12-07 14:30; ``empty``
    for none."""
    if _missing(value):
        return empty
    if isinstance(value, str):
        if not _TS_TEXT.match(value.strip()):
            return value
        value = pd.Timestamp(value.strip())
    if isinstance(value, datetime):  # also pd.Timestamp
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.strftime(DATE_FMT)
        return value.strftime(TIME_FMT)
    if isinstance(value, date):
        return value.strftime(DATE_FMT)
    return str(value)


def fmt_money(value) -> str:
    """2 → "2", 2.5 → "2.5", 2.123456 → "2.12", 12345 → "12,345"; "" for none."""
    if _missing(value):
        return ""
    try:
        text = f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)
    return text.rstrip("0").rstrip(".")


def _is_money(column) -> bool:
    return any(m in str(column) for m in _MONEY)


def _fmt_datetimes(s: pd.Series) -> pd.Series:
    """fmt_date over a datetime64 column, vectorised (a list of 67,000 rows
    cost ~0.3 s through ``Series.map``)."""
    out = pd.Series("", index=s.index, dtype=object)
    if s.dt.tz is not None:
        s = s.dt.tz_localize(None)
    known = s.notna()
    v = s[known]
    if len(v):
        midnight = v == v.dt.normalize()
        out[known] = v.dt.strftime(DATE_FMT).where(midnight, v.dt.strftime(TIME_FMT)).astype(object)
    return out


def _first_value(s: pd.Series):
    """The first value that is not missing, or None."""
    for v in s:
        if not _missing(v):
            return v
    return None


def _present(s: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        return s[s.notna() & (s.str.strip() != "")]
    return s[[not _missing(v) for v in s]]


def display_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The frame as every list shows it, and the settings of the columns it
    formatted: dates 2026-12-07, timestamps 2026-12-07 14:30, money with at
    most two decimals, nothing ("None", "NaT") for a missing value.

    A column's kind is decided by its first value that is not missing and
    only then checked over the whole column, vectorised where pandas can:
    the lists are formatted on every run of the page."""
    out = frame.copy()
    config: dict = {}
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = _fmt_datetimes(s)
            config[col] = None  # a page's own date format gives way to the shared one
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            first = _first_value(s)
            if first is None:
                continue
            if isinstance(first, (date, datetime)):
                vals = _present(s)
                if all(isinstance(v, (date, datetime)) for v in vals):
                    out[col] = s.map(fmt_date).astype(object)
                    config[col] = None
            elif isinstance(first, str):
                if not (_TS_TEXT.match(first.strip()) and ":" in first):
                    continue
                vals = _present(s).astype(str).str.strip()
                if vals.str.match(_TS_TEXT.pattern).all() and vals.str.contains(":", regex=False).all():
                    out[col] = s.map(fmt_date).astype(object)
                    config[col] = None
            elif isinstance(first, (Decimal, int, float)):
                vals = _present(s)
                if all(isinstance(v, (Decimal, int, float)) for v in vals) and any(
                    isinstance(v, Decimal) for v in vals
                ):
                    out[col] = s.map(fmt_money)
                    config[col] = st.column_config.TextColumn(alignment="right")
        elif _is_money(col) and pd.api.types.is_float_dtype(s):
            out[col] = s.map(fmt_money)
            config[col] = st.column_config.TextColumn(alignment="right")
    return out, config


def _widths(frame: pd.DataFrame) -> dict:
    """Long free-text columns get a medium width instead of pushing the others
    off-screen (the full text shows in the cell's tooltip and in the export)."""
    config = {}
    for col in frame.columns:
        s = frame[col]
        if len(frame) and (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            longest = (s if not pd.api.types.is_object_dtype(s) else s.astype(str)).str.len().max()
            if longest and longest > 24:
                config[col] = st.column_config.TextColumn(width="medium")
    return config


def _merge_config(view: pd.DataFrame, formats: dict, page: dict | None) -> dict:
    """Widths, then the shared formats, then the page's own settings — except a
    page's date or number format on a column the shared format already wrote."""
    config = {**_widths(view), **{k: v for k, v in formats.items() if v is not None}}
    for col, cfg in (page or {}).items():
        kind = cfg.get("type_config", {}).get("type") if isinstance(cfg, dict) else None
        if col in formats and kind in ("date", "datetime", "time", "number"):
            continue
        config[col] = cfg
    return config


def _column_order(columns: list[str]) -> list[str]:
    """The first column (the record's number), then the who/when columns,
    then the rest: 签收人 / 领取时间 stay visible on a 1366 px screen."""
    key = [c for c in columns[1:] if c in KEY_COLUMNS]
    return [*columns[:1], *key, *[c for c in columns[1:] if c not in key]]


def show_table(
    frame: pd.DataFrame, *, column_config: dict | None = None, hide_index: bool = True, width="stretch", **kwargs
):
    """st.dataframe with the shared display format (dates, money, no "None")
    and, for a table without rows, a Chinese line instead of the English "empty"."""
    if frame is None or not len(frame):
        st.caption(NO_ROWS)
        return None
    shown, formats = display_frame(pd.DataFrame(frame))
    return st.dataframe(
        shown,
        hide_index=hide_index,
        width=width,
        placeholder="",
        column_config=_merge_config(shown, formats, column_config),
        **kwargs,
    )


def data_table(
    frame: pd.DataFrame,
    *,
    key: str,
    file_name: str,
    search: bool = True,
    height: int | str = "auto",
    column_config: dict | None = None,
    selection: str | None = None,
    hide: list[str] | None = None,
    export=None,
):
    """A list with a quick text filter, a row count and .xlsx export of what
    is shown (or, for a list that shows the first rows of more, of what
    ``export()`` returns: called only when the button is clicked).  Returns
    the (filtered) frame and, with ``selection`` ("single-row" /
    "multi-row"), the selected rows of it."""
    shown = frame
    text = ""
    top = st.columns([3, 1]) if search else [st.container(), st.container()]
    if search:
        text = top[0].text_input(
            "筛选", key=f"{key}_q", placeholder="输入任意关键字筛选本列表", label_visibility="collapsed"
        )
        if text:
            mask = pd.Series(False, index=frame.index)
            for col in frame.columns:
                mask |= frame[col].astype(str).str.contains(text, case=False, regex=False, na=False)
            shown = frame[mask]

    # the workbook is built only when the button is clicked (a callable), not on every run
    def workbook() -> bytes:
        rows = shown if export is None else export()
        return to_xlsx(rows.drop(columns=hide or [], errors="ignore"))

    top[1].download_button(
        "导出 Excel",
        workbook,
        file_name=f"{file_name}-{date.today():%Y%m%d}.xlsx",
        key=f"{key}_x",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        width="stretch",
        icon=":material/download:",
    )
    # the browser gets at most MAX_ROWS rows: formatting and sending a list of
    # 16,000 letters cost ~0.5 s per run; the filter and the export see them all
    listed = shown.iloc[:MAX_ROWS]
    st.caption(
        f"共 {len(shown):,} 条"
        + (f"（全部 {len(frame):,} 条）" if len(shown) != len(frame) else "")
        + (f"，列出前 {len(listed):,} 条；请用筛选缩小范围，导出 Excel 含全部" if len(listed) < len(shown) else "")
    )
    if not len(shown):  # no table at all: Streamlit would draw an English "empty" row
        return shown, shown.iloc[0:0]
    view, formats = display_frame(listed)
    config = _merge_config(view, formats, column_config)
    col_order = _column_order([c for c in shown.columns if c not in (hide or [])])
    if selection:
        # the key carries a fingerprint of the rows shown: a changed list
        # (after an action, another filter) starts with nothing selected
        event = st.dataframe(
            view,
            key=f"{key}_{_fingerprint(listed, hide, text)}",
            hide_index=True,
            width="stretch",
            height=height,
            column_config=config,
            column_order=col_order,
            placeholder="",
            on_select="rerun",
            selection_mode=selection,
        )
        rows = event.selection.rows if event and event.selection else []
        return shown, selected_rows(listed, rows)
    st.dataframe(
        view,
        key=key,
        hide_index=True,
        width="stretch",
        height=height,
        column_config=config,
        column_order=col_order,
        placeholder="",
    )
    return shown, shown.iloc[0:0]


def download_xlsx(label: str, frames, file_name: str, key: str) -> None:
    """A download of ``frames`` (a frame, sheets, or a callable returning
    either) as .xlsx, built only when the button is clicked."""
    st.download_button(
        label,
        lambda: to_xlsx(frames() if callable(frames) else frames),
        file_name=f"{file_name}-{date.today():%Y%m%d}.xlsx",
        key=key,
        icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def lazy_tabs(views: dict, *, key: str, default: str | None = None) -> None:
    """Tabs of which only the open one runs its view (``views``: label ->
    callable without arguments).  Clicking a tab reruns the page, so a page
    with several lists queries one of them per run; the open tab is kept
    under ``key`` across reruns."""
    for label, tab in zip(views, st.tabs(list(views), key=key, on_change="rerun", default=default)):
        if tab.open:
            with tab:
                views[label]()


def admin_tabs() -> list:
    """The modules that add a tab to 系统管理 (TAB_TITLE, render(actor)), in
    order: ``ui.registry.ADMIN_TABS``."""
    from ui.registry import ADMIN_TABS  # the tabs import this module

    return list(ADMIN_TABS)


def nav_label(title: str, count: int) -> str:
    return f"{title}（{count}）" if count else title


def file_link(
    label: str, kind: str, owner_id: int, attachment_id: int = 0, *, icon: str = ":material/download:", **kw
) -> None:
    """A download of a stored file through the checked route (web/files.py):
    the server checks the requester's login and data scope on every click,
    so the link is useless to anyone else and after logout.  ``label`` must
    already be display-safe (md_text for file names)."""
    from web.files import url

    st.link_button(
        label, url(kind, owner_id, attachment_id, base_url=st.get_option("server.baseUrlPath")), icon=icon, **kw
    )


def file_label(meta: dict, prefix: str = "") -> str:
    """「prefix file name（12 KB）」 for a stored file's link."""
    return f"{prefix}{md_text(meta['file_name'])}（{meta['size_bytes'] / 1024:.0f} KB）"


def upload(label: str, types: list[str], *, key: str | None = None, multiple: bool = True, for_import: bool = False):
    """The one file uploader of every page.  The browser lets files up to the
    server's ceiling (``server.maxUploadSize``) through, so a file over the
    app's limit for attachments (``SGLD_UPLOAD_MAX_MB``) reaches the service
    and is refused there with a Chinese message that stops the whole save —
    Streamlit's own check would drop the file silently, in English, and let
    the record be saved without it.  Import files (.xlsx/.csv) may be as
    large as the ceiling."""
    from sgld import settings

    ceiling = int(st.get_option("server.maxUploadSize"))
    limit = ceiling if for_import else min(settings.get().upload_max_mb, ceiling)
    kinds = "、".join(dict.fromkeys("JPG" if t in ("jpg", "jpeg") else t.upper() for t in types))
    files = st.file_uploader(
        label,
        type=types,
        accept_multiple_files=multiple,
        key=key,
        max_upload_size=ceiling,
        help=f"支持 {kinds}，单个文件不超过 {limit} MB。",
    )
    st.caption(f"支持 {kinds}，单个文件不超过 {limit} MB。")
    return files


# -- Streamlit's own English texts -------------------------------------------------
def _ui_css() -> str:
    """One static style block (no user data in it) that replaces the texts
    Streamlit renders itself in English: the hidden original stays in the
    DOM for screen readers' structure but is neither shown nor read as text."""

    def swap(selector: str, text: str) -> str:
        return (
            f"{selector}{{visibility:hidden;font-size:0 !important;line-height:0}}"
            f'{selector}::after{{content:"{text}";visibility:visible;'
            "font-size:0.875rem;line-height:1.6}"
        )

    rules = [
        # file uploader: button, size/type line, the text shown while dragging
        swap("[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p", "选择文件"),
        swap(
            "[data-testid='stFileUploaderDropzoneInstructions'] span", "可拖放文件到此处"
        ),  # each uploader states its own limit (upload())
        swap(
            "[data-testid='stFileUploaderDropzone'] > :not(input):not(:has(button))"
            ":not([data-testid='stFileUploaderDropzoneInstructions'])",
            "将文件拖放到此处",
        ),
        # text inputs: "Press Enter to apply" / "Press Enter to submit form"
        swap("[data-testid='InputInstructions'] > span:first-child", "按回车键确认"),
        swap("[data-testid='stForm'] [data-testid='InputInstructions'] > span:first-child", "按回车键提交"),
        swap("[data-testid='stTextArea'] [data-testid='InputInstructions'] > span:first-child", "按 Ctrl+回车键确认"),
        # the keyboard users' link at the top of the page
        swap("[data-testid='stSkipToContent']", "跳到主要内容"),
        # a selectbox / multiselect whose filter matches nothing: "No results"
        swap("[role='listbox'][data-empty='true'] [role='option'] span", "无匹配项"),
    ]
    # a metric card's label wraps instead of ending in "…" ("平均签收用时（工作日）")
    rules.append(
        "[data-testid='stMetricLabel'] *{white-space:normal!important;"
        "overflow:visible!important;text-overflow:clip!important}"
    )
    # the login cookie's call to the server (ui/auth.py) and the chart
    # library's warm-up on the login page (warm_chart_library) take no room
    rules.append(".st-key-sgld_cookie,.st-key-sgld_chart_warmup{display:none}")
    return "<style>" + "".join(rules) + "</style>"


def chinese_ui_text() -> None:
    """app.py calls this on every run, before anything else is drawn."""
    st.html(_ui_css())


# -- charts -----------------------------------------------------------------------
# plotly draws in the browser: CJK fonts first so Chinese labels never fall back to boxes
CHART_FONTS = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",'
    ' "PingFang SC", "WenQuanYi Micro Hei", "SimHei", sans-serif'
)
# date ticks in Chinese at every zoom level (plotly's own are English: "Jul 2025")
DATE_TICKS = [
    {"dtickrange": [None, 3_600_000], "value": "%H:%M"},
    {"dtickrange": [3_600_000, 86_400_000], "value": "%-m月%-d日 %H时"},
    {"dtickrange": [86_400_000, "M1"], "value": "%-m月%-d日"},
    {"dtickrange": ["M1", "M12"], "value": "%Y年%-m月"},
    {"dtickrange": ["M12", None], "value": "%Y年"},
]
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?)?$")


def _is_dates(values) -> bool:
    if values is None:
        return False
    vals = [v for v in list(values) if v is not None and not (isinstance(v, float) and pd.isna(v))]
    if not vals:
        return False
    if all(isinstance(v, (date, datetime, pd.Timestamp)) for v in vals):
        return True
    try:
        import numpy as np

        if all(isinstance(v, np.datetime64) for v in vals):
            return True
    except ImportError:  # pragma: no cover
        pass
    return all(isinstance(v, str) and _DATE_TEXT.match(v) for v in vals)


def chart_dates(fig):
    """Every date axis of ``fig`` gets Chinese tick and hover formats (axes
    the page made categories keep their labels)."""
    for axis_letter in ("x", "y"):
        for ax_name in [k for k in fig.layout.to_plotly_json() if k.startswith(f"{axis_letter}axis")] or [
            f"{axis_letter}axis"
        ]:
            ref = axis_letter + ax_name[5:]
            axis = fig.layout[ax_name]
            if axis.type in ("category", "multicategory", "linear", "log"):
                continue
            data = [
                getattr(t, axis_letter, None)
                for t in fig.data
                if (getattr(t, f"{axis_letter}axis", None) or axis_letter) == ref
            ]
            if data and all(_is_dates(d) for d in data if d is not None) and any(d is not None for d in data):
                monthly = all(isinstance(v, str) and len(v) == 7 for d in data if d is not None for v in d)
                fig.layout[ax_name].update(
                    type="date", tickformatstops=DATE_TICKS, hoverformat="%Y年%-m月" if monthly else "%Y-%m-%d"
                )
    return fig


class FinishedFigure(go.Figure):
    """A styled figure built once and drawn on many runs (kept in a cache).
    ``st.plotly_chart`` asks for ``to_dict()`` on every run — a deep copy of
    the whole figure; this one hands out the dict made when it was finished,
    which nothing changes afterwards."""

    def to_dict(self):
        return self._finished


def _style_chart(fig: go.Figure) -> go.Figure:
    chart_dates(fig)
    fig.update_layout(font_family=CHART_FONTS, hoverlabel={"font_family": CHART_FONTS})
    return fig


def finish_chart(fig: go.Figure) -> FinishedFigure:
    """Chinese date ticks and CJK fonts applied once; the result can be
    cached (``st.cache_resource``) and drawn with :func:`plot_chart`."""
    out = FinishedFigure(_style_chart(fig))
    out._finished = fig.to_dict()
    return out


@st.cache_resource(show_spinner=False)
def _warmup_figure() -> FinishedFigure:
    return finish_chart(go.Figure(go.Bar(x=[""], y=[0]), layout={"template": None}))


def warm_chart_library() -> None:
    """A hidden one-bar chart on the login page: the browser fetches and
    starts plotly's script (about 0.6–1 s of its main thread) while the user
    types the password, not after 登录, when the dashboard's charts wait for
    it.  Login and landing page are one page load, so it is done once."""
    with st.container(key="sgld_chart_warmup"):
        plot_chart(_warmup_figure(), key="sgld_chart_warmup_fig", height=40)


def plot_chart(fig, *, key: str | None = None, config: dict | None = None, **kwargs):
    """st.plotly_chart for every chart: Chinese date ticks, CJK fonts, no
    plotly tool bar (its tips are English).  A :class:`FinishedFigure` is
    drawn as it is (no styling or copying on this run)."""
    if not isinstance(fig, FinishedFigure):
        _style_chart(fig)
    cfg = {"displaylogo": False, "displayModeBar": False, **(config or {})}
    kwargs.setdefault("width", "stretch")
    return st.plotly_chart(fig, key=key, config=cfg, **kwargs)
