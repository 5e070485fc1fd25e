"""Load test: the real server (``streamlit run server.py`` on loopback, on a
copy of the scale-N database — ``--scale 100`` for a city's data, the default
1 a fresh demo database) driven by N concurrent sessions of every role for a
bounded time, mixing page reads with writes.  Afterwards (server stopped) it
checks that every acknowledged write is in the database exactly once with its
audit row, that the audit chain verifies (``manage.py verify-audit``) and that
no session saw an error, and prints sessions, actions, errors, p50/p95 action
latency (overall and per kind) and the server's peak memory (VmHWM).

    .venv/bin/python bench/load_test.py                   # 30 sessions, 120 s
    .venv/bin/python bench/load_test.py --sessions 5 --seconds 30 --think 1 3
    .venv/bin/python bench/load_test.py --browser         # headless Chromium pages instead
    # CPU per action, then the sessions one server holds at p95 ≤ 1 s:
    .venv/bin/python bench/load_test.py --scale 100 --solo 3 --think 10 20 \
        --seconds 120 --steps 25 50 100 150 200

Sessions speak Streamlit's own websocket protocol (``bench/st_client.py``), no
browser: on a 2-core machine 30 Chromium renderers compete with the server,
so the latency measured through them is mostly Chromium's.  ``--browser``
keeps the old Chromium mode (Debian's chromium via Playwright).

Workload of one session (account ``ACCOUNTS[i % len(ACCOUNTS)]``, sessions
start 0.3 s apart):

* opens the app (login page) and logs in through the login form;
* then, until the time is up, repeats: think (uniform random ``--think``
  seconds, default 1–3), then one step chosen at random —
  - supervisors (supervisor, supervisor2, supervisor3, claimer), 35 %: record
    an inspection (监管录入 → 录入检查: code + Enter, 检查情况 = a unique
    marker, 保存检查记录; acknowledged by 检查记录已保存（编号 N）);
  - admin, 35 %: create a department (系统管理 → 新建部门, 部门名称 = marker,
    创建; acknowledged by the toast 已创建部门：marker);
  - approvers, 35 %: record a case (审批推送 → 办件录入, 办件编号 = marker, first
    item, 需监管部门参与环节, 保存并推送; acknowledged by 已保存 and the marker
    in the case shown);
  - otherwise a read: open one of the role's pages; on 首页 also switch the
    dashboard tab and run a quick query; on 审批推送 an archive search
    (审批办件档案, 企业名称 contains a place name).
* An *action* is one rerun request; its latency runs from sending the
  BackMsg to the end of the script run (after any ``st.rerun()``).  A write
  is 2–3 actions (page, input, submit).
* An error is: an exception or ``st.error`` on the page (except the
  警示名单 flag of the case form, which is information), a run not finished
  within 60 s, a closed socket, a login that does not come up, or a write
  without its confirmation.  After an error the session reconnects and logs
  in again.

Before the clock starts one warm-up login is made (see :func:`warm_up`:
Streamlit bounces logins opened before the first ``st.navigation`` of a
fresh server process; ``--cold`` shows it).  The exit status is 1 when a
session saw an error or an acknowledged write is missing, duplicated or
unaudited, or the audit chain is broken; latency is printed, not judged
(benchmarks on a shared machine are noisy: quote the printed load average).
The server's CPU per action (from /proc) is printed because on a busy
machine it says more than wall-clock latency.

Runs on demand only (not part of the test suite; ``tests/test_load_client.py``
runs 3 sessions for 10 s to keep the client working).  Do not open the
temporary database while the server runs; the script deletes it at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.st_client import ProtocolError, StClient  # noqa: E402

PASSWORD = "Sgld@2026"
ACCOUNTS = [
    "supervisor",
    "approver",
    "admin",
    "supervisor2",
    "leader",
    "liaison",
    "supervisor3",
    "approver2",
    "cityleader",
    "claimer",
    "liaison2",
]
ROLE = {
    "supervisor": "supervisor",
    "supervisor2": "supervisor",
    "supervisor3": "supervisor",
    "claimer": "supervisor",
    "approver": "approver",
    "approver2": "approver",
    "admin": "admin",
    "leader": "leader",
    "cityleader": "leader",
    "liaison": "liaison",
    "liaison2": "liaison",
}
WRITE_SHARE = 0.35
# st.error boxes that are business information, not failures: the case form
# flags an enterprise on the 警示名单 (and inspections can put one there)
EXPECTED = re.compile(r"^st\.error 警示名单：")
# quick query and archive search terms (place names of the demo enterprises; ≥ 2 characters)
SEARCH_TERMS = ["崇川", "港闸", "通州", "如东", "启东", "如皋", "海安", "海门", "濠河", "唐闸"]


def _env(work: Path, maintenance: str = "off") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGLD_")}
    env.update(
        {
            "SGLD_DB": str(work / "sgld.duckdb"),
            "SGLD_DATA_DIR": str(work / "data"),
            "SGLD_MODE": "demo",
            "SGLD_MAINTENANCE": maintenance,
        }
    )
    return env


def prepare(work: Path, scale: int = 1) -> list[str]:
    """The database the server will use, and enterprise codes for the
    inspections.  Scale 1: a fresh demo database, built as the first visit
    would.  Scale N > 1: a copy of ``bench/out/scale<N>/`` (built once by
    ``manage.py demo --scale N`` when missing), so the writes of a run do not
    accumulate in the shared database."""
    if scale > 1:
        from bench.common import use_database

        db, _ = use_database(scale)  # the server gets _env(work), not this process's SGLD_*
        shutil.copy2(db, work / "sgld.duckdb")
        shutil.copytree(db.parent / "data", work / "data", ignore=shutil.ignore_patterns("backups"))
    else:
        subprocess.run(
            [sys.executable, "-c", "from sgld import startup; startup.ensure_ready()"],
            cwd=ROOT,
            env=_env(work),
            check=True,
        )
    import duckdb

    con = duckdb.connect(str(work / "sgld.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT uscc FROM enterprise ORDER BY id LIMIT 200").fetchall()]
    finally:
        con.close()


@dataclass
class Results:
    latency: list[tuple[str, float]] = field(default_factory=list)  # (kind, ms)
    errors: list[str] = field(default_factory=list)
    logins: int = 0
    login_failures: int = 0
    acked: dict[str, list] = field(default_factory=lambda: {"inspection": [], "department": [], "case": []})
    messages: int = 0
    # solo runs only: server CPU per action, (kind, ms), from a probe of the server's /proc
    cpu_probe: object = None
    cpu: list[tuple[str, float]] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return len(self.latency)

    @property
    def writes(self) -> int:
        return sum(len(v) for v in self.acked.values())


class Session:
    """One user's tab, driven through StClient; every rerun is timed."""

    def __init__(
        self,
        i: int,
        url: str,
        codes: list[str],
        out: Results,
        think: tuple[float, float],
        marker: str,
        write_share: float = WRITE_SHARE,
        write_first: bool = False,
    ):
        self.i, self.url, self.codes, self.out = i, url, codes, out
        self.username = ACCOUNTS[i % len(ACCOUNTS)]
        self.role = ROLE[self.username]
        self.rng = random.Random(i)
        self.think = think
        self.marker = marker
        self.write_share, self.write_first = write_share, write_first
        self.n = 0
        self.c: StClient | None = None

    def problems(self) -> list[str]:
        return [p for p in self.c.problems() if not EXPECTED.search(p)]

    async def act(self, kind: str, coro) -> None:
        cpu0 = self.out.cpu_probe() if self.out.cpu_probe else 0.0
        await coro
        self.out.latency.append((kind, self.c.last_latency * 1000))
        if self.out.cpu_probe:
            self.out.cpu.append((kind, (self.out.cpu_probe() - cpu0) * 1000))
        if problems := self.problems():
            raise ProtocolError("; ".join(problems)[:300])

    async def start(self) -> bool:
        if self.c is not None:
            self.out.messages += self.c.messages
            await self.c.close()
        self.c = StClient(self.url, timeout=60)
        await self.c.connect()
        await self.act("open", self.c.open())
        cpu0 = self.out.cpu_probe() if self.out.cpu_probe else 0.0
        ok = await self.c.login(self.username, PASSWORD)
        self.out.latency.append(("login", self.c.last_latency * 1000))
        if self.out.cpu_probe:
            self.out.cpu.append(("login", (self.out.cpu_probe() - cpu0) * 1000))
        if not ok:
            self.out.login_failures += 1
            raise ProtocolError(
                f"login failed after {self.c.last_latency:.1f} s: "
                f"{self.problems() or self.c.texts()[-3:]}; {self.c.trace}"
            )
        self.out.logins += 1
        return True

    def pages(self) -> list[str]:
        """The pages the user's roles may open (the navigation also lists the
        others, as Chinese refusal pages for a typed address)."""
        from sgld.demo.base import ACCOUNTS
        from sgld.security import PAGES

        roles = set(ACCOUNTS[self.username][2]) if self.username in ACCOUNTS else None
        allowed = {title for title, rs in PAGES.values() if roles is None or roles & rs}
        return [p for p in self.c.pages if p in allowed and p != "账号设置"]

    async def read(self, page: str | None = None, always: bool = False) -> None:
        """Open one of the role's pages (``page``, or one at random) and
        sometimes (``always``: every time) use it: a dashboard tab and a quick
        query on 首页, an archive search on 审批推送."""
        page = page or self.rng.choice(self.pages())
        await self.act(f"page {page}", self.c.goto(page))
        if page == "首页":
            tabs = [n.text() for n in self.c.nodes("block:tab")]
            if len(tabs) > 1:
                await self.act("tab 首页", self.c.tab(self.rng.choice(tabs[1:] if always else tabs)))
            if always or self.rng.random() < 0.5:
                await self.act(
                    "quick_query",
                    self.c.enter(
                        "快速查询",
                        self.rng.choice(self.codes)[:8] if self.rng.random() < 0.5 else self.rng.choice(SEARCH_TERMS),
                    ),
                )
        elif page == "审批推送" and (always or self.rng.random() < 0.6):
            await self.act("tab 审批推送", self.c.tab("审批办件档案"))
            form = self.c.form_with("企业名称（可部分）")
            self.c.set("企业名称（可部分）", self.rng.choice(SEARCH_TERMS), form=form)
            await self.act("archive_search", self.c.click("查询", form=form))

    async def write_inspection(self, marker: str) -> None:
        c = self.c
        await self.act("page 监管录入", c.goto("监管录入"))
        if not any(n.label == "统一社会信用代码 *" for n in c.nodes("text_input")):
            await self.act("tab 录入检查", c.tab("录入检查"))  # only the open tab is rendered
        await self.act("input", c.enter("统一社会信用代码", self.rng.choice(self.codes)))
        form = c.form_with("检查情况")
        c.set("检查情况", marker, form=form)
        c.set("检查地点", "负载测试现场", form=form)
        await self.act("write inspection", c.click("保存检查记录", form=form))
        m = c.find_text(r"检查记录已保存（编号 (\d+)）")
        if not m:
            raise ProtocolError(f"inspection {marker}: no confirmation")
        self.out.acked["inspection"].append((int(m.group(1)), marker))

    async def write_department(self, marker: str) -> None:
        c = self.c
        await self.act("page 系统管理", c.goto("系统管理"))
        await self.act("tab 系统管理", c.tab("部门"))  # only the open tab runs
        form = c.form_with("新建部门")
        c.set("部门名称", marker, form=form)
        await self.act("write department", c.click("创建", form=form))
        if not c.has_text(f"^已创建部门：{re.escape(marker)}$"):
            raise ProtocolError(f"department {marker}: no confirmation")
        self.out.acked["department"].append(marker)

    async def write_case(self, marker: str) -> None:
        c = self.c
        await self.act("page 审批推送", c.goto("审批推送"))
        if not any(n.label == "办件编号 *" for n in c.nodes("text_input")):
            await self.act("tab 办件录入", c.tab("办件录入"))
        item = c.widget("审批事项", "selectbox", form="")
        c.set("办件编号", marker, form="")
        c.set("审批事项", self.rng.choice(list(item.proto.options)), form="")
        c.set("办理环节", "需监管部门参与环节", form="")
        c.set("统一社会信用代码", self.rng.choice(self.codes), form="")
        c.set("项目编号", f"XM-{marker}", form="")
        c.set("项目名称（新项目填写）", f"负载测试项目 {marker}", form="")
        c.set("批复信息", "同意（负载测试）", form="")
        c.set("有证照批文", False, form="")
        await self.act("write case", c.click("保存并推送", form=""))
        if not (c.alerts("success") and c.has_text(re.escape(marker))):
            raise ProtocolError(f"case {marker}: no confirmation")
        self.out.acked["case"].append(marker)

    async def write(self) -> bool:
        """The role's write, if it has one."""
        self.n += 1
        marker = f"{self.marker}-{self.i}-{self.n}"
        writer = {"supervisor": self.write_inspection, "admin": self.write_department, "approver": self.write_case}.get(
            self.role
        )
        if writer is None:
            return False
        await writer(marker)
        return True

    async def step(self) -> None:
        if ((self.write_first and self.n == 0) or self.rng.random() < self.write_share) and await self.write():
            return
        await self.read()

    async def run(self, seconds: float) -> None:
        await asyncio.sleep(self.i * 0.3)
        end = time.monotonic() + seconds
        started = False
        while time.monotonic() < end:
            try:
                if not started:
                    started = await self.start()
                await asyncio.sleep(self.rng.uniform(*self.think))
                await self.step()
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                self.out.errors.append(f"{self.username}#{self.i}: {exc!r}"[:400])
                started = False  # a fresh tab, logged in again
                await asyncio.sleep(1)
        if self.c is not None:
            self.out.messages += self.c.messages
            await self.c.close()


