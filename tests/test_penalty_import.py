"""Penalty extraction from files: encodings, tolerant headers, dates,
idempotency, quarantine reasons, the vectorised code check, the CLI."""

import io
import json
import random
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest

from sgld import clock, uscc
from sgld.errors import PermissionDenied, ValidationError
from sgld.services import penalty

HEAD = [
    "行政相对人名称",
    "行政相对人代码_1(统一社会信用代码)",
    "法定代表人",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "数据来源单位",
]
CODE_A = uscc.make("91320602MA1N2B3C4")
CODE_B = uscc.make("91320611MA1P5Q6R7")


def row(
    name="南通测试食品有限公司",
    code=CODE_A,
    no="通市监处罚〔2025〕1号",
    day="2025-03-05",
    fine="0.5",
    conf="",
    valid="",
    publish="",
):
    return [
        name,
        code,
        "张三",
        no,
        "销售过期食品",
        "经查，当事人销售过期食品。",
        "《食品安全法》第一百二十四条",
        "罚款",
        "罚款人民币五千元",
        fine,
        conf,
        day,
        valid,
        publish,
        "南通市市场监督管理局",
        "南通市市场监督管理局",
    ]


def csv_bytes(rows, encoding="gbk", head=HEAD) -> bytes:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=head).to_csv(buf, index=False)
    return buf.getvalue().encode(encoding)


GOOD = [
    row(no=f"通市监处罚〔2025〕{i}号", code=CODE_A if i % 2 else CODE_B, name=f"南通测试{i % 2}有限公司")
    for i in range(1, 9)
]


def counts(r):
    return (r["rows_read"], r["imported"], r["duplicates"], r["quarantined"])


def test_same_file_twice_imports_nothing_new(db):
    data = csv_bytes(GOOD)
    r1 = penalty.import_files(None, [("a.csv", data)])
    assert counts(r1) == (8, 8, 0, 0)
    r2 = penalty.import_files(None, [("a.csv", data)])
    assert counts(r2) == (8, 0, 8, 0)
    assert db.scalar("SELECT count(*) FROM penalty WHERE source = '文件导入'") == 8
    # one audit row per run, with the counts
    audits = db.all("SELECT object_id, after_json FROM audit_log WHERE action = 'penalty_sync' ORDER BY id")
    assert [json.loads(a[1])["imported"] for a in audits[-2:]] == [8, 0]
    assert audits[-1][0] == str(r2["run_id"])


def test_gbk_and_utf8_bom_give_the_same_result(db):
    rows = GOOD + [row(no="通市监处罚〔2025〕99号", code="BAD")]
    r_gbk = penalty.import_files(None, [("gbk.csv", csv_bytes(rows, "gbk"))], source="甲")
    r_bom = penalty.import_files(None, [("bom.csv", csv_bytes(rows, "utf-8-sig"))], source="乙")
    r_18030 = penalty.import_files(None, [("g.csv", csv_bytes(rows, "gb18030"))], source="丙")
    assert counts(r_gbk) == counts(r_bom) == counts(r_18030) == (9, 8, 0, 1)
    cols = (
        "decision_no, uscc, enterprise_id, entity_name, legal_rep, violation_type, facts, basis, category,"
        " content, fine_wan, confiscation_wan, decision_date, authority"
    )
    a = db.all(f"SELECT {cols} FROM penalty WHERE source = '甲' ORDER BY decision_no")
    b = db.all(f"SELECT {cols} FROM penalty WHERE source = '乙' ORDER BY decision_no")
    assert a == b and len(a) == 8
    qa = db.all("SELECT raw_json, reason FROM penalty_quarantine WHERE source = '甲'")
    qb = db.all("SELECT raw_json, reason FROM penalty_quarantine WHERE source = '乙'")
    assert qa == qb


