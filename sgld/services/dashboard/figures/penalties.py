"""Penalties (行政处罚) by category, with the amounts and how many concern
enterprises holding a licence of the bureau."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _frame, _fsum, _numbers, _sort_order
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    extra, params = "", []
    if ctx.dept:
        scope, sp = ctx.scope()
        extra, params = f" AND p.enterprise_id IN ({scope})", sp
    lic = (
        "p.enterprise_id IN (SELECT l.enterprise_id FROM licence l JOIN item i ON i.id = l.item_id WHERE i.centralised)"
    )
    r, rp = ctx.in_range("p.decision_date", True)
    c, cp = ctx.cur_flag("p.decision_date", True)
    licensed = f"count(*) FILTER (WHERE {lic})"
    sql = (
        f"SELECT coalesce(p.category, '（未分类）') AS category, {c} AS cur,"
        " count(*) AS n, sum(coalesce(p.fine_wan, 0)) AS fine,"
        " sum(coalesce(p.confiscation_wan, 0)) AS confiscation,"
        f" {licensed} AS licensed FROM penalty p WHERE {r}{extra}"
        " GROUP BY 1, 2"
    )
    return {"penalties": (sql, cp + rp + params)}


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    pen = raw["penalties"]
    H = ctx.headline
    no_cat = ctx.no_cat
    cats = pen["category"].tolist()
    curs, ns, fines, confs, lics = _numbers(pen, "cur", "n", "fine", "confiscation", "licensed")
    fines, confs = [float(v) for v in fines], [float(v) for v in confs]

    def total(values: list, c: int, money: bool = False):
        if not curs:
            return 0
        picked = [v for v, k in zip(values, curs) if k == c]
        return _fsum(picked) if money else float(sum(picked))

    H.append(Headline("行政处罚", int(total(ns, 1)), int(total(ns, 0)), "件"))
    H.append(
        Headline(
            "罚没金额",
            round(total(fines, 1, True) + total(confs, 1, True), 2),
            round(total(fines, 0, True) + total(confs, 0, True), 2),
            "万元",
            fmt="float",
        )
    )
    rows = [i for i, c in enumerate(curs) if c == 1]
    rows = [rows[i] for i in _sort_order(np.asarray([ns[i] for i in rows], dtype="int64"), ascending=False)]
    fine = np.round(np.asarray([fines[i] for i in rows], dtype="float64"), 2)
    conf = np.round(np.asarray([confs[i] for i in rows], dtype="float64"), 2)
    data = {
        "处罚类别": [cats[i] for i in rows],
        "件数": [int(ns[i]) for i in rows],
        "罚款金额(万元)": fine.tolist(),
        "没收金额(万元)": conf.tolist(),
        "涉及审批局发证企业": [int(lics[i]) for i in rows],
    }
    n_rows = len(rows)
    if n_rows:
        for key, value in (
            ("处罚类别", "合计"),
            ("件数", sum(data["件数"])),
            ("罚款金额(万元)", round(float(np.sum(fine)), 2)),
            ("没收金额(万元)", round(float(np.sum(conf)), 2)),
            ("涉及审批局发证企业", sum(data["涉及审批局发证企业"])),
        ):
            data[key].append(value)
    frame = _frame(
        data,
        {
            "处罚类别": pen["category"].dtype,
            "件数": "int64",
            "罚款金额(万元)": "float64",
            "没收金额(万元)": "float64",
            "涉及审批局发证企业": "int64",
        },
    )
    return [
        Figure(
            "penalties",
            "行政处罚（按处罚类别）",
            frame,
            {"kind": "bar", "x": "处罚类别", "y": ["件数", "涉及审批局发证企业"], "barmode": "group", "rows": n_rows},
            note=(
                "按处罚决定日期统计；“涉及审批局发证企业”为被处罚企业持有审批局"
                "（集中审批事项）核发证照的件数。" + (f" {no_cat}" if no_cat else "")
            ),
        )
    ]


SPEC = FigureSpec("penalties", queries, shape, missing=("行政处罚", "penalties", "处罚抽取功能尚未上线"))
