"""Approval results opened for claim by the other licensing departments."""

from __future__ import annotations

import pandas as pd

from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _numbers, _rate, _sums
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    """Claims by department (opened for claim in the period)."""
    extra, params = ctx.dept_cat_filter("k")
    r, rp = ctx.in_range("k.available_at")
    c, cp = ctx.cur_flag("k.available_at")
    sql = (
        f"SELECT k.department_id AS department_id, {c} AS cur, count(*) AS opened,"
        " count(*) FILTER (WHERE k.status = '已领取') AS claimed,"
        " count(*) FILTER (WHERE k.status = '待领取') AS waiting,"
        " sum(k2.wd_no - k1.wd_no) FILTER (WHERE k.status = '已领取') AS claim_wd"
        " FROM claim k"
        f" LEFT JOIN sgld_cal k1 ON k1.day = {ctx.day('k.available_at')}"
        f" LEFT JOIN sgld_cal k2 ON k2.day = {ctx.day('k.claimed_at')}"
        f" WHERE {r}{extra} GROUP BY 1, 2"
    )
    return {"claims": (sql, cp + rp + params)}


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    claims = raw["claims"]
    dept_ids = claims["department_id"].tolist()
    curs, *vals = _numbers(claims, "cur", "opened", "claimed", "waiting", "claim_wd")
    claimed = {c: sum(v for v, k in zip(vals[1], curs) if k == c) for c in (1, 0)}
    ctx.headline.append(Headline("领取审批结果", int(claimed[1]), int(claimed[0]), "件"))
    by_dept = _sums(
        [d for d, c in zip(dept_ids, curs) if c == 1], [[v for v, c in zip(col, curs) if c == 1] for col in vals]
    )
    rows = []
    for d in sorted(by_dept):
        opened, n_claimed, waiting, claim_wd = by_dept[d]
        rows.append(
            {
                "部门": ctx.dept(d),
                "开放领取": int(opened),
                "已领取": int(n_claimed),
                "待领取": int(waiting),
                "领取率(%)": _rate(n_claimed, opened),
                "平均领取用时(工作日)": round(claim_wd / n_claimed, 2) if n_claimed else None,
            }
        )
    frame = pd.DataFrame(rows, columns=["部门", "开放领取", "已领取", "待领取", "领取率(%)", "平均领取用时(工作日)"])
    return [
        Figure(
            "claims",
            "审批结果领取（其他许可部门）",
            frame,
            {"kind": "bar", "x": "部门", "y": ["已领取", "待领取"], "barmode": "stack"},
        )
    ]


SPEC = FigureSpec("claims", queries, shape)
