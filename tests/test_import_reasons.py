"""Every import preview names the column once: its 原因 does not repeat the
字段 (issue 16 item 17), and the 字段 is the sheet's own column header."""

import pandas as pd

from sgld.services import inspection, org


def test_inspection_preview_reason_does_not_repeat_column(db, as_user):
    sup = as_user("supervisor")
    frame = pd.DataFrame(
        [
            {
                "统一社会信用代码": "BAD",
                "被检查对象名称": "x",
                "检查时间": "2025-03-05",
                "检查地点": "现场",
                "检查结果": "合格",
                "检查情况": "",
                "检查人员": "王五",
            },
            {
                "统一社会信用代码": "91320602MA1X7Y8W9X",
                "被检查对象名称": "x",
                "检查时间": "2025-03-05",
                "检查地点": "",
                "检查结果": "合格",
                "检查情况": "",
                "检查人员": "王五",
            },
        ]
    )
    preview = inspection.import_inspections(sup, "检查.csv", frame.to_csv(index=False).encode(), commit=False)
    errors = {e["行号"]: e for e in preview["errors"]}
    assert errors[2]["字段"] == "统一社会信用代码"
    assert "统一社会信用代码" not in errors[2]["原因"] and errors[2]["原因"]
    # the downloadable rows keep the column in their reason (they have no 字段 column)
    assert preview["rejected"]["原因"].str.contains("统一社会信用代码").iloc[0]


def test_item_preview_names_the_sheet_column(db, as_user):
    admin = as_user("admin")
    frame = pd.DataFrame(
        [
            {
                "事项编码": "",
                "事项名称": "导入事项",
                "事项分类": "测试",
                "是否集中审批": "是",
                "签收时限": "3",
                "关联部门": "市场监管局",
            },
            {
                "事项编码": "ZZ-3",
                "事项名称": "导入事项",
                "事项分类": "测试",
                "是否集中审批": "是",
                "签收时限": "99",
                "关联部门": "市场监管局",
            },
            {
                "事项编码": "ZZ-4",
                "事项名称": "导入事项",
                "事项分类": "测试",
                "是否集中审批": "是",
                "签收时限": "3",
                "关联部门": "不存在局",
            },
        ]
    )
    errors = {e["行号"]: e for e in org.import_items(admin, frame, commit=False)["errors"]}
    assert (errors[2]["字段"], errors[2]["原因"]) == ("事项编码", "未填写")
    assert errors[3]["字段"] == "签收时限" and "签收时限" not in errors[3]["原因"]
    assert errors[4]["字段"] == "关联部门" and errors[4]["原因"].startswith("部门不存在")
