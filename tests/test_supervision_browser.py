"""Browser: `supervisor` enters an inspection with an evidence file; the
enterprise profile shows it beside the enterprise's penalties."""

import sqlite3

from sgld.demo.supervision import evidence_pdf
from tests.browser_util import login, open_inspection_entry, shot, wait_ready


def test_inspection_with_evidence_then_profile(server, page, tmp_path):
    # the server builds its demo database (and the simulated 行权系统) on first use
    page.goto(server.url)
    page.get_by_label("用户名").wait_for(timeout=180_000)
    login(page, server.url, "supervisor")
    con = sqlite3.connect(server.workdir / "data" / "xingquan.sqlite")
    code, name, decision = con.execute("SELECT CF_XDR_SHXYM, CF_XDR_MC, CF_WSH FROM XZCF_XX WHERE ID = 1").fetchone()
    con.close()
    evidence = tmp_path / "现场检查照片.pdf"
    evidence.write_bytes(evidence_pdf("browser evidence"))

    panel = open_inspection_entry(page, server.url)
    box = panel.get_by_role("textbox", name="统一社会信用代码")
    box.fill(code)
    box.press("Enter")
    page.get_by_text(f"已登记企业：{name}").wait_for(timeout=20_000)
    wait_ready(page)
    panel.get_by_role("textbox", name="检查情况").fill("浏览器测试：冷库温度记录缺失，已要求整改")
    panel.locator("input[type=file]").set_input_files(str(evidence))
    page.get_by_text("现场检查照片.pdf").first.wait_for(timeout=20_000)
    panel.get_by_role("button", name="保存检查记录").click()
    page.get_by_text("检查记录已保存").wait_for(timeout=30_000)
    wait_ready(page)
    shot(page, "supervision-entry")

    page.goto(f"{server.url}/企业画像")
    wait_ready(page)
    q = page.get_by_label("企业名称（可部分输入）或统一社会信用代码")
    # a late rerun right after the page loads can take the typed text (issue 17
    # item 1): type again when the timeline has not come
    for attempt in range(3):
        q.fill(code)
        q.press("Enter")
        try:
            page.get_by_text("市场监管局日常检查：合格").first.wait_for(timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                shot(page, "supervision-profile-failed")  # kept as a test artefact
                raise
            wait_ready(page)
    wait_ready(page)
    body = page.inner_text("[data-testid='stMain']")
    assert name in body
    assert "证据材料 1 份" in body
    assert f"行政处罚 {decision}" in body
    # newest first on the timeline: today's inspection comes before the (older) penalty
    body = body[body.index("罚款合计") :]
    assert body.index("市场监管局日常检查：合格") < body.rindex(f"行政处罚 {decision}")
    shot(page, "supervision-profile")


def _entry_form(page, server):
    return open_inspection_entry(page, server.url)


def registered_company(demo_template) -> tuple[str, str]:
    """A registered enterprise's (code, name): the demo data is the same in the
    server's database (built from the same seed)."""
    import duckdb

    con = duckdb.connect(str(demo_template / "sgld.duckdb"), read_only=True)
    try:
        return con.execute("SELECT uscc, name FROM enterprise WHERE address IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    finally:
        con.close()


def test_typed_text_survives_the_code_lookup(server, page, demo_template):
    """Issue 16.3: 检查地点 and 检查情况 typed before a registered company's code
    are still there after the code has brought up the company."""
    code, name = registered_company(demo_template)
    login(page, server.url, "supervisor")
    panel = _entry_form(page, server)
    panel.get_by_role("textbox", name="检查地点").fill("浏览器先填的地点 9 号")
    panel.get_by_role("textbox", name="检查情况").fill("浏览器先填的检查情况")
    box = panel.get_by_role("textbox", name="统一社会信用代码")
    box.fill(code)
    box.press("Enter")
    page.get_by_text(f"已登记企业：{name}").wait_for(timeout=20_000)
    wait_ready(page)
    shot(page, "supervision-entry-typed-kept")
    assert panel.get_by_role("textbox", name="检查地点").input_value() == "浏览器先填的地点 9 号"
    assert panel.get_by_role("textbox", name="检查情况").input_value() == "浏览器先填的检查情况"


def test_future_inspection_date_is_refused(server, page, demo_template):
    """Issue 16.4: a typed future date is not replaced by today: 保存 says
    检查日期不能晚于今天, the input stays, nothing is saved."""
    from datetime import timedelta

    from sgld import clock

    code, name = registered_company(demo_template)
    future = f"{clock.today() + timedelta(days=17):%Y/%m/%d}"
    login(page, server.url, "supervisor")
    panel = _entry_form(page, server)
    box = panel.get_by_role("textbox", name="统一社会信用代码")
    box.fill(code)
    box.press("Enter")
    page.get_by_text(f"已登记企业：{name}").wait_for(timeout=20_000)
    wait_ready(page)
    field = panel.get_by_test_id("stDateInput")
    field.get_by_role("spinbutton").first.click()  # the year segment; typing moves on
    page.keyboard.type(future.replace("/", ""))
    day = field.locator("input[type=date]")
    panel.get_by_role("textbox", name="检查地点").fill("未来日期的检查地点")
    panel.get_by_role("button", name="保存检查记录").click()
    try:
        page.get_by_text("检查日期不能晚于今天").wait_for(timeout=30_000)
    finally:
        wait_ready(page)
        shot(page, "supervision-entry-future-date")
    assert day.input_value() == future.replace("/", "-")
    assert panel.get_by_role("textbox", name="检查地点").input_value() == "未来日期的检查地点"
    assert not page.get_by_text("检查记录已保存").count()
