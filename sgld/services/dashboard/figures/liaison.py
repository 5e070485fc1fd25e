"""Liaison letters (商请函) answered on time and reviews attended, by department."""

from __future__ import annotations

import pandas as pd

from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _numbers, _rate, _sums
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    """Letters by department (review date in the period)."""
    extra, params = "", []
    if ctx.dept:
        extra, params = " AND q.department_id = ?", [ctx.dept]
    r, rp = ctx.in_range("v.review_date", True)
    c, cp = ctx.cur_flag("v.review_date", True)
    sql = (
        f"SELECT q.department_id AS department_id, {c} AS cur,"
        " count(*) AS letters,"
        f" count(*) FILTER (WHERE q.dispatched_at IS NOT NULL"
        f"   AND {ctx.day('q.dispatched_at')} < v.review_date) AS on_time,"
        " count(*) FILTER (WHERE q.status = '已派员') AS dispatched,"
        " count(*) FILTER (WHERE q.status = '待派员' AND v.review_date < ?) AS unanswered,"
        " count(*) FILTER (WHERE q.status = '已派员' AND q.attended) AS attended,"
        " count(*) FILTER (WHERE q.status = '已派员' AND q.recorded_at IS NOT NULL"
        "   AND NOT q.attended) AS absent"
        " FROM liaison_request q JOIN liaison_review v ON v.id = q.review_id"
        f" WHERE q.status <> '已撤回' AND {r}{extra} GROUP BY 1, 2"
    )
    return {"liaison": (sql, cp + [ctx.today] + rp + params)}


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    li = raw["liaison"]
    no_cat = ctx.no_cat
    num = ["letters", "on_time", "dispatched", "unanswered", "attended", "absent"]
    dept_ids = li["department_id"].tolist()
    curs, *vals = _numbers(li, "cur", *num)
    t = {c: {k: sum(v for v, x in zip(col, curs) if x == c) for k, col in zip(num, vals)} for c in (1, 0)}
    ctx.headline.append(
        Headline(
            "按时派员率",
            _rate(t[1]["on_time"], t[1]["dispatched"] + t[1]["unanswered"]),
            _rate(t[0]["on_time"], t[0]["dispatched"] + t[0]["unanswered"]),
            "%",
            fmt="pct",
        )
    )
    by_dept = _sums(
        [d for d, c in zip(dept_ids, curs) if c == 1], [[v for v, c in zip(col, curs) if c == 1] for col in vals]
    )
    rows = []
    for d in sorted(by_dept):
        letters, on_time, dispatched, unanswered, attended, absent = by_dept[d]
        rows.append(
            {
                "部门": ctx.dept(d),
                "商请函": int(letters),
                "按时派员": int(on_time),
                "逾期未派员": int(unanswered),
                "按时派员率(%)": _rate(on_time, dispatched + unanswered),
                "参加审查": int(attended),
                "未参加": int(absent),
            }
        )
    rows.sort(key=lambda r: (-r["逾期未派员"], -r["商请函"]))
    frame = pd.DataFrame(
        rows, columns=["部门", "商请函", "按时派员", "逾期未派员", "按时派员率(%)", "参加审查", "未参加"]
    )
    return [
        Figure(
            "liaison",
            "联络员商请函答复与参加审查（按部门）",
            frame,
            {"kind": "bar", "x": "部门", "y": ["按时派员", "逾期未派员", "参加审查"], "barmode": "group"},
            note="按审查日期统计（不含已撤回的函）；按时派员 = 审查日前一天及以前派出联络员；"
            "按时派员率 = 按时派员 ÷（已派员 + 逾期未派员）。" + (f" {no_cat}" if no_cat else ""),
        )
    ]


SPEC = FigureSpec("liaison", queries, shape, missing=("联络员", "liaison", "联络员功能尚未上线"))
