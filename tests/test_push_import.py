"""Bulk import of approval results: preview lists every bad row, nothing is
written until confirmed; then the good rows in one transaction, one audit
row per batch; rejected rows downloadable."""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pytest

from sgld import clock, uscc
from sgld.errors import PermissionDenied, ValidationError
from sgld.services import cases_import, push_query
from tests.conftest import actor

HEAD = [
    "办件编号",
    "事项编码",
    "统一社会信用代码",
    "企业名称",
    "项目编号",
    "项目名称",
    "办理环节",
    "批复信息",
    "决定日期",
    "证照编号",
    "证照类型",
    "发证日期",
    "有效期至",
]
NEW1 = uscc.make("91320602MA1JMP001")
NEW2 = uscc.make("91320602MA1JMP002")


def row(no, **kw):
    r = {
        "办件编号": no,
        "事项编码": "SC-001",
        "统一社会信用代码": NEW1,
        "企业名称": "南通导入一有限公司",
        "项目编号": "IMP-P1",
        "项目名称": "",
        "办理环节": "办结",
        "批复信息": "准予许可",
        "决定日期": "2026-03-02",
        "证照编号": f"L-{no}",
        "证照类型": "许可证",
        "发证日期": "2026/3/2",
        "有效期至": "2031年3月1日",
    }
    r.update(kw)
    return r


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    return pd.DataFrame(rows, columns=HEAD).to_csv(index=False).encode(encoding)


ROWS = [
    row("IMP-1"),
    row("IMP-2", 统一社会信用代码=NEW1.lower()[:6] + " " + NEW1.lower()[6:], 企业名称=""),  # same new firm
    row("IMP-3", 统一社会信用代码="91320602MA1JMP00"),  # 17 characters
    row("IMP-4", 决定日期="2099-01-01"),  # future
    row("IMP-1", 证照编号="L-X"),  # duplicate in file
    row("IMP-6", 有效期至="2020-01-01"),  # before issue date
    row("IMP-7", 事项编码="ZZ-404"),  # unknown item
    row("IMP-8", 统一社会信用代码=NEW2, 企业名称=""),  # new firm without name
    row("IMP-9", 事项编码="QT-001", 证照编号="", 证照类型="", 发证日期="", 有效期至=""),  # claim
    row(
        "IMP-10", 办理环节="需监管部门参与环节", 证照编号="", 证照类型="", 发证日期="", 有效期至="", 事项编码="SC-005"
    ),  # two departments
    row("IMP-11", 批复信息="", 证照类型="执照"),  # two problems
]


def test_preview_writes_nothing_and_lists_every_bad_row(db):
    clock.freeze(datetime(2026, 3, 10, 9, 0))
    before = {
        t: db.scalar(f"SELECT count(*) FROM {t}")
        for t in ("approval_case", "push", "claim", "licence", "enterprise", "project", "audit_log")
    }
    res = cases_import.import_cases(actor("approver"), "cases.csv", csv_bytes(ROWS), commit=False)
    after = {t: db.scalar(f"SELECT count(*) FROM {t}") for t in before}
    assert after == before
    assert res.total == 11 and res.ok == 4
    errs = {(r["行号"], r["字段"]) for r in res.errors.to_dict("records")}
    assert errs == {
        (4, "统一社会信用代码"),
        (5, "决定日期"),
        (6, "办件编号"),
        (7, "有效期至"),
        (8, "事项编码"),
        (9, "企业名称"),
        (12, "批复信息"),
        (12, "证照类型"),
    }
    assert list(res.rejected["行号"]) == [4, 5, 6, 7, 8, 9, 12]
    assert "与第 2 行重复" in res.rejected.loc[res.rejected["行号"] == 6, "错误原因"].item()
    book = pd.read_excel(io.BytesIO(res.rejected_xlsx()), dtype=str)
    assert list(book["办件编号"]) == ["IMP-3", "IMP-4", "IMP-1", "IMP-6", "IMP-7", "IMP-8", "IMP-11"]


