"""Browser tests: a real ``streamlit run server.py`` on a free loopback port with
a temporary database, driven by Debian's Chromium through Playwright
(``executable_path``; never ``playwright install``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD, ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def need_browser():
    """Skip without Chromium/Playwright locally; under CI=true that is a failure."""
    missing = None
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing = "the playwright package"
    if not missing and not os.path.exists(CHROMIUM):
        missing = "Debian's chromium"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run in CI: {missing} is missing")
        pytest.skip(f"{missing} is missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path, extra_env: dict | None = None, extra_args: list[str] | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SGLD_")}
        env.update(
            {"SGLD_DB": str(workdir / "sgld.duckdb"), "SGLD_DATA_DIR": str(workdir / "data"), "SGLD_MODE": "demo"}
        )
        env.update(extra_env or {})
        self.log = open(workdir / "server.log", "w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "server.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                *(extra_args or []),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start: " + (workdir / "server.log").read_text()[-2000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def wait_ready(page, timeout=30_000):
    """Wait until Streamlit has finished the current run."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(
        '() => !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]\')'
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


def pick_option(page, box, option: str, *, type_text: str | None = None, click: bool = True) -> None:
    """Open the dropdown of ``box`` (a locator of a Streamlit selectbox or
    multiselect), type ``type_text`` to filter it (the dropdown renders only
    its first options) and choose the first option containing ``option``
    (with ``click=False`` only wait until it is offered).  No retry: a page
    load or a click costs exactly one script run (test_browser_login), so
    no late rerun closes an open dropdown."""
    found = page.get_by_role("option").filter(has_text=option).first
    try:
        box.click()
        if type_text:
            page.keyboard.type(type_text)
        found.wait_for(timeout=15_000)
        if click:
            found.click(timeout=5_000)
    except Exception:
        shot(page, f"option-missing-{option[:20]}")
        raise


def login(page, url: str, username: str, password: str = DEMO_PASSWORD, *, path: str = ""):
    """Log in through the form and wait for the landing page."""
    page.goto(f"{url}/{path}")
    # a fresh server builds the whole demo dataset on its first visit (slow on a busy machine)
    page.get_by_label("用户名").wait_for(timeout=180_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text("退出登录").wait_for(timeout=60_000)
    wait_ready(page)


def open_tab(page, name: str) -> None:
    """Click the tab ``name`` of the current page once its tab bar has settled."""
    tab = page.get_by_role("tab", name=name)
    tab.first.wait_for(timeout=60_000)
    for _ in range(20):  # a rerun may briefly show the old and the new tab bar together
        wait_ready(page)
        if tab.count() == 1:
            try:
                tab.click(timeout=5_000)
                return
            except Exception:  # noqa: BLE001 - replaced while clicking: try again
                pass
        page.wait_for_timeout(300)
    raise AssertionError(f"tab {name} not found")


def open_inspection_entry(page, url: str, *, timeout: int = 60_000):
    """Open 监管录入 → 录入检查 and wait for its form; returns the tab panel
    (a screenshot is kept when the form never shows)."""
    page.goto(f"{url}/监管录入")
    open_tab(page, "录入检查")
    panel = page.get_by_role("tabpanel")
    try:
        panel.get_by_role("textbox", name="统一社会信用代码").wait_for(timeout=timeout)
    except Exception:
        shot(page, "inspection-entry-failed")
        raise
    wait_ready(page)
    return panel


def shot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