async def drive_protocol(
    url: str,
    sessions: int,
    seconds: float,
    codes: list[str],
    think=(1.0, 3.0),
    marker: str = "load",
    write_share: float = WRITE_SHARE,
    write_first: bool = False,
) -> Results:
    out = Results()
    await asyncio.gather(
        *(Session(i, url, codes, out, think, marker, write_share, write_first).run(seconds) for i in range(sessions))
    )
    return out


async def warm_up(url: str) -> float:
    """One login before the clock starts, as the first user of the day does.

    Needed because of a Streamlit behaviour (1.67) this app trips over: with a
    ``pages/`` directory, every run goes through Streamlit's v1 multipage
    wrapper until some session calls ``st.navigation`` — a process-wide flag
    (``PagesManager.uses_pages_directory``).  Logged-out runs stop before
    ``st.navigation``, so on a fresh server the login page is rendered under
    the v1 page hash; once any user has logged in the flag flips, and every
    session that opened the login page before that submits 登录 under another
    page hash: the button's widget id differs, the click is lost and the login
    form comes back without a message (the "bounced first login" that
    ``tests/browser_util.login`` retries).  ``--cold`` skips this warm-up to
    show it."""
    t0 = time.perf_counter()
    async with StClient(url, timeout=300) as c:
        await c.open()
        if not await c.login("admin", PASSWORD):
            raise ProtocolError(f"warm-up login failed: {c.problems() or c.texts()[-3:]}")
    return time.perf_counter() - t0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (incl. waited-for children), seconds."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of a process in MB."""
    vals = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmHWM:", "VmRSS:")):
            vals[line.split(":")[0]] = int(line.split()[1]) / 1024
    return vals.get("VmHWM", 0.0), vals.get("VmRSS", 0.0)


