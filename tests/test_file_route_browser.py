"""Issue 15.7: stored files are downloaded through a route that checks the
request's login and data scope (web/files.py), not a Streamlit media URL
that works for anyone holding it while the session lives."""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin

import pytest

from db import connection
from tests.browser_util import Server, login, need_browser, wait_ready
from tests.conftest import copy_install


@pytest.fixture(scope="module")
def install(demo_template, tmp_path_factory):
    """A copy of the demo install and the files to ask for (read before the
    server opens the database)."""
    dest = tmp_path_factory.mktemp("files")
    copy_install(demo_template, dest)
    con = connection.Database(dest / "sgld.duckdb")
    try:
        scan = con.one("SELECT id, sha256 FROM attachment WHERE owner_type = 'case' ORDER BY id LIMIT 1")
        ev = con.one("SELECT id, owner_id FROM attachment WHERE owner_type = 'inspection' ORDER BY id LIMIT 1")
    finally:
        con.close()
    need_browser()
    srv = Server(dest)
    yield srv, scan, ev
    srv.stop()


def test_download_needs_a_current_login_and_the_data_scope(install, browser):
    srv, (scan_id, sha), (ev_id, insp_id) = install
    scan_url = urljoin(srv.url, f"/_sgld/files/scan/{scan_id}/{scan_id}")
    anonymous = browser.new_context()
    r = anonymous.request.get(scan_url)
    assert r.status == 401 and "登录" in r.text()  # no cookie: nothing
    assert anonymous.request.get(urljoin(srv.url, "/media/0123456789abcdef.docx")).status == 401
    anonymous.close()

    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    login(page, srv.url, "approver")
    got = page.request.get(scan_url)
    assert got.status == 200 and got.headers["content-type"] == "application/pdf"
    assert "attachment" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(got.body()).hexdigest() == sha
    # an owner id that does not match the file is not a way around the check
    assert page.request.get(urljoin(srv.url, f"/_sgld/files/evidence/{int(insp_id) + 1}/{ev_id}")).status in (403, 404)

    # a liaison officer may not see case scans: the service's own refusal
    other = browser.new_context(locale="zh-CN")
    p2 = other.new_page()
    login(p2, srv.url, "liaison")
    refused = p2.request.get(scan_url)
    assert refused.status == 403 and "没有权限" in refused.text()
    other.close()

    # after logout the same browser's cookie no longer opens the file
    page.get_by_text("退出登录").click()
    page.get_by_label("用户名").wait_for(timeout=60_000)
    wait_ready(page)
    assert page.request.get(scan_url).status == 401
    ctx.close()
