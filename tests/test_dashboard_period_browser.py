"""Browser: changing the 统计期间 never shows the previous period's figures
under the new filters (issue 16 item 20), and the landing pages of the
leader, the approver and the admin (screenshots looked at by hand)."""

from __future__ import annotations

from datetime import timedelta

from sgld import clock
from sgld.services import dashboard
from tests.browser_util import login, pick_option, shot, wait_ready

# Records every DOM state in which a chart of the previous period is on screen
# together with the new period's figures (its caption) or a chart of another
# period.  Keyed charts carry their key as a class (st-key-chart_<figure>_<period>).
OBSERVER = """(range) => {
  const main = document.querySelector("[data-testid='stMain']");
  const periods = () => new Set([...main.querySelectorAll("[class*='st-key-chart_']")]
      .map(e => [...e.classList].find(c => c.startsWith('st-key-chart_')).split('_').pop()));
  const old = periods();
  window.__old = [...old];
  window.__mixed = [];
  if (window.__obs) window.__obs.disconnect();
  window.__obs = new MutationObserver(() => {
    const now = periods();
    const newCaption = main.innerText.includes(range);
    const oldLeft = [...now].filter(p => old.has(p));
    if ((newCaption && oldLeft.length) || now.size > 1)
      window.__mixed.push({periods: [...now], newCaption});
  });
  window.__obs.observe(main, {subtree: true, childList: true, attributes: true});
}"""


def _range(preset: str) -> str:
    d0, d1 = dashboard.period_range(preset, clock.today())
    return f"{d0:%Y-%m-%d} 至 {d1:%Y-%m-%d}"


def test_a_new_period_clears_the_old_figures(server, page):
    page.goto(server.url)
    page.get_by_label("用户名").wait_for(timeout=180_000)
    login(page, server.url, "leader")
    page.get_by_text("推送签收情况（按部门排名）").wait_for(timeout=60_000)
    wait_ready(page)
    main = page.locator("[data-testid='stMain']")
    assert _range("本年") in main.inner_text()
    assert "较去年同期" in main.inner_text()
    shot(page, "dashboard-leader-this-year")
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="统计期间")
    for preset in ("近12个月", "近30天", "本季度"):
        page.evaluate(OBSERVER, f"统计范围：全市 · {_range(preset)}")
        assert len(page.evaluate("window.__old")) == 1
        pick_option(page, box, preset)
        page.get_by_text(_range(preset), exact=False).first.wait_for(timeout=60_000)
        wait_ready(page)
        text = main.inner_text()
        assert text.count("统计范围：") == 1 and _range(preset) in text, preset
        # nothing of an earlier run is left (a late rerun, e.g. the login cookie's, may
        # still be finishing)
        page.wait_for_function("() => !document.querySelector(\"[data-stale='true']\")", timeout=30_000)
        assert page.evaluate("window.__mixed") == [], preset
    # 近12个月 is not 本年, even in December
    today = clock.today()
    assert _range("近12个月").startswith(f"{today - timedelta(days=364):%Y-%m-%d}") or _range("近12个月") != _range(
        "本年"
    )
    shot(page, "dashboard-leader-quarter")


def test_landing_pages_of_approver_and_admin(server, page):
    login(page, server.url, "approver")
    page.get_by_text("我的待办").wait_for(timeout=60_000)
    wait_ready(page)
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "本处室逾期未签收推送" in text and "节假日安排" not in text
    shot(page, "dashboard-approver")
    page.get_by_role("tab", name="统计分析").click()
    page.get_by_text("推送签收情况（按部门排名）").wait_for(timeout=60_000)
    wait_ready(page)
    shot(page, "dashboard-approver-stats")
    page.get_by_role("link", name="审批推送").first.click()
    wait_ready(page)
    page.get_by_role("tab", name="签收情况").wait_for(timeout=60_000)
    assert "节假日安排" not in page.locator("[data-testid='stMain']").inner_text()
    shot(page, "push-approver")


def test_admin_landing_page(server, page):
    login(page, server.url, "admin")
    wait_ready(page)
    page.get_by_text("统计范围：").first.wait_for(timeout=60_000)
    wait_ready(page)
    shot(page, "dashboard-admin")