def verify(work: Path, out: Results, marker: str = "load") -> dict:
    """With the server stopped: every acknowledged write exactly once, with
    its audit row; the audit chain valid."""
    import duckdb

    like = f"{marker}-%"
    con = duckdb.connect(str(work / "sgld.duckdb"), read_only=True)
    try:
        ins = con.execute("SELECT id, findings FROM inspection WHERE findings LIKE ?", [like]).fetchall()
        deps = con.execute("SELECT id, name FROM department WHERE name LIKE ?", [like]).fetchall()
        cases = con.execute("SELECT id, case_no FROM approval_case WHERE case_no LIKE ?", [like]).fetchall()
        audited = set(
            con.execute(
                "SELECT object_type, object_id FROM audit_log WHERE action = 'create'"
                " AND object_type IN ('inspection', 'department', 'case')"
            ).fetchall()
        )
    finally:
        con.close()
    lost, dupes, unaudited = [], [], []
    present = 0
    for otype, rows, acked in (
        ("inspection", ins, [m for _, m in out.acked["inspection"]]),
        ("department", deps, out.acked["department"]),
        ("case", cases, out.acked["case"]),
    ):
        by_marker: dict[str, list[int]] = {}
        for oid, m in rows:
            by_marker.setdefault(m, []).append(oid)
        dupes += [m for m, ids in by_marker.items() if len(ids) > 1]
        for m in acked:
            ids = by_marker.get(m, [])
            if len(ids) != 1:
                lost.append(f"{otype} {m}: {len(ids)} rows")
                continue
            present += 1
            if (otype, str(ids[0])) not in audited:
                unaudited.append(f"{otype} {m}")
    # the id shown in the confirmation is the row with that marker
    by_id = dict(ins)
    wrong_id = [m for iid, m in out.acked["inspection"] if by_id.get(iid) != m]
    unacked = (len(ins) + len(deps) + len(cases)) - out.writes
    res = subprocess.run(
        [sys.executable, "manage.py", "verify-audit"], cwd=ROOT, env=_env(work), capture_output=True, text=True
    )
    return {
        "present": present,
        "lost": lost,
        "dupes": dupes,
        "unaudited": unaudited,
        "wrong_id": wrong_id,
        "unacked_present": unacked,
        "audit_ok": res.returncode == 0,
        "audit": (res.stdout + res.stderr).strip()[-300:],
    }


