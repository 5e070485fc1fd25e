"""Load test: the real server (`streamlit run app.py` on loopback, fresh demo
database) driven by N concurrent headless-Chromium sessions (default 30) of
every role for a bounded time, mixing page reads with writes (supervisors
record inspections, admins create departments, approvers and leaders read
the archive and dashboards, liaisons their workspace).  Afterwards it checks
that every acknowledged write is in the database exactly once, the audit
chain verifies and no session saw an error, and prints sessions, actions,
errors, p50/p95 action latency and the server's peak memory.

    .venv/bin/python bench/load_test.py [--sessions 30] [--seconds 120]

Runs on demand only (not part of the test suite).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import async_playwright  # noqa: E402

from tests.browser_util import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

PASSWORD = "Sgld@2026"
ACCOUNTS = ["supervisor", "approver", "admin", "supervisor2", "leader", "liaison", "supervisor3",
            "approver2"]
READS = {
    "supervisor": ["审批推送", "监管录入", "企业画像", "首页"],
    "approver": ["审批推送", "专项审查", "联络员", "首页"],
    "admin": ["系统管理", "审批推送", "首页"],
    "leader": ["首页", "审批推送", "监管录入", "专项审查"],
    "liaison": ["联络员", "首页"],
}
IDLE_JS = ("() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
           " && !document.querySelector('[data-testid=\"stSkeleton\"]')")


def role_of(username: str) -> str:
    return username.rstrip("0123456789")


async def ready(page, timeout=60_000):
    await page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    await page.wait_for_function(IDLE_JS, timeout=timeout)
    await page.wait_for_timeout(150)
    await page.wait_for_function(IDLE_JS, timeout=timeout)


async def login(page, url, username):
    await page.goto(url)
    await page.get_by_label("用户名").wait_for(timeout=120_000)
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.get_by_text("退出登录").wait_for(timeout=120_000)
    await ready(page)


async def open_page(page, title):
    link = page.locator("[data-testid='stSidebar'] a").filter(has_text=title).first
    await link.click()
    await ready(page)
    if await page.locator("[data-testid='stException']").count():
        raise RuntimeError(f"exception on {title}")


async def write_inspection(page, code, marker, seen: set):
    """Returns the new inspection's id from the page's confirmation."""
    await open_page(page, "监管录入")
    await page.get_by_role("tab", name="录入检查").click()
    panel = page.get_by_role("tabpanel")
    box = panel.get_by_role("textbox", name="统一社会信用代码")
    await box.fill(code)
    await box.press("Enter")
    await ready(page)
    await panel.get_by_role("textbox", name="检查情况").fill(marker)
    await panel.get_by_role("button", name="保存检查记录").click()
    # Streamlit keeps the previous run's elements on screen while it reruns,
    # so only a confirmation with an id not seen before acknowledges this write
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for text in await page.get_by_text("检查记录已保存").all_inner_texts():
            m = re.search(r"编号 (\d+)", text)
            if m and int(m.group(1)) not in seen:
                seen.add(int(m.group(1)))
                await ready(page)
                return int(m.group(1))
        await page.wait_for_timeout(100)
    raise TimeoutError("no confirmation of the inspection")


async def write_department(page, marker):
    await open_page(page, "系统管理")
    await page.get_by_role("tab", name="部门", exact=True).click()
    form = page.locator("[data-testid='stForm']").filter(has_text="新建部门")
    await form.get_by_role("textbox", name="部门名称").fill(marker)
    await form.get_by_role("button", name="创建").click()
    await page.get_by_text(f"已创建部门：{marker}").first.wait_for(timeout=60_000)
    await ready(page)


async def session(i, browser, url, seconds, codes, out):
    username = ACCOUNTS[i % len(ACCOUNTS)]
    role = role_of(username)
    rng = random.Random(i)
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900}, locale="zh-CN")
    page = await ctx.new_page()
    try:
        await login(page, url, username)
    except Exception as exc:  # noqa: BLE001
        out["errors"].append(f"{username}#{i} login: {exc!r}"[:300])
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
                iid = await write_inspection(page, rng.choice(codes), marker, seen)
                out["acked"]["inspection"].append((iid, marker))
            elif write:
                await write_department(page, marker)
                out["acked"]["department"].append(marker)
            else:
                await open_page(page, rng.choice(READS[role]))
            out["latency"].append((time.perf_counter() - t) * 1000)
            out["actions"] += 1
        except Exception as exc:  # noqa: BLE001
            out["errors"].append(f"{username}#{i} {'write' if write else 'read'}: {exc!r}"[:300])
            try:
                await page.goto(url)
                await ready(page)
            except Exception:  # noqa: BLE001
                break
    await ctx.close()


def peak_rss_mb(pid: int) -> float:
    total = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            total = int(line.split()[1]) / 1024
    return total


async def drive(url, sessions, seconds, codes):
    out = {"latency": [], "errors": [], "actions": 0,
           "acked": {"inspection": [], "department": []}}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(*(session(i, browser, url, seconds, codes, out)
                               for i in range(sessions)))
        await browser.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--seconds", type=int, default=120)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sgld-load-"))
    srv = Server(work)
    try:
        import duckdb
        import urllib.request
        urllib.request.urlopen(srv.url).read()
        # the demo database is created by the server's first session; wait for it
        t0 = time.time()
        asyncio.run(drive(srv.url, 1, 1, ["x"]))
        print(f"server ready with demo data in {time.time() - t0:.0f} s")
        # enterprises the supervisors may inspect (any valid code works)
        codes = [f"{c}" for c in _codes(work)]
        start = time.time()
        out = asyncio.run(drive(srv.url, args.sessions, args.seconds, codes))
        wall = time.time() - start
        peak = peak_rss_mb(srv.proc.pid)
    finally:
        srv.stop()
    con = duckdb.connect(str(work / "sgld.duckdb"), read_only=True)
    ins = dict(con.execute("SELECT findings, count(*) FROM inspection WHERE findings LIKE 'load-%'"
                           " GROUP BY 1").fetchall())
    by_id = dict(con.execute("SELECT id, findings FROM inspection WHERE findings LIKE 'load-%'")
                 .fetchall())
    dep = dict(con.execute("SELECT name, count(*) FROM department WHERE name LIKE 'load-%'"
                           " GROUP BY 1").fetchall())
    con.close()
    lost = [m for i, m in out["acked"]["inspection"] if ins.get(m) != 1 or by_id.get(i) != m] + \
           [m for m in out["acked"]["department"] if dep.get(m) != 1]
    dupes = [m for m, c in {**ins, **dep}.items() if c > 1]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import os
    os.environ.update({"SGLD_DB": str(work / "sgld.duckdb"), "SGLD_DATA_DIR": str(work / "data"),
                       "SGLD_MAINTENANCE": "off"})
    from db.connection import get_db
    from sgld import audit
    ok, n, broken = audit.verify(get_db())
    lat = sorted(out["latency"])
    p50 = statistics.median(lat) if lat else float("nan")
    p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
    writes = len(out["acked"]["inspection"]) + len(out["acked"]["department"])
    print(f"sessions {args.sessions}, {wall:.0f} s: actions {out['actions']} "
          f"({writes} writes acknowledged), errors {len(out['errors'])}")
    print(f"action latency p50 {p50:.0f} ms, p95 {p95:.0f} ms (target p95 ≤ 1000 ms)")
    print(f"writes present exactly once: {writes - len(lost)}/{writes}; duplicates {len(dupes)}; "
          f"audit chain {'valid' if ok else f'BROKEN at {broken}'} ({n} rows)")
    print(f"server peak memory {peak:.0f} MB")
    for e in out["errors"][:10]:
        print("  error:", e)


def _codes(work: Path) -> list[str]:
    import duckdb
    for _ in range(60):
        try:
            con = duckdb.connect(str(work / "sgld.duckdb"), read_only=True)
            break
        except duckdb.IOException:
            # the server holds the file: take codes from the demo generator instead
            from sgld.demo.base import make_enterprises
            return list(make_enterprises(random.Random(20151029), 50)["uscc"])
    codes = [r[0] for r in con.execute("SELECT uscc FROM enterprise LIMIT 50").fetchall()]
    con.close()
    return codes


if __name__ == "__main__":
    main()
