"""Login submit → the leader's dashboard fully drawn, in headless Chromium.

Starts the real server on a copy of the scale-N database (as
``bench/load_test.py`` does), opens the login page, types the leader's
password (``--typing`` seconds from the page's arrival, as a person) and
clicks 登录; the clock runs from the click until the landing
page shows every chart of its open tab with its bars drawn and Streamlit is
idle.  Also prints when the server finished its run (the script-finished
message on the websocket), so the browser's share is visible.

    .venv/bin/python bench/bench_login_draw.py --scale 100 --runs 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load_test  # noqa: E402

DRAWN_JS = """() => {
  const plots = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')];
  const idle = !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
  return idle && plots.length > 0 && plots.every(p => p.querySelector('.main-svg .bars path, .main-svg .scatterlayer path'));
}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--user", default="leader")
    ap.add_argument(
        "--cold",
        action="store_true",
        help="a new browser profile per login (nothing cached: plotly's script is "
        "fetched and compiled each time); default: one profile, as a clerk's browser",
    )
    ap.add_argument(
        "--typing",
        type=float,
        default=3.0,
        help="seconds from the login page's arrival to the click, as a person "
        "typing a user name and password (default 3)",
    )
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from tests.browser_util import CHROMIUM, CHROMIUM_ARGS, Server

    print(f"load average before: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    work = Path(tempfile.mkdtemp(prefix="sgld-draw-"))
    try:
        load_test.prepare(work, args.scale)
        srv = Server(work, extra_env={"SGLD_MAINTENANCE": "off"})
        try:
            import asyncio

            asyncio.run(load_test.warm_up(srv.url))
            drawn, server_done, charts = [], [], 0
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                ctx = None
                for i in range(args.runs + (0 if args.cold else 1)):
                    if ctx is None or args.cold:
                        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                    ctx.clear_cookies()
                    page = ctx.new_page()
                    finished: list[float] = []
                    page.on(
                        "websocket",
                        lambda ws, finished=finished: ws.on(
                            "framereceived", lambda _f: finished.append(time.perf_counter())
                        ),
                    )
                    page.goto(srv.url)
                    arrived = time.perf_counter()
                    page.get_by_label("用户名").fill(args.user)
                    page.get_by_label("密码").fill(load_test.PASSWORD)
                    page.wait_for_timeout(max(0.0, args.typing - (time.perf_counter() - arrived)) * 1000)
                    t0 = time.perf_counter()
                    page.get_by_role("button", name="登录", exact=True).click()
                    page.get_by_text("退出登录").wait_for(timeout=120_000)
                    page.wait_for_function(DRAWN_JS, timeout=120_000, polling=50)
                    t1 = time.perf_counter()
                    charts = page.locator('[data-testid="stMain"] .js-plotly-plot').count()
                    page.close()
                    if args.cold:
                        ctx.close()
                    elif i == 0:
                        continue  # the first visit fills the browser's cache
                    drawn.append(t1 - t0)
                    # the last websocket frame before the page was drawn: the server's end of the run
                    server_done.append(max([f for f in finished if f <= t1] or [t1]) - t0)
                browser.close()
        finally:
            srv.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"scale {args.scale}, {args.user}, {args.runs} logins ({'new profile each' if args.cold else 'one browser profile, after a first visit'}), "
        f"{args.typing:g} s typing on the login page, {charts} charts on the landing page"
    )
    print(
        f"login click → server's last message: median {statistics.median(server_done):.2f} s "
        f"(runs {', '.join(f'{x:.2f}' for x in server_done)})"
    )
    print(
        f"login click → dashboard drawn:       median {statistics.median(drawn):.2f} s "
        f"(runs {', '.join(f'{x:.2f}' for x in drawn)})  (target ≤ 2 s)"
    )
    print(f"load average after: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