def server_log_problems(work: Path) -> list[str]:
    lines = (work / "server.log").read_text(errors="replace").splitlines()
    return [ln for ln in lines if re.search(r"Traceback|Error|Exception", ln)]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


SOLO_ACCOUNTS = ["leader", "supervisor", "approver", "liaison", "admin"]


async def drive_solo(url: str, codes: list[str], pid: int, repeats: int, out: Results) -> None:
    """One session at a time on an otherwise idle server: every page of each
    role, its dashboard tab / quick query / archive search, and its write,
    ``repeats`` times each, with the server's CPU read from /proc around each
    action.  /proc counts in clock ticks (10 ms), hence the repeats."""
    out.cpu_probe = lambda: cpu_seconds(pid)
    for name in SOLO_ACCOUNTS:
        s = Session(ACCOUNTS.index(name), url, codes, out, (0, 0), "load-solo")
        first = len(out.cpu)
        for _ in range(repeats):
            await s.start()  # a fresh tab and a login each time
            for page in s.pages():
                await s.read(page, always=True)
            await s.write()
        out.cpu[first:] = [(f"{kind} ({s.role})", ms) for kind, ms in out.cpu[first:]]
        out.messages += s.c.messages
        await s.c.close()
    out.cpu_probe = None


def _figures(out: Results, sessions: int, wall: float, server_cpu: float) -> dict:
    lat = [ms for _, ms in out.latency]
    kinds: dict[str, list[float]] = {}
    for k, ms in out.latency:
        kinds.setdefault(k, []).append(ms)
    return {
        "sessions": sessions,
        "wall": wall,
        "load": os.getloadavg(),
        "actions": out.actions,
        "writes": out.writes,
        "logins": out.logins,
        "login_failures": out.login_failures,
        "errors": out.errors,
        "p50": pct(lat, 0.5),
        "p95": pct(lat, 0.95),
        "max": max(lat) if lat else float("nan"),
        "by_kind": {k: (len(v), pct(v, 0.5), pct(v, 0.95)) for k, v in sorted(kinds.items())},
        "server_cpu": server_cpu,
        "actions_per_s": out.actions / wall if wall else 0.0,
    }


