"""Screenshots of pages as a given user sees them (headless Debian Chromium).

    .venv/bin/python scripts/screenshot.py URL USER PATH [PATH ...]
e.g. scripts/screenshot.py http://127.0.0.1:8600 admin "" 系统管理
PNG files go to test-artifacts/screens/<user>-<path>.png.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser_util import ARTIFACTS, launch, login, wait_ready  # noqa: E402


def main(url, user, *paths):
    out = ARTIFACTS / "screens"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = launch(p)
        page = b.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
        login(page, url, user)
        for path in paths or [""]:
            page.goto(f"{url}/{path}")
            wait_ready(page)
            page.wait_for_timeout(800)
            name = out / f"{user}-{path or 'home'}.png"
            page.screenshot(path=str(name), full_page=True)
            print(name)
        b.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
