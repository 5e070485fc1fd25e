"""A small browser-less Streamlit client speaking the app's own protocol.

It opens the websocket ``/_stcore/stream`` of a running ``streamlit run``
server exactly as the frontend does (subprotocol ``streamlit``; binary
protobuf ``BackMsg`` up, ``ForwardMsg`` down) and keeps, per session:

* the element tree of the last complete script run (``new_session`` starts a
  run and resets the tree; ``delta`` messages put elements and blocks at their
  ``delta_path``; a run ends with ``script_finished`` — a run that ended early
  because the script called ``st.rerun()`` is followed by the next one, so an
  action waits for the first end that is not ``FINISHED_EARLY_FOR_RERUN``);
* the pages of ``st.navigation`` (the ``navigation`` message) so that
  :meth:`StClient.goto` can switch pages by title (a rerun with the page's
  script hash, as a click on ``st.page_link`` does);
* the widget values the user has set, sent with every rerun like the
  frontend's widget state manager (widgets never touched keep the value the
  server holds for them; a trigger — button, form submit — is sent once).

An *action* is one rerun request; its latency is the time from sending the
``BackMsg`` to the end of the run.  After each action ``problems()`` lists
what a user would see as a failure: exceptions (``st.exception`` / uncaught
errors) and ``st.error`` alerts.

Only what the load test needs is implemented: text inputs and areas,
selectboxes, checkboxes, buttons and form submit buttons, stateful tabs
(``st.tabs(..., on_change="rerun")``), page switching, reading texts
(markdown, alerts, toasts, captions, headings, exceptions).  Uploads,
dataframe selections and custom components are not.

    async with StClient("http://127.0.0.1:8501") as c:
        await c.open()                       # first run: the login page
        await c.login("supervisor", "Sgld@2026")
        await c.goto("监管录入")
        c.set("检查情况", "…"); await c.click("保存检查记录")
        print(c.texts(), c.problems(), c.last_latency)
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINAL = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
WIDGETS = {
    "text_input",
    "text_area",
    "selectbox",
    "checkbox",
    "button",
    "multiselect",
    "number_input",
    "date_input",
    "time_input",
    "radio",
}
ALERT_KINDS = {Alert.ERROR: "error", Alert.WARNING: "warning", Alert.INFO: "info", Alert.SUCCESS: "success"}


class ProtocolError(RuntimeError):
    """The server did something a browser would show as broken (closed the
    socket, did not finish a run in time, page not found, compile error)."""


@dataclass
class Node:
    """One element or block of the current run."""

    path: tuple[int, ...]
    kind: str  # element type ("text_input", "alert", …) or "block:<type>"
    proto: object  # the element's own message (e.g. TextInput) or the Block
    form_id: str = ""

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "") or ""

    @property
    def id(self) -> str:
        if self.kind == "block:tab_container":
            return self.proto.tab_container.id
        return getattr(self.proto, "id", "") or ""

    def text(self) -> str:
        p, k = self.proto, self.kind
        if k in ("markdown", "text", "toast", "alert"):
            return p.body
        if k == "heading":
            return p.body
        if k == "exception":
            return f"{p.type}: {p.message}"
        if k == "block:tab":
            return p.tab.label
        if k == "block:expandable":
            return p.expandable.label
        return self.label


@dataclass
class Page:
    title: str
    script_hash: str
    url_path: str


@dataclass
class StClient:
    base_url: str
    timeout: float = 60.0
    tree: dict[tuple[int, ...], Node] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    page_hash: str = ""
    query_string: str = ""
    last_latency: float = 0.0  # seconds, of the last action
    last_status: int | None = None
    messages: int = 0  # ForwardMsgs received in total
    trace: list[str] = field(default_factory=list)  # what the last action sent and got (no deltas)
    _states: dict[str, WidgetState] = field(default_factory=dict)
    _forms_clear: dict[str, bool] = field(default_factory=dict)
    _ws: object = None

    # -- connection --------------------------------------------------------
    async def __aenter__(self) -> "StClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        u = urlsplit(self.base_url)
        scheme = "wss" if u.scheme == "https" else "ws"
        path = u.path.rstrip("/")
        # the frontend passes (protocol, xsrf token, session id) in the subprotocol
        # header; only the first entry is needed without cookies.  No Origin header:
        # the server allows non-browser clients without one.
        self._ws = await websockets.connect(
            f"{scheme}://{u.netloc}{path}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=20,
            ping_timeout=None,
            compression=None,
        )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    # -- running the script -------------------------------------------------
    async def open(self, url_path: str = "", query_string: str = "") -> None:
        """The first run of a new tab: like loading ``/<url_path>?<query>``."""
        self.query_string = query_string
        await self._rerun(page_name=url_path)

    async def rerun(self) -> None:
        await self._rerun(page_hash=self.page_hash)

    async def goto(self, title: str, query_string: str = "") -> None:
        """Switch to an ``st.navigation`` page by its title (like its page link)."""
        page = self.pages.get(title)
        if page is None:
            raise ProtocolError(f"no page {title!r}; pages: {sorted(self.pages)}")
        self.query_string = query_string
        self._states.clear()  # the frontend drops the widgets of the page it leaves
        await self._rerun(page_hash=page.script_hash)

    async def _rerun(self, *, page_hash: str = "", page_name: str = "") -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = page_hash
        cs.page_name = page_name
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.timezone_offset = -480
        cs.context_info.locale = "zh-CN"
        cs.context_info.url = self.base_url
        for ws in self._states.values():
            cs.widget_states.widgets.add().CopyFrom(ws)
        # triggers (buttons) are true for one run only
        self._states = {k: v for k, v in self._states.items() if v.WhichOneof("value") != "trigger_value"}
        self.trace = [
            f"send page={page_hash[:8]}/{page_name} widgets="
            + ",".join(f"{w.id[-40:]}:{w.WhichOneof('value')}" for w in cs.widget_states.widgets)
        ]
        t0 = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        await self._until_finished()
        self.last_latency = time.perf_counter() - t0

    async def _until_finished(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"the run did not finish within {self.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self._ws.recv(), left)
            except asyncio.TimeoutError:
                raise ProtocolError(f"the run did not finish within {self.timeout:.0f} s") from None
            except websockets.ConnectionClosed as exc:
                raise ProtocolError(f"the server closed the session: {exc}") from exc
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            self.messages += 1
            t = fm.WhichOneof("type")
            if t == "script_finished":
                t += f":{fm.script_finished}"
            elif t in ("new_session", "navigation"):
                t += f":{getattr(fm, t).page_script_hash[:8]}"
            if t != "delta":
                self.trace.append(t)
            if self._handle(fm):
                return

    def _handle(self, fm: ForwardMsg) -> bool:
        """Apply one message; True when it ends the action."""
        t = fm.WhichOneof("type")
        if t == "new_session":
            self.tree = {}
            self._forms_clear = {}
            self.page_hash = fm.new_session.page_script_hash
        elif t == "navigation":
            nav = fm.navigation
            self.page_hash = nav.page_script_hash or self.page_hash
            self.pages = {p.page_name: Page(p.page_name, p.page_script_hash, p.url_pathname) for p in nav.app_pages}
        elif t == "delta":
            self._apply(tuple(fm.metadata.delta_path), fm.delta)
        elif t == "page_not_found":
            raise ProtocolError(f"page not found: {fm.page_not_found.page_name!r}")
        elif t == "script_finished":
            self.last_status = fm.script_finished
            if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                raise ProtocolError("the script did not compile")
            return fm.script_finished in FINAL
        return False

    def _apply(self, path: tuple[int, ...], delta) -> None:
        kind = delta.WhichOneof("type")
        if kind == "new_transient":  # spinners and the like
            return
        # whatever was at this path before (and below it) is replaced
        for p in [p for p in self.tree if p[: len(path)] == path]:
            del self.tree[p]
        if kind == "new_element":
            el = delta.new_element
            etype = el.WhichOneof("type")
            proto = getattr(el, etype) if etype else el
            node = Node(path, etype or "empty", proto, getattr(proto, "form_id", "") or "")
            if etype in WIDGETS and getattr(proto, "set_value", False):
                self._states.pop(node.id, None)  # the script set this widget's value
        elif kind == "add_block":
            b = delta.add_block
            btype = b.WhichOneof("type") or "vertical"
            node = Node(path, f"block:{btype}", b)
            if btype == "form":
                node.form_id = b.form.form_id
                self._forms_clear[b.form.form_id] = b.form.clear_on_submit
            else:
                node.form_id = self._form_of(path)
        else:
            return
        if not node.form_id:
            node.form_id = self._form_of(path)
        self.tree[path] = node

    def _form_of(self, path: tuple[int, ...]) -> str:
        for i in range(len(path) - 1, 0, -1):
            parent = self.tree.get(path[:i])
            if parent is not None and parent.form_id:
                return parent.form_id
        return ""

    # -- reading the page ------------------------------------------------------
    def nodes(self, kind: str | None = None) -> list[Node]:
        return [self.tree[p] for p in sorted(self.tree) if kind is None or self.tree[p].kind == kind]

    def texts(self) -> list[str]:
        """Every visible text of the run, in page order, as the user reads it
        (Markdown backslash escapes resolved)."""
        return [_shown(t) for n in self.nodes() if (t := n.text())]

    def has_text(self, pattern: str) -> bool:
        rx = re.compile(pattern)
        return any(rx.search(t) for t in self.texts())

    def find_text(self, pattern: str) -> re.Match | None:
        rx = re.compile(pattern)
        for t in self.texts():
            if m := rx.search(t):
                return m
        return None

    def alerts(self, kind: str) -> list[str]:
        return [_shown(n.proto.body) for n in self.nodes("alert") if ALERT_KINDS.get(n.proto.format) == kind]

    def problems(self) -> list[str]:
        """Exceptions and st.error messages shown by the last run."""
        out = [f"exception {n.text()}" for n in self.nodes("exception")]
        out += [f"st.error {t}" for t in self.alerts("error")]
        return out

    def widget(self, label: str, kind: str | None = None, form: str | None = None) -> Node:
        """The widget with this label (``kind`` and ``form`` narrow it down; a
        label ending in `` *`` — required field — matches without the star)."""
        hits = []
        for n in self.nodes():
            if n.kind not in WIDGETS or (kind and n.kind != kind):
                continue
            if n.label.rstrip(" *") != label.rstrip(" *"):
                continue
            if form is not None and n.form_id != form:
                continue
            hits.append(n)
        if not hits:
            raise ProtocolError(f"no widget labelled {label!r} on the page")
        return hits[0]

    def form_with(self, text: str) -> str:
        """The id of the first form containing a text or widget label."""
        for n in self.nodes():
            if n.form_id and (n.text() == text or n.label.rstrip(" *") == text):
                return n.form_id
        raise ProtocolError(f"no form containing {text!r}")

    # -- acting on widgets -------------------------------------------------------
    def set(self, label: str, value, *, kind: str | None = None, form: str | None = None) -> Node:
        """Set a widget's value; sent with the next rerun (a form field is
        sent when the form is submitted, an input outside a form with
        :meth:`enter`)."""
        n = self.widget(label, kind, form)
        ws = WidgetState(id=n.id)
        if n.kind in ("text_input", "text_area"):
            ws.string_value = str(value)
        elif n.kind == "selectbox":
            options = list(n.proto.options)
            if str(value) not in options:
                raise ProtocolError(f"{label!r} has no option {value!r}")
            ws.string_value = str(value)
        elif n.kind == "checkbox":
            ws.bool_value = bool(value)
        else:
            raise ProtocolError(f"setting a {n.kind} is not supported")
        self._states[n.id] = ws
        return n

    async def enter(self, label: str, value, **kw) -> None:
        """Type into an input outside a form and press Enter (one rerun)."""
        self.set(label, value, **kw)
        await self.rerun()

    async def click(self, label: str, *, form: str | None = None) -> None:
        """Press a button or a form's submit button (one rerun)."""
        n = self.widget(label, "button", form)
        if n.proto.disabled:
            raise ProtocolError(f"button {label!r} is disabled")
        self._states[n.id] = WidgetState(id=n.id, trigger_value=True)
        await self.rerun()
        if n.proto.is_form_submitter and self._forms_clear.get(n.form_id):
            # clear_on_submit: the frontend resets the form's fields
            ids = {m.id for m in self.nodes() if m.form_id == n.form_id}
            for i in ids:
                self._states.pop(i, None)

    async def tab(self, label: str) -> None:
        """Open a tab of ``st.tabs(..., on_change="rerun")`` (one rerun);
        tabs without on_change are client-side only and need no action."""
        for n in self.nodes("block:tab_container"):
            labels = [c.proto.tab.label for c in self.nodes("block:tab") if c.path[:-1] == n.path]
            if label in labels:
                if not n.id:
                    return  # static tabs: every tab is already rendered
                self._states[n.id] = WidgetState(id=n.id, string_value=label)
                await self.rerun()
                return
        raise ProtocolError(f"no tab {label!r}")

    # -- the app's login form ------------------------------------------------------
    async def login(self, username: str, password: str) -> bool:
        """Log in through the app's form; True when the app came up (a 退出登录
        button in the sidebar)."""
        form = self.form_with("用户名")
        self.set("用户名", username, form=form)
        self.set("密码", password, form=form)
        await self.click("登录", form=form)
        return any(n.label == "退出登录" for n in self.nodes("button"))


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()<>#+\-.!|~$:=^&])")


def _shown(text: str) -> str:
    """Markdown text as displayed: the app escapes user text with backslashes."""
    return _ESCAPED.sub(r"\1", text)
