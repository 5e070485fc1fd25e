"""Browser: motion by approver → approval by leader → supervisor sees the notice
and gives the department's opinion → meeting, conclusion → minutes issued and
downloaded (real server, headless Chromium)."""

from __future__ import annotations

import io
import os
import time

import pytest
from docx import Document

from tests.browser_util import ROOT, Server, login, need_browser, pick_option, shot, wait_ready
from tests.conftest import copy_install

TITLE = f"浏览器测试专项审查{int(time.time()) % 100000}"


def choose(page, label: str, text: str | None = None, index: int | None = None, multi: bool = False):
    """Pick an option of a Streamlit selectbox / multiselect by typed text or position."""
    box = page.get_by_label(label, exact=True).filter(visible=True)
    if text is not None:
        pick_option(page, box, text, type_text=text)
    else:
        box.click()
        page.get_by_role("option").nth(index).click()
    if multi:  # the multiselect's list stays open
        page.keyboard.press("Escape")
    wait_ready(page)


def open_review_page(page, server, username: str):
    login(page, server.url, username)
    revisit(page, username)


def revisit(page, username: str):
    """(Re)open the 专项审查 page through the sidebar, in the same session."""
    page.locator("[data-testid='stSidebar']").get_by_role("link").filter(has_text="专项审查").click()
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=stTabs]').length"
            " === 1 && document.querySelectorAll('[data-testid=stTab]')"
            ".length >= 2",
            timeout=30_000,
        )
    except Exception:
        shot(page, f"review-failed-{username}")
        raise
    page.wait_for_timeout(1500)
    wait_ready(page)


def open_review(page):
    choose(page, "查看详情", TITLE)
    page.get_by_role("heading", name=TITLE).wait_for(timeout=15_000)


def expect_text(page, text: str):
    try:
        page.get_by_text(text).first.wait_for(timeout=15_000)
    except Exception:
        shot(page, "review-failed")
        raise


def click(page, name: str):
    page.get_by_role("button", name=name).click()
    wait_ready(page)


@pytest.fixture
def shifted_server(demo_template, tmp_path):
    """A server of its own whose clock the test can move forward (a meeting
    is recorded only once it has begun, and it is scheduled days ahead)."""
    need_browser()
    copy_install(demo_template, tmp_path)
    shift = tmp_path / "clock-shift-minutes"
    srv = Server(
        tmp_path,
        extra_env={
            "PYTHONPATH": f"{ROOT / 'tests' / 'clockshift'}{os.pathsep}{ROOT}",
            "SGLD_TEST_CLOCK_SHIFT_FILE": str(shift),
        },
    )
    srv.shift = shift
    yield srv
    srv.stop()


def test_special_review_end_to_end(shifted_server, browser):
    server = shifted_server
    contexts = []

    def session(username):
        ctx = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="zh-CN", accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        open_review_page(page, server, username)
        return ctx, page

    # 1. motion by the approver
    ctx, page = session("approver")
    page.get_by_role("tab", name="发起动议").filter(visible=True).first.click()
    wait_ready(page)
    choose(page, "项目库中的项目", index=0)
    page.get_by_label("审查议题").filter(visible=True).fill(TITLE)
    choose(page, "审查范围", "安全生产", multi=True)
    choose(page, "参审部门", "市场监管局", multi=True)
    page.get_by_label("需要协调解决的事项").fill("1. 安全防护距离；2. 特种设备登记。")
    click(page, "提交分管领导审察")
    expect_text(page, "动议已提交分管领导审察")
    shot(page, "review-1-motion")
    approver = page

    # 2. approval by the bureau's leader in charge
    ctx, page = session("leader")
    open_review(page)
    click(page, "同意，发出通知")
    expect_text(page, "专项审查通知已发送给各参审部门")
    shot(page, "review-2-approved")
    ctx.close()

    # 3. the supervision department sees the notice and gives its opinion
    ctx, page = session("supervisor")
    assert "待回复通知" in page.inner_text("body")
    open_review(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载审查通知").click()
    notice = Document(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert any(TITLE in p.text for p in notice.paragraphs)
    page.get_by_label("参会人员（姓名、职务）").fill("张监管 科长")
    click(page, "确认参会人员")
    expect_text(page, "已确认本部门参会人员")
    page.get_by_text("有条件同意", exact=True).click()
    page.get_by_label("理由、条件或说明").fill("投产前完成特种设备使用登记")
    click(page, "提交本部门意见")
    expect_text(page, "本部门意见已提交")
    shot(page, "review-3-supervisor-opinion")
    supervisor = page

    # 4. sixty days later (past the scheduled meeting; the idle sessions have
    # ended), the approver records the meeting, concludes, issues the minutes
    server.shift.write_text(str(60 * 24 * 60))
    page = approver
    open_review_page(page, server, "approver")
    open_review(page)
    page.get_by_label("经办人情况说明").fill("经办人说明了项目审批情况。")
    page.get_by_role("textbox", name="主持人").fill("市行政审批局分管领导王分管")
    click(page, "保存会议记录")
    expect_text(page, "会议情况已记录")
    page.get_by_label("审查意见（各部门一致意见）").fill("同意按现方案办理审批手续。")
    click(page, "形成审查结论")
    expect_text(page, "已达成一致，请印发纪要")
    click(page, "生成并印发纪要")
    expect_text(page, "已印发")
    shot(page, "review-4-minutes")

    # 5. back to the real clock (the login cookie's expiry is real time), the
    # department (same session) downloads the minutes
    server.shift.write_text("0")
    page = supervisor
    revisit(page, "supervisor")
    open_review(page)
    button = page.get_by_role("button", name="下载纪要")
    with page.expect_download() as dl:
        button.click()
    assert dl.value.suggested_filename.endswith(".docx")
    text = "\n".join(p.text for p in Document(dl.value.path()).paragraphs)
    assert "会议纪要" in text and TITLE in text
    assert "市场监管局（书面意见）：有条件同意：投产前完成特种设备使用登记。" in text
    assert "分送：" in text
    for c in contexts:
        c.close()
