"""Inspections (日常检查) by department and result."""

from __future__ import annotations

import pandas as pd

from sgld.services.dashboard.lookups import _inspection_results
from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _cols, _frame, _null, _numbers, _sort_order
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    extra, params = "", []
    if ctx.dept:
        extra, params = " AND n.department_id = ?", [ctx.dept]
    r, rp = ctx.in_range("n.inspected_at")
    c, cp = ctx.cur_flag("n.inspected_at")
    sql = (
        f"SELECT n.department_id AS department_id, n.result AS result, {c} AS cur,"
        f" count(*) AS n FROM inspection n WHERE {r}{extra}"
        " GROUP BY 1, 2, 3"
    )
    return {"inspections": (sql, cp + rp + params)}


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    ins = raw["inspections"]
    dept_ids, results = _cols(ins, "department_id", "result")
    curs, ns = _numbers(ins, "cur", "n")
    ctx.headline.append(
        Headline(
            "日常检查", sum(n for n, c in zip(ns, curs) if c == 1), sum(n for n, c in zip(ns, curs) if c == 0), "次"
        )
    )
    cells: dict = {}
    present: set = set()
    for d, res, c, n in zip(dept_ids, results, curs, ns):
        if c != 1 or _null(res):
            continue
        row = cells.setdefault(ctx.dept(d), {})
        row[res] = row.get(res, 0) + n
        present.add(res)
    order = _inspection_results()
    cols = [c for c in order if c in present] + sorted(c for c in present if c not in order)
    depts = sorted(cells)
    data = {"部门": depts}
    for c in cols:
        data[c] = [cells[d].get(c, 0) for d in depts]
    frame = _frame(data, {"部门": ins["department_id"].dtype})
    if len(frame):
        totals = [sum(cells[d].values()) for d in depts]
        frame["合计"] = totals
        frame = frame.take(_sort_order(totals, ascending=False)).reset_index(drop=True)
    return [
        Figure(
            "inspections",
            "日常检查（按部门和检查结果）",
            frame,
            {"kind": "bar", "x": "部门", "y": cols, "barmode": "stack"},
            note=ctx.no_cat,
        )
    ]


SPEC = FigureSpec("inspections", queries, shape, missing=("日常检查", "inspections", "监管录入功能尚未上线"))
