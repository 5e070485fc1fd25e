"""Issue 16.16 / 16.17: every page of every role, every tab, as the server
sends it (AppTest): no Latin-letter UI words outside an allow-list (codes,
numbers, account names, file extensions, units); every selectbox and
multiselect has a Chinese placeholder and no English "Select all"; no list is
drawn without rows (Streamlit's "empty"); no list cell reads None, NaT,
00:00:00 or 2.000000."""

from __future__ import annotations

import re

import pytest
from google.protobuf.json_format import MessageToDict

from sgld.security import PAGES
from tests.apptest_util import PAGE_FILES, as_logged_in, login
from tests.conftest import actor

USERS = ["admin", "leader", "approver", "supervisor", "liaison", "claimer", "cityleader"]
# the tab bar of each page and the session key that opens a tab
TAB_KEYS = {
    "home": "home_tab",
    "push": "push_tab",
    "supervise": "sup_tab",
    "review": "review_tab",
    "liaison": "lz_tab",
    "admin": "admin_tab",
}

# Latin words a Chinese user may meet: account names, file types, units, brands
ALLOWED = {
    "admin",
    "leader",
    "approver",
    "supervisor",
    "liaison",
    "claimer",
    "cityleader",
    "pdf",
    "docx",
    "doc",
    "jpg",
    "jpeg",
    "png",
    "ofd",
    "xlsx",
    "xls",
    "csv",
    "excel",
    "utf",
    "bom",
    "gbk",
    "kb",
    "mb",
    "gb",
    "t",
    "ctrl",
    "enter",
    "id",
    "url",
    "sql",
    "sso",
    "ip",
    "http",
    "https",
    "system",
    "sqlalchemy",
    "duckdb",
    "yyyy",
    "mm",
    "dd",
    "hh",
    "ss",
    "json",
    "api",
    "cas",
    "oa",
}
# proto fields that hold text shown to the user
TEXT_KEYS = {
    "label",
    "placeholder",
    "body",
    "help",
    "options",
    "text",
    "caption",
    "title",
    "message",
    "content",
    "description",
    "delta",
}
_CODES = re.compile(r"[A-Za-z0-9_./\\-]*\d[A-Za-z0-9_./\\-]*")  # codes, numbers, file names
_MD = re.compile(r":material/[a-z_]+:|:[a-z]+-badge\[|:[a-z]+\[|https?://\S+|&[a-z]+;")
_WORD = re.compile(r"[A-Za-z]+")
# configuration codes shown to the administrator as they must be typed: connection
# addresses, column mappings (field=列名), settings names, package names
_CONFIG = re.compile(
    r"\S+://\S*|/[\w./-]+|[a-z_]+=|\bSGLD_\w*|\S+\.(toml|md|py)\b|\[[a-z_]+\]|"
    r"\b[a-z]+(-[a-z]+)+\b|[A-Za-z]+（[A-Za-z]+）|\b[a-z]+_[a-z_]+\b"
)
# the audit log's filters list the stored action and object codes (their Chinese
# names are issue 16.18's, not this test's)
CODE_LISTS = {"操作", "对象类型"}


def latin_words(text: str, allowed: set[str] = frozenset()) -> set[str]:
    text = _CODES.sub(" ", _CONFIG.sub(" ", _MD.sub(" ", text)))
    return {w for w in _WORD.findall(text) if w.lower() not in ALLOWED | allowed}


def _strings(obj, out: list[str]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in TEXT_KEYS or isinstance(v, (dict, list)):
                _strings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _strings(v, out)
    elif isinstance(obj, str) and not re.fullmatch(r"[A-Z_]+", obj) and "<style>" not in obj:
        out.append(obj)  # not an enum value (SINGLE_ROW) nor a static style block


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def problems(at, where: str, accounts: set[str]) -> list[str]:
    found = []
    if at.exception:
        return [f"{where}: exception {at.exception[0].message}"]
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or kind in ("plotly_chart", "html", "component_instance"):
            continue
        texts: list[str] = []
        _strings(MessageToDict(proto), texts)
        if kind == "arrow_data_frame":
            frame = node.value
            if not len(frame):
                found.append(f"{where}: a list without rows (drawn as 'empty')")
            cells = frame.astype(str)
            texts += [str(c) for c in frame.columns]
            for col in cells.columns:
                for v in cells[col].unique()[:200]:
                    if v in ("None", "NaT", "nan") or re.search(r"\d 00:00:00|:\d\d:\d\d$|\.\d{3,}$", v):
                        found.append(f"{where}: cell {col}={v!r}")
                        break
        if kind in ("selectbox", "multiselect"):
            unset = kind == "multiselect" or not proto.HasField("default")
            if unset and (not proto.placeholder or latin_words(proto.placeholder)):
                found.append(f"{where}: {kind} {proto.label!r} without a Chinese placeholder")
            if kind == "multiselect" and proto.select_all:
                found.append(f"{where}: multiselect {proto.label!r} offers 'Select all'")
            if proto.label in CODE_LISTS:
                continue
            texts += list(proto.options)
        words = set()
        for t in texts:
            words |= latin_words(t, accounts)
        if words:
            found.append(f"{where}: {kind} {sorted(words)} in {' | '.join(texts)[:120]!r}")
    return found


def _tabs(at) -> list[str]:
    return [t.label for t in at.tabs]


@pytest.mark.slow  # every page and tab of every role, in AppTest
@pytest.mark.parametrize("username", USERS)
def test_every_page_and_tab_speaks_chinese(db, username):
    a = actor(username)
    accounts = {u.lower() for (u,) in db.all("SELECT username FROM app_user")}
    found: list[str] = []
    for key, (title, roles) in PAGES.items():
        if not a.has(*roles):
            continue
        at = login(username) if key == "home" else as_logged_in(PAGE_FILES[key], username).run()
        found += problems(at, f"{username} {title}", accounts)
        tab_key = TAB_KEYS.get(key)
        if not tab_key:
            continue
        for tab in _tabs(at)[1:]:
            if key == "home":
                at.session_state[tab_key] = tab
                at.run()
            else:
                at = as_logged_in(PAGE_FILES[key], username)
                at.session_state[tab_key] = tab
                at.run()
            found += problems(at, f"{username} {title}/{tab}", accounts)
    assert not found, "\n".join(dict.fromkeys(found))
