"""Browser: the approver records a concluded case with a scan; `supervisor`
sees it in 待签收 and signs it; the approver sees it signed, with signer
and time."""

from __future__ import annotations

import io
import re

from sgld.uscc import make
from tests.browser_util import login, pick_option, shot, wait_ready

CASE_NO = "BR-2026-0001"


def _scan(tmp_path):
    from PIL import Image

    path = tmp_path / "审批决定书.png"
    img = Image.new("RGB", (60, 80), "white")
    img.putpixel((30, 40), (200, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def _open_push_page(page):
    page.locator("[data-testid='stSidebar']").get_by_text("审批推送").first.click()
    wait_ready(page)
    page.get_by_role("heading", name="审批推送").wait_for(timeout=30_000)


def _fill(page, label, value, enter=False):
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    if enter:
        box.press("Enter")
    else:
        box.press("Tab")
    wait_ready(page)


def test_record_sign_and_see_signed(server, browser, tmp_path):
    # -- the approver records a concluded case with a scan
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    login(page, server.url, "approver")
    _open_push_page(page)
    _fill(page, "办件编号 *", CASE_NO)
    item = page.get_by_label("审批事项 *")
    pick_option(page, item, "SC-001", type_text="SC-001")
    wait_ready(page)
    page.get_by_text("推送给市场监管局").wait_for(timeout=15_000)
    _fill(page, "统一社会信用代码 *", make("91320602MA1BRW001"), enter=True)
    _fill(page, "企业名称 *", "南通浏览器测试食品有限公司")
    _fill(page, "项目编号 *", "BR-PRJ-1")
    page.get_by_label("批复信息 *").fill("经审查，符合法定条件，准予许可。")
    page.get_by_label("批复信息 *").press("Tab")
    wait_ready(page)
    _fill(page, "证照编号 *", "JY-BR-0001")
    page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(_scan(tmp_path)))
    wait_ready(page)
    page.get_by_text("审批决定书.png").first.wait_for(timeout=15_000)
    page.get_by_role("button", name="保存并推送").click()
    wait_ready(page)
    page.get_by_text("已保存").wait_for(timeout=30_000)
    page.get_by_text(f"办件 {CASE_NO}").wait_for(timeout=15_000)
    page.get_by_text(re.compile(r"审批决定书\.png（PNG")).wait_for(timeout=15_000)
    wait_ready(page)
    body = page.inner_text("[data-testid='stMain']")
    assert "待签收 市场监管局 · 办结" in body
    shot(page, "push-recorded")
    ctx.close()

    # -- supervisor (市场监管局) sees it in 待签收 and signs it
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    login(page, server.url, "supervisor")
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert re.search(r"审批推送（\d+）", sidebar)
    _open_push_page(page)
    head = page.get_by_role("heading", name=re.compile(r"^待签收 \d+ 条")).inner_text()
    n = int(re.search(r"待签收 (\d+) 条", head).group(1))
    page.get_by_placeholder("输入任意关键字筛选本列表").first.fill(CASE_NO)
    page.get_by_placeholder("输入任意关键字筛选本列表").first.press("Enter")
    wait_ready(page)
    page.get_by_text(f"共 1 条（全部 {n} 条）").wait_for(timeout=15_000)
    _fill(page, "按办件编号打开", CASE_NO, enter=True)
    page.get_by_text(f"办件 {CASE_NO}").wait_for(timeout=15_000)
    page.get_by_text(re.compile(r"审批决定书\.png（PNG")).wait_for(timeout=15_000)
    shot(page, "push-to-sign")
    page.get_by_role("button", name="签收", exact=True).click()
    wait_ready(page)
    page.get_by_text("已签收 1 条推送，签收人 张监管").wait_for(timeout=30_000)
    page.get_by_role("heading", name=f"待签收 {n - 1} 条").first.wait_for(timeout=15_000)
    ctx.close()

    # -- the approver sees it signed, with signer and time
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    login(page, server.url, "approver")
    _open_push_page(page)
    page.get_by_role("tab", name="审批办件档案").click()
    wait_ready(page)
    _fill(page, "办件编号", CASE_NO)
    page.get_by_role("button", name="查询").click()
    wait_ready(page)
    page.get_by_text(f"办件 {CASE_NO}").wait_for(timeout=30_000)
    page.get_by_text("办件时间线").wait_for(timeout=15_000)
    wait_ready(page)
    body = page.inner_text("[data-testid='stMain']")
    assert re.search(r"已签收\s*市场监管局.*签收人\s*张监管，签收时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", body), body
    assert "签收" in body and "推送" in body  # the timeline
    shot(page, "push-signed-archive")
    ctx.close()