def test_quarantine_reasons_and_nothing_dropped(db):
    today = clock.today()
    rows = [
        row(no="Q1", code=""),  # no code
        row(no="Q2", code=CODE_A[:17] + ("0" if CODE_A[17] != "0" else "1")),  # check character
        row(no="Q3", code="91320602ABC"),  # length
        row(no="Q4", day="2025-02-30"),  # impossible date
        row(no="Q5", day=(today + timedelta(days=3)).isoformat()),  # future decision
        row(no=""),  # no decision number
        row(no="Q7", fine="五千元"),  # unreadable amount
        row(no="Q8", fine="-1"),  # negative amount
        row(no="Q9", day=""),  # no decision date
        row(no="Q10", name=""),  # no entity name
        row(no="OK1"),
    ]
    data = csv_bytes(rows, "utf-8") + "只有,三,列\n".encode("utf-8")  # an unreadable line
    r = penalty.import_files(None, [("q.csv", data)])
    assert counts(r) == (12, 1, 0, 11)
    reasons = dict(
        db.all(
            "SELECT CAST(raw_json AS JSON) ->> '行政处罚决定书文号', reason FROM penalty_quarantine WHERE run_id = ?",
            [r["run_id"]],
        )
    )
    assert "不能为空" in reasons["Q1"]
    assert "校验位错误" in reasons["Q2"]
    assert "应为 18 位" in reasons["Q3"]
    assert "不是有效日期" in reasons["Q4"]
    assert "不能晚于今天" in reasons["Q5"]
    assert "缺少行政处罚决定书文号" in reasons[""]
    assert "不是有效金额" in reasons["Q7"]
    assert "不能为负数" in reasons["Q8"]
    assert "缺少处罚决定日期" in reasons["Q9"]
    assert "缺少行政相对人名称" in reasons["Q10"]
    unreadable = db.one(
        "SELECT location, reason, raw_json FROM penalty_quarantine WHERE run_id = ? AND reason LIKE '无法读取%'",
        [r["run_id"]],
    )
    assert unreadable and "列数不符" in unreadable[1] and "第13行" in unreadable[0]
    assert "只有,三,列" in unreadable[2]
    # the location of a bad row is its line in the file
    loc = db.scalar(
        "SELECT location FROM penalty_quarantine WHERE reason LIKE '%校验位%' AND run_id = ?", [r["run_id"]]
    )
    assert loc == "q.csv 第3行"
    # importing the same file again quarantines nothing new
    again = penalty.import_files(None, [("q.csv", data)])
    assert counts(again) == (12, 0, 12, 0)


def test_codes_normalised_and_linked(db):
    known = db.one("SELECT id, uscc, name FROM enterprise ORDER BY id LIMIT 1")
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in known[1].lower())
    rows = [row(no="N1", code=f"  {wide} ", name="别名也可以"), row(no="N2", code=CODE_A, name="新企业甲")]
    r = penalty.import_files(None, [("n.csv", csv_bytes(rows))])
    assert counts(r) == (2, 2, 0, 0) and r["enterprises_created"] == 1
    linked = dict(db.all("SELECT decision_no, enterprise_id FROM penalty WHERE run_id = ?", [r["run_id"]]))
    assert linked["N1"] == known[0]
    new = db.one("SELECT id, name FROM enterprise WHERE uscc = ?", [CODE_A])
    assert linked["N2"] == new[0] and new[1] == "新企业甲"
    assert db.scalar("SELECT uscc FROM penalty WHERE decision_no = 'N1'") == known[1]


def test_tolerant_headers_and_date_formats(db):
    head = [h.replace("（", "(").replace("）", ")") for h in HEAD]
    head[1] = "行政相对人代码_1（统一社会信用代码）"
    head[3] = " 行政处罚决定书 文号 "
    rows = [
        row(no="D1", day="2025/3/5"),
        row(no="D2", day="2025年3月5日"),
        row(no="D3", day="20250305"),
        row(no="D4", day="45721"),
    ]
    r = penalty.import_files(None, [("h.csv", csv_bytes(rows, "gb18030", head))])
    assert counts(r) == (4, 4, 0, 0)
    days = {d for (d,) in db.all("SELECT decision_date FROM penalty WHERE run_id = ?", [r["run_id"]])}
    assert days == {date(2025, 3, 5)}


def test_xlsx_with_excel_dates(db):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    r1 = row(no="X1")
    r1[11] = date(2025, 4, 1)  # a real Excel date cell
    ws.append(r1)
    r2 = row(no="X2")
    r2[11] = 45748  # an Excel serial number: 2025-04-01
    ws.append(r2)
    ws.append(row(no="X3", code="坏代码"))
    buf = io.BytesIO()
    wb.save(buf)
    r = penalty.import_files(None, [("p.xlsx", buf.getvalue())])
    assert counts(r) == (3, 2, 0, 1)
    assert {d for (d,) in db.all("SELECT decision_date FROM penalty WHERE run_id = ?", [r["run_id"]])} == {
        date(2025, 4, 1)
    }
    assert db.scalar("SELECT location FROM penalty_quarantine WHERE run_id = ?", [r["run_id"]]) == "p.xlsx 第4行"


