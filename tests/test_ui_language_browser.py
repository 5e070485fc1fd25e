"""Browser (issue 16.16): what the user reads in Chromium — Streamlit's own
texts included (file uploader, "Press Enter to apply", "No results",
"Page not found", plotly's date ticks) — has no English words outside the
allow-list of the AppTest scan."""

import re

from tests.browser_util import login, open_tab, shot, wait_ready
from tests.test_ui_language import latin_words

# the text a user sees: visible text nodes, without icon ligatures
# (material icons are drawn from words such as "upload") and hidden nodes
VISIBLE_TEXT = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim()) continue;
    if (el.closest('[data-testid="stIconMaterial"], script, style, noscript')) continue;
    const cs = getComputedStyle(el);
    if (cs.fontFamily.includes('Material')) continue;  // icon ligature
    if (cs.visibility !== 'visible' || cs.display === 'none' || parseFloat(cs.fontSize) === 0) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;  // visually hidden (screen-reader text)
    out.push(n.textContent);
  }
  return out.join('\\n');
}"""
MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def english(page) -> set[str]:
    return latin_words(page.evaluate(VISIBLE_TEXT))


def test_streamlit_texts_are_chinese(server, page):
    login(page, server.url, "approver")
    page.goto(f"{server.url}/审批推送")
    wait_ready(page)
    panel = page.locator("[data-testid='stMain']")
    box = panel.get_by_role("textbox", name="办件编号 *")
    box.wait_for(timeout=120_000)
    panel.locator("[data-testid='stFileUploaderDropzone']").first.wait_for(timeout=60_000)
    wait_ready(page)
    box.fill("SP-TEST")  # typed, not yet applied: Streamlit shows its input hint
    page.wait_for_timeout(500)
    words = english(page)
    shot(page, "language-push-entry")
    assert not words, words
    panel.get_by_label("审批事项 *").first.click()
    page.keyboard.type("无此事项zz")
    page.get_by_role("listbox").first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    words = english(page)
    shot(page, "language-no-match")
    assert not words, words
    page.keyboard.press("Escape")

    page.goto(f"{server.url}/专项审查")
    wait_ready(page)
    open_tab(page, "统计分析")
    wait_ready(page)
    page.locator("[data-testid='stPlotlyChart'] .xtick").first.wait_for(timeout=60_000)
    ticks = page.locator("[data-testid='stPlotlyChart']").all_inner_texts()
    shot(page, "language-review-stats")
    assert not MONTHS.search(" ".join(ticks)), ticks
    assert re.search(r"\d{4}年\d{1,2}月", " ".join(ticks)), ticks
    assert not english(page)


def test_other_roles_page_is_refused_in_chinese(server, page):
    login(page, server.url, "liaison")
    page.goto(f"{server.url}/专项审查")
    wait_ready(page)
    page.get_by_text("您没有权限访问该页面").wait_for(timeout=30_000)
    shot(page, "language-liaison-review")
    assert page.get_by_text("Page not found").count() == 0
    words = english(page)
    assert not words, words
