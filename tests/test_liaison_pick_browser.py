"""Browser: the letter acted on stays open (issue 16 item 21).  A department
dispatches its liaison to a letter that is not the first of 待派员; the letter
then leaves that filter, yet the same letter stays selected and shown, and
stays so on the next click (Streamlit's browser side keeps a selectbox
choice by its label: a label showing the state fell back to another row)."""

from __future__ import annotations

from tests.browser_util import login, shot, wait_ready


def letter_box(page):
    return page.get_by_test_id("stSelectbox").filter(has_text="选择商请函").filter(visible=True).first


def chosen(page) -> str:
    """The letter the selectbox shows (its text, or its input's value)."""
    box = letter_box(page)
    inputs = box.locator("input")
    shown = box.text_content() or ""
    if inputs.count():
        shown += inputs.first.input_value() or inputs.first.get_attribute("aria-label") or ""
    return shown


def test_dispatched_letter_stays_open(server, browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200}, locale="zh-CN")
    page = ctx.new_page()
    login(page, server.url, "supervisor")
    page.goto(f"{server.url}/联络员")
    wait_ready(page)
    page.get_by_role("heading", name="联络员").first.wait_for()

    # choose the second letter waiting for a dispatch (the first is the default)
    box = letter_box(page)
    box.wait_for(timeout=60_000)
    box.click()
    options = page.get_by_role("option")
    options.nth(1).wait_for(timeout=15_000)
    label = options.nth(1).inner_text().strip()
    options.nth(1).click()
    wait_ready(page)
    title = label.split(" · ")[1]
    page.get_by_text(f"派出联络员：{title}").wait_for()

    who = (
        page.get_by_test_id("stSelectbox")
        .filter(has_text="联络员")
        .filter(has_not_text="选择商请函")
        .filter(visible=True)
        .first
    )
    who.click()
    page.get_by_role("option").first.click()
    wait_ready(page)
    page.get_by_role("button", name="确认派员并告知审批局").click()
    wait_ready(page)
    page.get_by_text("已派员并告知审批局").wait_for()
    shot(page, "liaison-pick-1-dispatched")

    # no longer 待派员, still the letter shown: the same title, now to be replaced
    assert label in chosen(page), chosen(page)
    page.get_by_text(f"派出联络员：{title}").wait_for()
    page.get_by_role("button", name="更换联络员并告知审批局").wait_for()

    # the next click (another filter) keeps it too
    page.get_by_test_id("stButtonGroup").filter(visible=True).get_by_text("已派员", exact=True).first.click()
    wait_ready(page)
    assert label in chosen(page), chosen(page)
    page.get_by_text(f"派出联络员：{title}").wait_for()
    shot(page, "liaison-pick-2-next-click")
    ctx.close()
