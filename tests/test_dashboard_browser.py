"""Browser: the leader's landing page draws its plotly charts (with Chinese
labels) and the whole set downloads as one .xlsx workbook."""

from __future__ import annotations

import io

import openpyxl

from tests.browser_util import login, shot, wait_ready


def open_as(page, server, username):
    # a fresh server builds its demo database on the first visit: allow for it
    page.goto(server.url)
    page.get_by_label("用户名").wait_for(timeout=180_000)
    login(page, server.url, username)


def test_leader_sees_charts_and_downloads_the_workbook(server, page):
    open_as(page, server, "leader")
    page.get_by_text("推送签收情况（按部门排名）").wait_for(timeout=60_000)
    plots = page.locator(".js-plotly-plot")
    plots.first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg .bars path, "
        ".js-plotly-plot .main-svg .scatterlayer path').length > 20",
        timeout=60_000,
    )
    # the first subject's four charts; the other subjects are drawn when opened
    assert plots.count() == 4
    page.get_by_role("tab", name="监管与协同处理").click()
    page.get_by_text("日常检查（按部门和检查结果）").wait_for(timeout=60_000)
    wait_ready(page)
    assert page.locator(".js-plotly-plot").count() == 4
    assert page.get_by_text("推送签收情况（按部门排名）").count() == 0
    page.get_by_role("tab", name="审批与推送").click()
    page.get_by_text("推送签收情况（按部门排名）").wait_for(timeout=60_000)
    wait_ready(page)
    # the bars are drawn and the axes carry Chinese labels
    ticks = page.locator(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text").all_text_contents()
    assert any("局" in t for t in ticks), ticks[:20]
    assert page.locator(".js-plotly-plot .bars path").count() > 10
    wait_ready(page)
    shot(page, "dashboard-leader")
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="导出全部统计").click()
    data = open(dl.value.path(), "rb").read()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "概览"
    assert any("推送签收" in n for n in wb.sheetnames)
    over = [[c.value for c in row] for row in wb["概览"].iter_rows()]
    assert any(r[0] == "统计范围" and r[1] == "全市" for r in over)


def test_supervisor_work_view_chart(server, page):
    open_as(page, server, "supervisor")
    page.get_by_text("待办分布（按类型和时限）").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot .bars path").first.wait_for(timeout=60_000)
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "待签收推送" in text and "前往审批推送" in text
    shot(page, "dashboard-supervisor")
