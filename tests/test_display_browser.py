"""Browser: Markdown, KaTeX, a javascript: link and HTML typed into an
inspection (new enterprise's name, place, inspectors) show up as typed in
监管录入 and 企业画像 — no bold, formula, link or <b> element from them."""

from sgld import uscc
from tests.browser_util import login, open_inspection_entry, shot, wait_ready

PAYLOAD = "**x** $x^2$ [a](javascript:1) <b>"


def _no_markup(page) -> None:
    main = page.locator("[data-testid='stMain']")
    assert main.locator("a[href^='javascript']").count() == 0
    assert main.locator(".katex").count() == 0
    assert main.locator("b").count() == 0
    assert main.locator("strong").evaluate_all("els => els.filter(e => e.textContent.trim() === 'x').length") == 0


def test_payload_shown_verbatim(server, page):
    page.goto(server.url)
    page.get_by_label("用户名").wait_for(timeout=180_000)
    login(page, server.url, "supervisor")
    code = uscc.make("91320602MA7XD5B1R")
    panel = open_inspection_entry(page, server.url)
    box = panel.get_by_role("textbox", name="统一社会信用代码")
    box.fill(code)
    box.press("Enter")
    page.get_by_text("系统中尚无此代码的企业").wait_for(timeout=20_000)
    wait_ready(page)
    panel.get_by_role("textbox", name="被检查对象名称").fill(PAYLOAD)
    panel.get_by_role("textbox", name="检查地点").fill(PAYLOAD)
    panel.get_by_role("textbox", name="检查人员").fill(PAYLOAD)
    panel.get_by_role("button", name="保存检查记录").click()
    page.get_by_text("检查记录已保存").wait_for(timeout=30_000)
    wait_ready(page)

    page.goto(f"{server.url}/企业画像")
    wait_ready(page)
    q = page.get_by_label("企业名称（可部分输入）或统一社会信用代码")
    for attempt in range(3):  # a late rerun can take the typed text: type again
        q.fill(code)
        q.press("Enter")
        try:
            page.get_by_text("日常检查：").first.wait_for(timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                shot(page, "display-profile-failed")
                raise
            wait_ready(page)
    wait_ready(page)
    body = page.inner_text("[data-testid='stMain']")
    # name (heading), place and inspectors (timeline)
    assert body.count(PAYLOAD) >= 3, body
    _no_markup(page)
