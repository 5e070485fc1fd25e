"""Cases recorded and concluded, by item category and by month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _frame, _month_texts, _null, _numbers, _sort_order, partial_months_note
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    """Recorded (created_at) and concluded (stage 办结, decided_on)."""
    dept, cat, a, da = ctx.dept, ctx.f.category, ctx.a, ctx.da
    where, params = [], []
    if dept:
        where.append(
            "c.id IN (SELECT case_id FROM push WHERE department_id = ?"
            " UNION ALL SELECT case_id FROM claim WHERE department_id = ?)"
        )
        params += [dept, dept]
    if cat:
        where.append("c.item_id IN (SELECT id FROM item WHERE category = ?)")
        params.append(cat)
    extra = "".join(" AND " + w for w in where)
    r1, p1 = ctx.in_range("c.created_at")
    r2, p2 = ctx.in_range("c.decided_on", True)
    m1, m2 = ctx.month("c.created_at"), ctx.month("c.decided_on")
    # one scan: each case counts as recorded and/or concluded in the window
    sql = (
        "SELECT i.category AS category, x.m_rec, x.cur_rec, x.m_done, x.cur_done, x.n FROM ("
        f" SELECT c.item_id, CASE WHEN {r1} THEN {m1} END AS m_rec,"
        " CASE WHEN c.created_at >= ? THEN 1 ELSE 0 END AS cur_rec,"
        f" CASE WHEN c.stage = '办结' AND {r2} THEN {m2} END AS m_done,"
        " CASE WHEN c.decided_on >= ? THEN 1 ELSE 0 END AS cur_done, count(*) AS n"
        f" FROM approval_case c WHERE (({r1}) OR (c.stage = '办结' AND {r2})){extra}"
        " GROUP BY 1, 2, 3, 4, 5) x JOIN item i ON i.id = x.item_id"
    )
    return {"cases": (sql, p1 + [a] + p2 + [da] + p1 + p2 + params)}


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    return _case_figures(raw["cases"], ctx.headline, ctx.categories, partial_months_note(ctx.f))


def _case_figures(
    raw: pd.DataFrame, H: list, categories: list[str] | None, month_note: str | None = None
) -> list[Figure]:
    """Cases recorded and concluded, by category and by month.  A query row
    (category, m_rec, cur_rec, m_done, cur_done, n) counts n cases as recorded
    in month m_rec and/or concluded in month m_done."""
    cats = raw["category"].tolist()
    cur_rec, cur_done, ns = _numbers(raw, "cur_rec", "cur_done", "n")
    m_rec, m_done = _month_texts(raw["m_rec"]), _month_texts(raw["m_done"])
    totals = {1: [0, 0], 0: [0, 0]}  # cur -> [recorded, concluded]
    by_cat: dict = {}  # this period: category -> [recorded, concluded]
    by_month: dict = {}  # this period: month -> [recorded, concluded]
    for cat, mr, cr, md, cd, n in zip(cats, m_rec, cur_rec, m_done, cur_done, ns):
        if _null(cat):
            continue
        n = int(n)
        for month, c, slot in ((mr, cr, 0), (md, cd, 1)):
            if month is None:
                continue
            if c in totals:
                totals[c][slot] += n
            if c == 1:
                by_cat.setdefault(cat, [0, 0])[slot] += n
                by_month.setdefault(month, [0, 0])[slot] += n
    H.append(Headline("录入办件", totals[1][0], totals[0][0], "件"))
    H.append(Headline("办结办件", totals[1][1], totals[0][1], "件"))
    keys = sorted(by_cat)
    if categories:
        order = {c: i for i, c in enumerate(categories)}
        known = all(k in order for k in keys)
        keys = [
            keys[i]
            for i in _sort_order(np.asarray([order.get(k, 999) for k in keys], dtype="int64" if known else "float64"))
        ]
    frame = _frame(
        {"事项分类": keys, "录入办件": [by_cat[k][0] for k in keys], "办结办件": [by_cat[k][1] for k in keys]},
        {"事项分类": raw["category"].dtype, "录入办件": "int64", "办结办件": "int64"},
    )
    months = sorted(by_month)
    month_frame = _frame(
        {"月份": months, "录入办件": [by_month[m][0] for m in months], "办结办件": [by_month[m][1] for m in months]},
        {"月份": "str" if len(raw) else object, "录入办件": "int64", "办结办件": "int64"},
    )
    return [
        Figure(
            "cases_by_category",
            "办件录入与办结（按事项分类）",
            frame,
            {"kind": "bar", "x": "事项分类", "y": ["录入办件", "办结办件"], "barmode": "group"},
            note="录入办件按录入时间、办结办件按办结（决定）日期计入统计期间。",
        ),
        Figure(
            "cases_by_month",
            "办件录入与办结（按月）",
            month_frame,
            {"kind": "line", "x": "月份", "y": ["录入办件", "办结办件"]},
            note=month_note,
        ),
    ]


SPEC = FigureSpec("cases", queries, shape, missing=("办件录入与办结", "cases_by_category", "审批推送功能尚未上线"))