def test_commit_imports_good_rows_in_one_batch(db):
    clock.freeze(datetime(2026, 3, 10, 9, 0))
    audit_before = db.scalar("SELECT count(*) FROM audit_log")
    res = cases_import.import_cases(actor("approver"), "cases.csv", csv_bytes(ROWS), commit=True)
    assert res.committed and res.ok == 4
    assert res.counts == {"enterprises": 1, "projects": 1, "cases": 4, "licences": 2, "pushes": 4, "claims": 1}
    cases = dict(db.all("SELECT case_no, id FROM approval_case WHERE source = 'import'"))
    assert set(cases) == {"IMP-1", "IMP-2", "IMP-9", "IMP-10"}
    assert db.scalar("SELECT count(DISTINCT enterprise_id) FROM approval_case WHERE source = 'import'") == 1
    assert db.scalar("SELECT name FROM enterprise WHERE uscc = ?", [NEW1]) == "南通导入一有限公司"
    lic = db.one("SELECT issued_on, valid_until, status FROM licence WHERE licence_no = 'L-IMP-1'")
    assert lic == (date(2026, 3, 2), date(2031, 3, 1), "有效")
    assert (
        db.scalar(
            "SELECT count(*) FROM licence_event le JOIN licence l ON l.id = le.licence_id"
            " WHERE l.licence_no LIKE 'L-IMP-%'"
        )
        == 2
    )
    # pushes due in working days, claims for the non-centralised item
    assert db.scalar("SELECT DISTINCT due_on FROM push WHERE case_id = ?", [cases["IMP-1"]]) == date(2026, 3, 13)
    assert db.scalar("SELECT count(*) FROM push WHERE case_id = ?", [cases["IMP-10"]]) == 2
    assert db.scalar("SELECT count(*) FROM claim WHERE case_id = ?", [cases["IMP-9"]]) == 1
    # one audit row for the batch
    assert db.scalar("SELECT count(*) FROM audit_log") == audit_before + 1
    after = db.one("SELECT action, object_type, after_json FROM audit_log ORDER BY id DESC LIMIT 1")
    assert after[0] == "import" and '"case_count": 4' in after[2]
    # the archive finds them, with the timeline's first line
    d = push_query.case_detail(actor("approver"), cases["IMP-2"])
    assert d["timeline"][0]["事件"] == "登记"
    # importing the same file again: every row is now a duplicate, nothing written
    with pytest.raises(ValidationError, match="没有可以导入的行"):
        cases_import.import_cases(actor("approver"), "cases.csv", csv_bytes(ROWS), commit=True)
    again = cases_import.import_cases(actor("approver"), "cases.csv", csv_bytes(ROWS), commit=False)
    assert again.ok == 0 and "已存在" in " ".join(again.errors["原因"])


def test_xlsx_template_roundtrip_and_gbk_csv(db):
    tpl = cases_import.template()
    frame = pd.read_excel(io.BytesIO(tpl), dtype=str)
    assert list(frame.columns) == HEAD
    res = cases_import.import_cases(actor("approver"), "tpl.xlsx", tpl, commit=False)
    assert res.total == 1  # the example row is checked like any other
    gbk = csv_bytes([row("GBK-1", 企业名称="南通国标编码有限公司", 统一社会信用代码=NEW2)], "gbk")
    res = cases_import.import_cases(actor("approver"), "gbk.csv", gbk, commit=True)
    assert res.ok == 1
    assert db.scalar("SELECT name FROM enterprise WHERE uscc = ?", [NEW2]) == "南通国标编码有限公司"


def test_import_refusals(db):
    with pytest.raises(PermissionDenied, match="只读"):
        cases_import.import_cases(actor("leader"), "a.csv", csv_bytes(ROWS), commit=False)
    with pytest.raises(PermissionDenied):
        cases_import.import_cases(actor("supervisor"), "a.csv", csv_bytes(ROWS), commit=False)
    with pytest.raises(ValidationError, match="缺少"):
        cases_import.import_cases(actor("approver"), "a.csv", "甲,乙\n1,2\n".encode(), commit=False)
    with pytest.raises(ValidationError, match="只支持"):
        cases_import.import_cases(actor("approver"), "a.txt", b"x", commit=False)


def test_row_errors_name_their_column_once(db):
    """Issue 16.17: "统一社会信用代码：统一社会信用代码校验位错误" — the column
    name is said once, in the preview and in the rejected rows."""
    bad = NEW1[:17] + ("0" if NEW1[17] != "0" else "1")  # wrong check character
    rows = [row("IMP-21", 统一社会信用代码=bad), row("IMP-22", 批复信息="")]
    res = cases_import.import_cases(actor("approver"), "cases.csv", csv_bytes(rows), commit=False)
    assert res.ok == 0
    for r in res.errors.to_dict("records"):
        assert not r["原因"].startswith(r["字段"]) and f"“{r['字段']}”" not in r["原因"], r
    reasons = dict(zip(res.errors["字段"], res.errors["原因"]))
    assert reasons["统一社会信用代码"].startswith("校验位错误")
    assert reasons["批复信息"] == "未填写"
    why = dict(zip(res.rejected["办件编号"], res.rejected["错误原因"]))
    assert why["IMP-21"].startswith("统一社会信用代码校验位错误")
    assert "统一社会信用代码：统一社会信用代码" not in why["IMP-21"]
    assert why["IMP-22"] == "请填写“批复信息”"