def run(
    sessions: int = 30,
    seconds: float = 120,
    think=(1.0, 3.0),
    browser: bool = False,
    keep: bool = False,
    quiet: bool = False,
    write_share: float = WRITE_SHARE,
    write_first: bool = False,
    cold: bool = False,
    scale: int = 1,
    maintenance: str = "off",
    steps: list[int] | None = None,
    solo: int = 0,
    target_p95: float = 1000.0,
) -> dict:
    """Start a server on the database of ``scale``, drive it, stop it, verify.

    ``solo`` > 0 first measures the server's CPU per action by kind (see
    :func:`drive_solo`).  ``steps`` (session counts, rising) runs one load of
    ``seconds`` per count on the same server and stops after the first count
    whose p95 exceeds ``target_p95`` or that saw an error; without it, one
    load of ``sessions``.  Returns every figure (the pytest of the client
    uses this too): the last step's at the top level, all of them in
    ``steps``."""
    from tests.browser_util import Server

    work = Path(tempfile.mkdtemp(prefix="sgld-load-"))
    log = (lambda *a: None) if quiet else print
    total = Results()
    figures: list[dict] = []
    solo_cpu: list[tuple[str, float]] = []
    try:
        t0 = time.time()
        codes = prepare(work, scale)
        log(f"database ready (scale {scale}) in {time.time() - t0:.0f} s")
        srv = Server(work, extra_env={"SGLD_MAINTENANCE": maintenance})
        try:
            if not cold:
                log(f"warm-up login in {asyncio.run(warm_up(srv.url)):.1f} s")
            if solo:
                out = Results()
                asyncio.run(drive_solo(srv.url, codes, srv.proc.pid, solo, out))
                solo_cpu = out.cpu
                _merge(total, out)
                log(f"solo: {len(out.cpu)} actions measured, errors {len(out.errors)}")
            own0 = time.process_time()
            for k, n in enumerate(steps or [sessions], 1):
                cpu0, start = cpu_seconds(srv.proc.pid), time.time()
                if browser:
                    out = asyncio.run(drive_browser(srv.url, n, seconds, codes))
                else:
                    out = asyncio.run(
                        drive_protocol(
                            srv.url,
                            n,
                            seconds,
                            codes,
                            think,
                            marker=f"load-s{k}",
                            write_share=write_share,
                            write_first=write_first,
                        )
                    )
                f = _figures(out, n, time.time() - start, cpu_seconds(srv.proc.pid) - cpu0)
                figures.append(f)
                _merge(total, out)
                log(
                    f"{n} sessions: p95 {f['p95']:.0f} ms, {f['actions_per_s']:.1f} actions/s, "
                    f"{1000 * f['server_cpu'] / max(1, f['actions']):.0f} ms CPU per action, "
                    f"errors {len(f['errors'])}, load {f['load'][0]:.1f}"
                )
                if steps and (f["p95"] > target_p95 or f["errors"]):
                    break
            client_cpu = time.process_time() - own0
            peak, rss = peak_rss_mb(srv.proc.pid)
        finally:
            srv.stop()
        check = verify(work, total)
        held = [f["sessions"] for f in figures if f["p95"] <= target_p95 and not f["errors"]]
        return {
            **figures[-1],
            "seconds": seconds,
            "think": think,
            "scale": scale,
            "maintenance": maintenance,
            "mode": "browser" if browser else "protocol",
            "steps": figures,
            "held": max(held, default=0),
            "target_p95": target_p95,
            "solo_cpu": solo_cpu,
            "acked": total.acked,
            "writes": total.writes,
            "errors": total.errors,
            "logins": total.logins,
            "login_failures": total.login_failures,
            "peak_mb": peak,
            "rss_mb": rss,
            "messages": total.messages,
            "client_cpu": client_cpu,
            "server_log": server_log_problems(work),
            **check,
        }
    finally:
        if keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _merge(total: Results, out: Results) -> None:
    total.latency += out.latency
    total.errors += out.errors
    total.logins += out.logins
    total.login_failures += out.login_failures
    total.messages += out.messages
    for k, v in out.acked.items():
        total.acked[k] += v