@pytest.mark.parametrize(
    "name,data,expect",
    [
        ("x.csv", "名称,代码\n甲,乙\n".encode("gbk"), "行政处罚决定书文号"),
        ("x.csv", bytes([0x81, 0x20, 0xFF, 0xFE, 0x00]) * 50, "无法识别文件编码"),
        ("x.txt", b"abc", "只接受 .csv 或 .xlsx"),
        ("x.xlsx", b"not a zip", "不是有效的 .xlsx"),
        ("x.csv", b"", "空文件"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(db, name, data, expect):
    before = db.scalar("SELECT count(*) FROM penalty")
    with pytest.raises(ValidationError) as e:
        penalty.import_files(None, [(name, data)])
    assert expect in str(e.value)
    assert db.scalar("SELECT count(*) FROM penalty") == before


def test_failed_file_run_is_logged_and_imports_nothing(db):
    bad = "名称,代码\n甲,乙\n".encode("gbk")
    with pytest.raises(ValidationError):
        penalty.import_files(None, [("ok.csv", csv_bytes(GOOD)), ("bad.csv", bad)])
    assert db.scalar("SELECT count(*) FROM penalty WHERE source = '文件导入'") == 0
    run = db.one("SELECT status, error FROM penalty_run ORDER BY id DESC LIMIT 1")
    assert run[0] == "失败" and "bad.csv" in run[1]
    assert db.scalar("SELECT run_id FROM penalty_sync_state") is None
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'penalty_sync_failed'") >= 1


def test_vectorised_code_check_agrees_with_the_reference():
    rng = random.Random(5)
    codes = []
    for _ in range(3000):
        first = uscc.make(
            "91"
            + "".join(rng.choice("0123456789") for _ in range(6))
            + "".join(rng.choice(uscc.CHARSET) for _ in range(9))
        )
        kind = rng.randrange(6)
        if kind == 0:
            codes.append(first)
        elif kind == 1:
            i = rng.randrange(18)
            codes.append(first[:i] + rng.choice(uscc.CHARSET + "IOZSV") + first[i + 1 :])
        elif kind == 2:
            codes.append(first[: rng.randrange(19)])
        elif kind == 3:
            codes.append(rng.choice("123456789ANYZ") + rng.choice("123456789") + first[2:])
        elif kind == 4:
            codes.append(uscc.make(rng.choice("159NY") + rng.choice("1239") + first[2:17]))
        else:
            codes.append(first[:5] + "中" + first[6:])
    codes = [uscc.normalise(c) for c in codes]
    expected = [uscc.problem(c) is None for c in codes]
    assert list(penalty.uscc_valid(pd.Series(codes))) == expected
    import pyarrow as pa

    assert list(penalty._arrow_uscc_ok(pa.array(codes))) == expected
    assert any(expected) and not all(expected)


def test_only_admin_imports_files(db, as_user):
    for who in ("approver", "leader", "supervisor"):
        with pytest.raises(PermissionDenied):
            penalty.import_files(as_user(who), [("a.csv", csv_bytes(GOOD))])
    r = penalty.import_files(as_user("admin"), [("a.csv", csv_bytes(GOOD))], trigger="上传")
    assert r["imported"] == 8
    assert db.scalar("SELECT started_by FROM penalty_run WHERE id = ?", [r["run_id"]]) == "admin"


def test_cli_import_prints_summary_and_exit_codes(db, tmp_path, capsys):
    from sgld.cli import main

    good = tmp_path / "p.csv"
    good.write_bytes(csv_bytes(GOOD + [row(no="坏", code="")]))
    assert main(["import-penalties", str(good)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "read=9 imported=8 duplicates=0 quarantined=1"
    assert main(["import-penalties", str(good)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "read=9 imported=0 duplicates=9 quarantined=0"
    bad = tmp_path / "bad.csv"
    bad.write_bytes("名称,代码\n甲,乙\n".encode("gbk"))
    assert main(["import-penalties", str(bad)]) != 0
    out = capsys.readouterr()
    assert out.out.strip().splitlines()[-1] == "read=0 imported=0 duplicates=0 quarantined=0"
    assert "行政处罚决定书文号" in out.err
