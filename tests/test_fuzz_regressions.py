"""Plain regression tests for the bugs the bad-input properties found
(tests/test_fuzz_*.py)."""

from __future__ import annotations

import pytest

from sgld import penalty_sources as ps
from sgld import uscc
from sgld import validate as v
from sgld.errors import ValidationError
from sgld.services import liaison, org, penalty, push, warning
from tests.conftest import actor
from tests.fuzz_util import csv_bytes


@pytest.mark.parametrize("values", [[float("inf")], [float("nan")], [10**40], ["abc"], "123", [1.5], [True]])
def test_sign_odd_ids_refused(db, values):
    """Was OverflowError (infinity) or a DuckDB error (beyond 128 bits)."""
    with pytest.raises(ValidationError, match="所选签收无效"):
        push.sign_pushes(actor("supervisor"), values)


def test_id_list_accepts_plain_ids():
    assert v.id_list([3, "2", 2.0, 3], "记录") == [2, 3]
    assert v.id_list(None, "记录") == []


def test_long_chinese_password_refused(db):
    """64 characters pass the length rule but are 184 bytes: bcrypt raised ValueError."""
    pw = "Aa1" + "中" * 61
    assert v.password_problem(pw) and "72" in v.password_problem(pw)
    dept = db.scalar("SELECT id FROM department ORDER BY id LIMIT 1")
    before = db.scalar("SELECT count(*) FROM app_user")
    with pytest.raises(ValidationError, match="72 个字节"):
        org.create_user(actor("admin"), "fzpw", "测试", dept, ["supervisor"], pw)
    with pytest.raises(ValidationError, match="72 个字节"):
        from sgld.services import accounts
        from tests.conftest import DEMO_PASSWORD

        accounts.change_own_password(actor("supervisor"), DEMO_PASSWORD, pw, pw)
    assert db.scalar("SELECT count(*) FROM app_user") == before


@pytest.mark.parametrize(
    "key,value",
    [
        ("revocation_decision_days", "inf"),
        ("revocation_decision_days", "1e308"),
        ("default_sign_limit_days", "nan"),
        ("default_sign_limit_days", "2.5"),
    ],
)
def test_numeric_setting_bounds(db, key, value):
    """'inf' was stored and then broke every filing (OverflowError in decision_days)."""
    with pytest.raises(ValidationError):
        org.set_setting(actor("admin"), key, value)
    org.set_setting(actor("admin"), key, "5")


def test_warning_rules_without_big_penalty_rule(db):
    """With the single-fine and category rules off, the candidate UNION took
    its column names from the penalty-count part: BinderException."""
    res = warning.save_rules(
        actor("admin"), fine_wan=0, categories="无", count=3, months=12, results="立案查处", revoked=False
    )
    assert res["mode"] == "full"


HEADERS = [f[1][0] for f in ps.FIELDS.values()]


def _row(no, fine):
    return [
        "南通处罚测试有限公司",
        uscc.make("91320602MA1T2K3L4"),
        "王五",
        no,
        "",
        "",
        "",
        "罚款",
        "",
        fine,
        "",
        "2026-01-05",
        "",
        "",
        "南通市市场监督管理局",
        "",
    ]


def test_penalty_huge_amount_quarantined_not_fatal(db):
    """A fine beyond DECIMAL(18, 6) failed the whole run with a DuckDB error."""
    data = csv_bytes(
        HEADERS, [_row("通罚〔2026〕1号", "1e20"), _row("通罚〔2026〕2号", "inf"), _row("通罚〔2026〕3号", "12")]
    )
    res = penalty.import_files(actor("admin"), [("处罚.csv", data)])
    assert (res["imported"], res["quarantined"]) == (1, 2)
    reasons = [r[0] for r in db.all("SELECT reason FROM penalty_quarantine WHERE run_id = ?", [res["run_id"]])]
    assert all("超出可记录的范围" in r for r in reasons)


def test_penalty_truncated_gbk_is_a_validation_error(db):
    """A GBK file cut inside a character: UnicodeDecodeError from Arrow's open_csv."""
    data = csv_bytes(HEADERS, [_row("通罚〔2026〕截断号", "1")], "gbk")
    data = data[: data.rindex("南通市".encode("gbk")) + 1]
    n = db.scalar("SELECT count(*) FROM penalty")
    with pytest.raises(ValidationError, match="读取失败"):
        penalty.import_files(actor("admin"), [("截断.csv", data)])
    assert db.scalar("SELECT count(*) FROM penalty") == n


def test_penalty_file_without_name(db):
    with pytest.raises(ValidationError, match="类型不支持"):
        penalty.import_files(actor("admin"), [(None, b"x")])


def test_liaison_applicant_code_not_text(db):
    """A number as the applicant's code raised AttributeError."""
    from datetime import timedelta

    from sgld import clock

    dept = db.scalar("SELECT id FROM department WHERE kind = 'supervision' ORDER BY id LIMIT 1")
    with pytest.raises(ValidationError, match="统一社会信用代码"):
        liaison.create_review(
            actor("approver"),
            kind="现场审查",
            title="审查",
            place="现场",
            review_date=clock.today() + timedelta(days=5),
            purpose="目的",
            basis="依据",
            scope="范围",
            content="内容",
            schedule="上午",
            applicant_uscc=1,
            applicant_name="某公司",
            department_ids=[dept],
        )
