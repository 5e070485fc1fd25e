"""Browser: `approver` sends a letter → `supervisor` dispatches `liaison` →
`liaison` sees the assignment, records today's review, signs its report and
records a rectification check (headless Chromium on a real server).

The review of the new letter is at least a day away (the one-day rule), so
the liaison records the demo review that takes place today."""

from __future__ import annotations

from tests.browser_util import login, pick_option, shot, wait_ready

TITLE = "南通浏览器测试食品有限公司食品经营许可现场审查"


def visible(locator):
    return locator.filter(visible=True).first


def fill(page, label: str, text: str):
    try:
        visible(page.get_by_role("textbox", name=label, exact=True)).fill(text, timeout=20_000)
    except Exception:
        shot(page, f"liaison-fail-{label}")
        raise


def choose(page, testid: str, label: str, option: str):
    box = visible(page.get_by_test_id(testid).filter(has_text=label))
    pick_option(page, box, option, type_text=option if testid == "stSelectbox" else None)
    wait_ready(page)


def open_page(browser, server, username):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200}, locale="zh-CN")
    page = ctx.new_page()
    # a fresh server builds its demo database on the first visit: wait for it once
    page.goto(server.url)
    page.get_by_label("用户名").wait_for(timeout=180_000)
    login(page, server.url, username)
    page.goto(f"{server.url}/联络员")
    wait_ready(page)
    page.get_by_role("heading", name="联络员").first.wait_for()
    return ctx, page


def test_letter_dispatch_record_sign_check(server, browser):
    # 1. the approver records the review and sends the letter
    ctx, page = open_page(browser, server, "approver")
    for _ in range(3):  # a click during a still-running first render can be lost
        page.locator("summary").filter(has_text="新建审查并发出商请函").click()
        wait_ready(page)
        if page.get_by_role("textbox", name="审查事项", exact=True).filter(visible=True).count():
            break
    fill(page, "审查事项", TITLE)
    fill(page, "审查地点", "南通市崇川区浏览器路 1 号")
    for label, text in (
        ("审查目的", "核实经营条件"),
        ("审查依据", "《食品经营许可管理办法》"),
        ("审查范围", "经营场所及设施"),
        ("主要内容", "核查场所、设备和制度"),
        ("日程安排", "09:00 现场核查"),
    ):
        fill(page, label, text)
    choose(page, "stMultiSelect", "商请派员的监管部门", "市场监管局")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="保存并发出商请函").click()
    wait_ready(page)
    page.get_by_text("商请函已发往：市场监管局").wait_for()
    shot(page, "liaison-1-approver-sent")
    ctx.close()

    # 2. the department sees the letter and dispatches its liaison
    ctx, page = open_page(browser, server, "supervisor")
    choose(page, "stSelectbox", "选择商请函", TITLE)
    page.get_by_text(f"派出联络员：{TITLE}").wait_for()
    choose(page, "stSelectbox", "联络员", "刘联络")
    page.get_by_role("button", name="确认派员并告知审批局").click()
    wait_ready(page)
    page.get_by_text("已派员并告知审批局").wait_for()
    shot(page, "liaison-2-supervisor-dispatched")
    ctx.close()

    # 3. the liaison: the new assignment is listed; today's review is recorded and signed
    ctx, page = open_page(browser, server, "liaison")
    pick_option(
        page,
        visible(page.get_by_test_id("stSelectbox").filter(has_text="选择审查任务")),
        TITLE,
        type_text=TITLE,
        click=False,
    )
    page.keyboard.press("Escape")
    wait_ready(page)
    page.get_by_role("tab", name="审查记录", exact=True).click()
    fill(page, "审查记录", "现场核查了经营场所、冷库和进货查验制度。")
    fill(page, "意见建议", "冷库温度记录需完善，建议整改后通过。")
    page.get_by_text("建议整改后通过", exact=True).first.click()
    page.get_by_role("button", name="保存审查记录").click()
    wait_ready(page)
    page.get_by_text("审查记录已保存").wait_for()
    page.get_by_role("tab", name="审查报告与签字", exact=True).click()
    page.get_by_text("本人参加了本次审查，已核对审查报告内容，确认签字").click()
    page.get_by_role("button", name="在审查报告上签字").click()
    wait_ready(page)
    page.get_by_text("已在审查报告上签字").wait_for()
    shot(page, "liaison-3-signed")

    # 4. ... and a rectification check (a hardware item: the site visit is pre-ticked)
    page.get_by_role("tab", name="整改跟踪", exact=True).click()
    wait_ready(page)
    fill(page, "复查情况（现场检查的，写明现场检查情况）", "现场检查：通道已清理，应急照明已补装。")
    page.get_by_role("button", name="保存复查记录").click()
    wait_ready(page)
    page.get_by_text("复查记录已保存").wait_for()
    shot(page, "liaison-4-checked")
    ctx.close()
