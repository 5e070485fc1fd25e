"""Issue 15.6: a file over the upload limit stops the whole save with a
Chinese message and keeps what the user typed (real server, headless
Chromium).  Before, Streamlit's own check dropped the file in the browser
with an English error and 保存 saved the record without it."""

from __future__ import annotations

import pytest

from db import connection
from sgld.demo.supervision import evidence_pdf
from tests.browser_util import Server, login, need_browser, open_inspection_entry, wait_ready
from tests.conftest import copy_install

FINDINGS = "超限附件测试：消防通道堵塞"


@pytest.fixture
def install(demo_template, tmp_path):
    copy_install(demo_template, tmp_path)
    con = connection.Database(tmp_path / "sgld.duckdb")
    try:
        code, name = con.one("SELECT uscc, name FROM enterprise ORDER BY id LIMIT 1")
    finally:
        con.close()
    need_browser()
    return tmp_path, code, name


def test_over_size_evidence_stops_the_save_and_keeps_the_input(install, page, tmp_path_factory):
    workdir, code, name = install
    big = tmp_path_factory.mktemp("big") / "现场照片.pdf"
    body = evidence_pdf("big")
    # just over the default limit of 20 MB, which was also Streamlit's own
    # ceiling: the browser used to drop it with "File must be 20.0MB or smaller"
    big.write_bytes(body + b"%" + b"0" * (21 * 1024 * 1024 - len(body)) + b"\n")
    srv = Server(workdir)
    try:
        login(page, srv.url, "supervisor")
        panel = open_inspection_entry(page, srv.url)
        box = panel.get_by_role("textbox", name="统一社会信用代码")
        box.fill(code)
        box.press("Enter")
        page.get_by_text(f"已登记企业：{name}").wait_for(timeout=20_000)
        wait_ready(page)
        panel.get_by_text("单个文件不超过 20 MB").first.wait_for(timeout=10_000)
        panel.get_by_role("textbox", name="检查情况").fill(FINDINGS)
        panel.locator("input[type=file]").set_input_files(str(big))
        page.get_by_text("现场照片.pdf").first.wait_for(timeout=20_000)
        wait_ready(page)
        panel.get_by_role("button", name="保存检查记录").click()
        page.get_by_text("超过上限 20 MB").wait_for(timeout=30_000)
        wait_ready(page)
        assert page.get_by_text("检查记录已保存").count() == 0
        assert panel.get_by_role("textbox", name="检查情况").input_value() == FINDINGS
        assert panel.get_by_role("textbox", name="统一社会信用代码").input_value() == code
        assert page.get_by_text("现场照片.pdf").count()  # the chosen file is still there
    finally:
        srv.stop()
    con = connection.Database(workdir / "sgld.duckdb")
    try:
        assert con.scalar("SELECT count(*) FROM inspection WHERE findings = ?", [FINDINGS]) == 0
    finally:
        con.close()