def report(r: dict) -> None:
    load = " / ".join(f"{x:.1f}" for x in r["load"])
    print(
        f"mode {r['mode']}, scale {r['scale']}, maintenance {r['maintenance']}, "
        f"{r['seconds']:.0f} s per step (think {r['think'][0]:g}–{r['think'][1]:g} s), "
        f"load average at the end {load}"
    )
    if r["solo_cpu"]:
        kinds: dict[str, list[float]] = {}
        for k, ms in r["solo_cpu"]:
            kinds.setdefault(k, []).append(ms)
        every = [ms for _, ms in r["solo_cpu"]]
        print(
            f"server CPU per action, one session at a time (median / mean over n): "
            f"all {statistics.median(every):.0f} / {statistics.mean(every):.0f} ms"
        )
        for k, v in sorted(kinds.items()):
            print(f"  {k:<30} n={len(v):<3} {statistics.median(v):5.0f} / {statistics.mean(v):5.0f} ms")
    print(
        f"{'sessions':>8} {'actions':>8} {'act/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'CPU ms/act':>10} {'cores':>5} {'errors':>6} {'load':>5}"
    )
    for f in r["steps"]:
        print(
            f"{f['sessions']:>8} {f['actions']:>8} {f['actions_per_s']:>6.1f} {f['p50']:>7.0f} "
            f"{f['p95']:>7.0f} {1000 * f['server_cpu'] / max(1, f['actions']):>10.0f} "
            f"{f['server_cpu'] / f['wall']:>5.2f} {len(f['errors']):>6} {f['load'][0]:>5.1f}"
        )
    print(f"sessions held at p95 ≤ {r['target_p95']:.0f} ms with 0 errors: {r['held']}")
    print(f"latency by kind, last step ({r['sessions']} sessions):")
    for k, (n, p50, p95) in r["by_kind"].items():
        print(f"  {k:<18} n={n:<5} p50 {p50:6.0f} ms  p95 {p95:6.0f} ms")
    print(
        f"logins {r['logins']} (failed {r['login_failures']}), "
        f"writes acknowledged {r['writes']} (inspections {len(r['acked']['inspection'])}, "
        f"departments {len(r['acked']['department'])}, cases {len(r['acked']['case'])}), "
        f"errors {len(r['errors'])}"
    )
    print(
        f"writes present exactly once: {r['present']}/{r['writes']}; duplicates {len(r['dupes'])}; "
        f"without audit row {len(r['unaudited'])}; confirmation id mismatches {len(r['wrong_id'])}; "
        f"unacknowledged but present {r['unacked_present']}"
    )
    print(f"audit chain: {'valid' if r['audit_ok'] else 'BROKEN'} ({r['audit']})")
    print(
        f"server peak memory (VmHWM) {r['peak_mb']:.0f} MB, RSS at the end {r['rss_mb']:.0f} MB; "
        f"this client's CPU {r['client_cpu']:.0f} s"
    )
    print(f"server.log lines with Traceback/Error/Exception: {len(r['server_log'])}")
    for e in r["errors"][:15]:
        print("  error:", e)
    for line in (r["lost"] + r["dupes"] + r["unaudited"] + r["wrong_id"])[:15]:
        print("  missing/duplicate:", line)
    for line in r["server_log"][:10]:
        print("  server.log:", line[:300])


