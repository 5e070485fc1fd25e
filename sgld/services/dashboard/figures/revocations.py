"""Revocation requests (撤销申请, issue 5) by requested action and outcome,
with the decision time in working days."""

from __future__ import annotations

import pandas as pd

from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _cols, _frame, _null, _numbers, _sums
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    f, dept, today = ctx.f, ctx.dept, ctx.today
    a = ctx.a
    where, params = [], []
    if dept:
        where.append("r.department_id = ?")
        params.append(dept)
    if f.category:
        where.append("r.category = ?")
        params.append(f.category)
    extra = "".join(" AND " + w for w in where)
    decided_day = ctx.day("r.decided_at")
    filed, filed_params = ctx.in_range("r.filed_at")
    sql = (
        "SELECT r.requested_action AS action, r.status AS status,"
        " CASE WHEN r.filed_at >= ? THEN 1 ELSE 0 END AS cur, count(*) AS n,"
        " count(r.decided_at) AS decided,"
        " sum(k2.wd_no - k1.wd_no) FILTER (WHERE r.decided_at IS NOT NULL) AS decide_wd,"
        f" count(*) FILTER (WHERE r.decided_at IS NOT NULL AND {decided_day} > r.deadline)"
        " AS late,"
        " count(*) FILTER (WHERE r.status IN ('已提交', '核实中') AND r.deadline < ?) AS overdue"
        " FROM revocation_request r"
        f" LEFT JOIN sgld_cal k1 ON k1.day = {ctx.day('r.filed_at')}"
        f" LEFT JOIN sgld_cal k2 ON k2.day = {decided_day}"
        f" WHERE {filed}{extra} GROUP BY 1, 2, 3"
    )
    return {"revocations": (sql, [a, today] + filed_params + params)}


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    return _revocation_figures(raw["revocations"], ctx.headline)


def _revocation_figures(rev: pd.DataFrame, H: list) -> list[Figure]:
    actions, statuses_col = _cols(rev, "action", "status")
    curs, *vals = _numbers(rev, "cur", "n", "decided", "decide_wd", "late", "overdue")
    H.append(
        Headline(
            "撤销申请",
            sum(n for n, c in zip(vals[0], curs) if c == 1),
            sum(n for n, c in zip(vals[0], curs) if c == 0),
            "件",
        )
    )
    statuses = ["已提交", "核实中", "已撤销", "不予撤销", "已撤回"]
    keep = [i for i, (a, c) in enumerate(zip(actions, curs)) if c == 1 and not _null(a)]
    # action -> [n, decided, decide_wd, late, overdue]
    agg = _sums([actions[i] for i in keep], [[col[i] for i in keep] for col in vals])
    cells: dict = {}  # action -> status -> n
    for i in keep:
        if not _null(statuses_col[i]):
            row = cells.setdefault(actions[i], {})
            row[statuses_col[i]] = row.get(statuses_col[i], 0) + vals[0][i]
    keys = sorted(a for a in agg if a in cells)
    cols = ["申请事项", "申请数"] + statuses + ["平均办理用时(工作日)", "超期办结", "超期未办结"]
    data = {"申请事项": keys, "申请数": [int(agg[a][0]) for a in keys]}
    for st_ in statuses:
        data[st_] = [int(cells[a].get(st_, 0)) for a in keys]
    data["平均办理用时(工作日)"] = [round(float(agg[a][2]) / agg[a][1], 2) if agg[a][1] else None for a in keys]
    data["超期办结"] = [int(agg[a][3]) for a in keys]
    data["超期未办结"] = [int(agg[a][4]) for a in keys]
    frame = _frame(
        {c: data[c] for c in cols},
        {c: ("int64" if c in ("申请数", *statuses, "超期办结", "超期未办结") else object) for c in cols},
    )
    return [
        Figure(
            "revocations",
            "撤销申请（按申请事项和处理结果）",
            frame,
            {"kind": "bar", "x": "申请事项", "y": statuses, "barmode": "stack"},
            note="按提请时间统计；办理用时为提请日至作出决定日之间的工作日数；超期指超过办理期限。",
        )
    ]


SPEC = FigureSpec(
    "revocations", queries, shape, missing=("撤销申请（按处理结果和办理用时）", "revocations", "撤销申请功能尚未上线")
)
