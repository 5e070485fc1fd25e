"""Browser: a row selection never outlives the action or the list it was
made in (issue 16 items 1 and 2).  `supervisor` ticks three pushes of a
filtered 待签收 list and signs them: afterwards no row is ticked.  Signing
the last row of a filtered list shows the list again, not an error page."""

from __future__ import annotations

import re

from tests.browser_util import login, shot, wait_ready

ROW_H = 35  # Streamlit's default row (and header) height in a dataframe


def _open_push_page(page):
    page.locator("[data-testid='stSidebar']").get_by_text("审批推送").first.click()
    wait_ready(page)
    page.get_by_role("heading", name=re.compile(r"^待签收 \d+ 条")).first.wait_for(timeout=30_000)


def _filter(page, text: str) -> int:
    box = page.get_by_placeholder("输入任意关键字筛选本列表").first
    box.fill(text)
    box.press("Enter")
    wait_ready(page)
    cap = page.get_by_text(re.compile(r"^共 \d+ 条")).first
    cap.wait_for(timeout=15_000)
    return int(re.search(r"共 (\d+) 条", cap.inner_text()).group(1))


def _tick(page, row: int):
    """Click the row marker (tick box) of data row ``row`` of the first table."""
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + ROW_H + ROW_H * row + ROW_H / 2)
    wait_ready(page)


def _no_error_page(page):
    body = page.inner_text("[data-testid='stApp']")
    assert "This app has encountered an error" not in body, body[:2000]
    assert "IndexError" not in body, body[:2000]
    assert not page.locator("[data-testid='stException']").count(), body[:2000]


def test_sign_three_leaves_nothing_selected(server, page):
    login(page, server.url, "supervisor")
    _open_push_page(page)
    n = _filter(page, "药品零售")
    assert n >= 4, f"the demo data should have at least 4 药品零售 pushes to sign, has {n}"
    for row in range(3):
        _tick(page, row)
    page.get_by_role("button", name="签收所选 3 条").wait_for(timeout=15_000)
    shot(page, "select-three-ticked")
    page.get_by_role("button", name="签收所选 3 条").click()
    wait_ready(page)
    page.get_by_text(re.compile(r"已签收 3 条推送")).wait_for(timeout=30_000)
    wait_ready(page)
    page.get_by_text(re.compile(rf"^共 {n - 3} 条")).first.wait_for(timeout=15_000)
    shot(page, "select-three-signed")
    _no_error_page(page)
    assert not page.get_by_role("button", name=re.compile("签收所选")).count()
    # a changed filter drops the selection: the new list starts with nothing ticked
    _tick(page, 0)
    page.get_by_role("button", name="签收所选 1 条").wait_for(timeout=15_000)
    _filter(page, "")
    wait_ready(page)
    assert not page.get_by_role("button", name=re.compile("签收所选")).count()


def test_sign_last_row_of_filtered_list(server, page):
    login(page, server.url, "supervisor")
    _open_push_page(page)
    n = _filter(page, "药品零售")
    assert n >= 1
    # narrow the list to its first row: filter by that row's case number
    _tick(page, 0)
    page.get_by_role("button", name="签收所选 1 条").wait_for(timeout=15_000)
    head = page.get_by_role("heading", name=re.compile(r"^办件 \S+")).first
    head.wait_for(timeout=15_000)
    case_no = re.search(r"办件 (\S+)", head.inner_text()).group(1)
    n1 = _filter(page, case_no)
    assert n1 == 1, case_no
    if not page.get_by_role("button", name="签收所选 1 条").count():
        _tick(page, 0)
    page.get_by_role("button", name="签收所选 1 条").click()
    wait_ready(page)
    page.get_by_text(re.compile(r"已签收 1 条推送")).wait_for(timeout=30_000)
    wait_ready(page)
    page.get_by_text(re.compile(r"^共 0 条")).first.wait_for(timeout=15_000)
    shot(page, "select-last-signed")
    _no_error_page(page)
    assert not page.get_by_role("button", name=re.compile("签收所选")).count()