# -- the old mode: headless Chromium pages (--browser) ---------------------------------
READS = {
    "supervisor": ["审批推送", "监管录入", "企业画像", "首页"],
    "approver": ["审批推送", "专项审查", "联络员", "首页"],
    "admin": ["系统管理", "审批推送", "首页"],
    "leader": ["首页", "审批推送", "监管录入", "专项审查"],
    "liaison": ["联络员", "首页"],
}
IDLE_JS = (
    "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
    " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
)


async def _b_ready(page, timeout=60_000):
    await page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    await page.wait_for_function(IDLE_JS, timeout=timeout)
    await page.wait_for_timeout(150)
    await page.wait_for_function(IDLE_JS, timeout=timeout)


async def _b_open(page, title):
    await page.locator("[data-testid='stSidebar'] a").filter(has_text=title).first.click()
    await _b_ready(page)
    if await page.locator("[data-testid='stException']").count():
        raise RuntimeError(f"exception on {title}")


async def _b_session(i, browser, url, seconds, codes, out: Results):
    username = ACCOUNTS[i % len(ACCOUNTS)]
    role = ROLE[username]
    rng = random.Random(i)
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900}, locale="zh-CN")
    page = await ctx.new_page()
    try:
        await page.goto(url)
        await page.get_by_label("用户名").wait_for(timeout=120_000)
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="登录", exact=True).click()
        await page.get_by_text("退出登录").wait_for(timeout=120_000)
        await _b_ready(page)
        out.logins += 1
    except Exception as exc:  # noqa: BLE001
        out.login_failures += 1
        out.errors.append(f"{username}#{i} login: {exc!r}"[:300])
        await ctx.close()
        return
    end = time.monotonic() + seconds
    seen: set[int] = set()
    n = 0
    while time.monotonic() < end:
        n += 1
        marker = f"load-{i}-{n}"
        write = role in ("supervisor", "admin") and rng.random() < 0.4
        t = time.perf_counter()
        try:
            if write and role == "supervisor":
                await _b_open(page, "监管录入")
                await page.get_by_role("tab", name="录入检查").click()
                panel = page.get_by_role("tabpanel")
                box = panel.get_by_role("textbox", name="统一社会信用代码")
                await box.fill(rng.choice(codes))
                await box.press("Enter")
                await _b_ready(page)
                await panel.get_by_role("textbox", name="检查地点").fill("负载测试现场")
                await panel.get_by_role("textbox", name="检查情况").fill(marker)
                await panel.get_by_role("button", name="保存检查记录").click()
                deadline, iid = time.monotonic() + 60, None
                while iid is None and time.monotonic() < deadline:
                    for text in await page.get_by_text("检查记录已保存").all_inner_texts():
                        m = re.search(r"编号 (\d+)", text)
                        if m and int(m.group(1)) not in seen:
                            iid = int(m.group(1))
                    await page.wait_for_timeout(100)
                if iid is None:
                    raise TimeoutError("no confirmation of the inspection")
                seen.add(iid)
                await _b_ready(page)
                out.acked["inspection"].append((iid, marker))
            elif write:
                await _b_open(page, "系统管理")
                await page.get_by_role("tab", name="部门", exact=True).click()
                form = page.locator("[data-testid='stForm']").filter(has_text="新建部门")
                await form.get_by_role("textbox", name="部门名称").fill(marker)
                await form.get_by_role("button", name="创建").click()
                await page.get_by_text(f"已创建部门：{marker}").first.wait_for(timeout=60_000)
                await _b_ready(page)
                out.acked["department"].append(marker)
            else:
                await _b_open(page, rng.choice(READS[role]))
            out.latency.append(("write" if write else "page", (time.perf_counter() - t) * 1000))
        except Exception as exc:  # noqa: BLE001
            out.errors.append(f"{username}#{i} {'write' if write else 'read'}: {exc!r}"[:300])
            try:
                await page.goto(url)
                await _b_ready(page)
            except Exception:  # noqa: BLE001
                break
    await ctx.close()


