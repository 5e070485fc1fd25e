"""Browser: `supervisor` files a 协同处理申请 from an enterprise profile;
`approver` sees the to-do and revokes; `supervisor2` (a linked department)
finds the re-push in 待签收; the written explanation of a refusal downloads
as a .docx that python-docx opens and that contains the reasons."""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin

from sgld.demo.revocation import REFUSE
from tests.browser_util import login, pick_option, shot, wait_ready

WALK = "南通濠河示范环保科技有限公司"


def _ctx(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
    return ctx, ctx.new_page()


def _open(page, title: str):
    page.locator("[data-testid='stSidebar']").get_by_text(title).first.click()
    wait_ready(page)
    page.get_by_role("heading", name=title).wait_for(timeout=30_000)


def _fill(page, label: str, value: str, enter: bool = False):
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter" if enter else "Tab")
    wait_ready(page)


def test_file_revoke_and_repush(server, browser):
    # -- 张监管 (市场监管局) files from the enterprise profile
    ctx, page = _ctx(browser)
    login(page, server.url, "supervisor")
    _open(page, "企业画像")
    _fill(page, "企业名称（可部分输入）或统一社会信用代码", "濠河示范环保", enter=True)
    page.get_by_role("heading", name=WALK).wait_for(timeout=30_000)
    page.get_by_text("提请协同处理（撤销许可决定、吊销许可证或营业执照）").click()
    wait_ready(page)
    lic = page.get_by_label("证照 *")
    lic.wait_for(timeout=30_000)
    pick_option(page, lic, "排污许可", type_text="排污")
    wait_ready(page)
    page.get_by_label("事实与理由 *").fill("经立案调查，该企业多次超标排放，责令改正后仍拒不改正。")
    page.get_by_label("法律依据 *").fill("《中华人民共和国行政许可法》第六十九条")
    page.get_by_label("法律依据 *").press("Tab")
    wait_ready(page)
    page.get_by_role("button", name="提交协同处理申请").click()
    wait_ready(page)
    msg = page.get_by_text(re.compile(r"协同处理申请 XT\d{4}-\d{4} 已提交市行政审批局"))
    msg.wait_for(timeout=30_000)
    request_no = re.search(r"XT\d{4}-\d{4}", msg.inner_text()).group(0)
    shot(page, "revocation-filed-from-profile")
    ctx.close()

    # -- 李经办 sees the to-do and revokes
    ctx, page = _ctx(browser)
    login(page, server.url, "approver")
    _open(page, "审批推送")
    page.get_by_role("tab", name="协同处理待办").click()
    wait_ready(page)
    page.get_by_text("我的协同处理待办").wait_for(timeout=30_000)
    _fill(page, "申请编号 / 企业名称 / 证照编号", request_no, enter=True)
    page.get_by_role("heading", name=f"协同处理申请 {request_no}").wait_for(timeout=30_000)
    page.get_by_role("textbox", name="核实情况 *").fill("调阅审批档案并会同生态环境局现场核查，申请所述事实属实。")
    page.get_by_text(re.compile("符合撤销情形：撤销许可决定")).click()
    page.get_by_role("textbox", name="决定理由 *").fill("多次超标排放且拒不改正，不再具备许可条件，依法撤销。")
    page.get_by_role("button", name="作出决定").click()
    wait_ready(page)
    page.get_by_text(re.compile("证照状态已更新为“已撤销”，处理结果已再次推送给 2 个联动部门")).wait_for(timeout=30_000)
    shot(page, "revocation-decided")
    ctx.close()

    # -- 陈环保 (生态环境局, the item's supervising department) finds the re-push in 待签收
    ctx, page = _ctx(browser)
    login(page, server.url, "supervisor2")
    _open(page, "审批推送")
    page.get_by_role("heading", name=re.compile(r"^待签收 \d+ 条")).wait_for(timeout=30_000)
    page.get_by_placeholder("输入任意关键字筛选本列表").first.fill(request_no)
    page.get_by_placeholder("输入任意关键字筛选本列表").first.press("Enter")
    wait_ready(page)
    page.get_by_text(re.compile(r"共 1 条（全部 \d+ 条）")).wait_for(timeout=15_000)
    shot(page, "revocation-repush-to-sign")
    ctx.close()


def test_refusal_explanation_docx(server, browser):
    from docx import Document

    ctx, page = _ctx(browser)
    login(page, server.url, "supervisor")
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert re.search(r"监管录入（\d+）", sidebar)
    _open(page, "监管录入")
    page.get_by_role("tab", name="协同处理申请").click()
    wait_ready(page)
    page.get_by_text("只看待签收书面说明").click()
    wait_ready(page)
    link = page.get_by_role("link", name="下载书面说明（.docx）")
    link.wait_for(timeout=30_000)
    # the checked download route: with this session's cookie only
    got = page.request.get(urljoin(server.url, link.get_attribute("href")))
    assert got.status == 200 and "attachment" in got.headers["content-disposition"]
    data = got.body()
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert REFUSE[0] in text and "书面说明" in text and "市场监管局" in text
    shot(page, "revocation-explanation")
    page.get_by_role("button", name="签收书面说明").click()
    wait_ready(page)
    page.get_by_text(re.compile("的书面说明，签收人 张监管")).wait_for(timeout=30_000)
    ctx.close()
