"""Issue 16.17: one display format in every list — dates 2026-12-07,
timestamps 2026-12-07 14:30, money with at most two decimals, nothing for a
missing value; the who/when columns stay in view."""

from datetime import date, datetime
from decimal import Decimal

import pandas as pd


def test_display_frame_formats_dates_money_and_missing_values():
    from ui.widgets import _column_order, display_frame, fmt_money

    frame = pd.DataFrame(
        {
            "编号": ["A", "B"],
            "决定日期": pd.to_datetime(["2026-12-07", "2026-12-08"]),
            "签收时间": pd.to_datetime(["2026-12-07 14:30:12", None]),
            "罚款（万元）": [Decimal("2.000000"), None],
            "到期日": [date(2026, 12, 2), None],
            "记录时间": ["2026-12-07 00:00:00", "2026-12-07 09:05:00"],
            "没收金额（万元）": [2.0, 1234.5678],
            "期限": [datetime(2026, 12, 7), datetime(2026, 12, 7, 8, 1)],
        }
    )
    shown, _ = display_frame(frame)
    assert list(shown["决定日期"]) == ["2026-12-07", "2026-12-08"]
    assert list(shown["签收时间"]) == ["2026-12-07 14:30", ""]
    assert list(shown["罚款（万元）"]) == ["2", ""]
    assert list(shown["到期日"]) == ["2026-12-02", ""]
    assert list(shown["记录时间"]) == ["2026-12-07", "2026-12-07 09:05"]
    assert list(shown["没收金额（万元）"]) == ["2", "1,234.57"]
    assert list(shown["期限"]) == ["2026-12-07", "2026-12-07 08:01"]
    assert [fmt_money(x) for x in (0, 10, 2.5, Decimal("0.125000"))] == ["0", "10", "2.5", "0.12"]
    cols = [
        "办件编号",
        "事项",
        "企业名称",
        "统一社会信用代码",
        "项目编号",
        "领取部门",
        "开放时间",
        "领取人",
        "领取时间",
        "推送原因",
    ]
    assert _column_order(cols)[:3] == ["办件编号", "领取人", "领取时间"]