async def drive_browser(url, sessions, seconds, codes) -> Results:
    from playwright.async_api import async_playwright

    from tests.browser_util import CHROMIUM, CHROMIUM_ARGS

    out = Results()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(*(_b_session(i, browser, url, seconds, codes, out) for i in range(sessions)))
        await browser.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=120, help="length of the load (of each step)")
    ap.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(1.0, 3.0),
        metavar=("MIN", "MAX"),
        help="think time between steps, uniform random seconds (default 1 3)",
    )
    ap.add_argument(
        "--scale",
        type=int,
        default=1,
        help="1: a fresh demo database; N > 1: a copy of bench/out/scale<N>/ "
        "(built once with manage.py demo --scale N)",
    )
    ap.add_argument(
        "--maintenance",
        choices=("on", "off"),
        default="off",
        help="SGLD_MAINTENANCE of the server (daily backup thread), default off",
    )
    ap.add_argument(
        "--solo",
        type=int,
        default=0,
        metavar="N",
        help="first measure the server's CPU per action by kind, N repeats per action",
    )
    ap.add_argument(
        "--steps",
        type=int,
        nargs="+",
        metavar="SESSIONS",
        help="session counts to step through (one load of --seconds each) until "
        "p95 exceeds 1 s or a session sees an error",
    )
    ap.add_argument("--browser", action="store_true", help="drive headless Chromium pages instead of protocol sessions")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--cold", action="store_true", help="no warm-up login before the sessions start (see warm_up)")
    args = ap.parse_args()
    print(f"load average before: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    r = run(
        args.sessions,
        args.seconds,
        tuple(args.think),
        args.browser,
        args.keep,
        cold=args.cold,
        scale=args.scale,
        maintenance=args.maintenance,
        steps=args.steps,
        solo=args.solo,
    )
    report(r)
    # a step that breaks the p95 target may see errors (that is what a step finds);
    # a lost, duplicated or unaudited write never passes
    ok = (
        not r["lost"]
        and not r["dupes"]
        and r["audit_ok"]
        and not r["unaudited"]
        and not r["wrong_id"]
        and (args.steps or (not r["errors"] and r["login_failures"] == 0))
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
