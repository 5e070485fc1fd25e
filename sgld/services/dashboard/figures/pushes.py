"""Pushes by department: the sign-off ranking, the on-time rate and the
average sign-off time in working days."""

from __future__ import annotations

import pandas as pd

from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _numbers, _rate
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    """Pushes by department (pushed in the period)."""
    today = ctx.today
    extra, params = ctx.dept_cat_filter("p")
    r, rp = ctx.in_range("p.pushed_at")
    c, cp = ctx.cur_flag("p.pushed_at")
    signed_day = ctx.day("p.signed_at")
    # counts by state, a few dozen rows the shaping adds up (one plain
    # count per group is cheaper than six filtered aggregates, and small
    # integer keys group by a perfect hash):
    # signed 1 on time, 2 late, 0 no date; waiting 4 overdue, 5 not yet
    # due, 3 no due date; 6 any other status
    state = (
        f"CASE WHEN p.status = '已签收' THEN (CASE WHEN {signed_day} <= p.due_on THEN 1"
        f" WHEN {signed_day} > p.due_on THEN 2 ELSE 0 END)"
        " WHEN p.status = '待签收' THEN (CASE WHEN p.due_on < ? THEN 4"
        " WHEN p.due_on >= ? THEN 5 ELSE 3 END) ELSE 6 END"
    )
    sql = (
        f"SELECT p.department_id AS department_id, {c} AS cur, {state} AS state,"
        " count(*) AS n, sum(k2.wd_no - k1.wd_no) AS sign_wd FROM push p"
        f" LEFT JOIN sgld_cal k1 ON k1.day = {ctx.day('p.pushed_at')}"
        f" LEFT JOIN sgld_cal k2 ON k2.day = {signed_day}"
        f" WHERE {r}{extra} GROUP BY 1, 2, 3"
    )
    return {"pushes": (sql, cp + [today, today] + rp + params)}


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    pushes = raw["pushes"]
    H = ctx.headline
    num = ["pushes", "signed", "on_time", "late", "overdue", "open", "sign_wd"]
    by_key: dict = {}  # (department, cur) -> the sums of ``num``
    for d, c, state, n, wd in zip(pushes["department_id"].tolist(), *_numbers(pushes, "cur", "state", "n", "sign_wd")):
        acc = by_key.get((d, c))
        if acc is None:
            acc = by_key[(d, c)] = [0] * len(num)
        acc[0] += n
        if state <= 2:  # signed (see queries)
            acc[1] += n
            acc[6] += wd
            if state:
                acc[state + 1] += n  # on time, late
        elif state in (4, 5):  # waiting: overdue, not yet due
            acc[state] += n
    tot = {c: {k: sum(v[i] for (_, x), v in by_key.items() if x == c) for i, k in enumerate(num)} for c in (1, 0)}
    H.append(Headline("推送", int(tot[1]["pushes"]), int(tot[0]["pushes"]), "条"))
    H.append(
        Headline(
            "按时签收率",
            _rate(tot[1]["on_time"], tot[1]["signed"] + tot[1]["overdue"]),
            _rate(tot[0]["on_time"], tot[0]["signed"] + tot[0]["overdue"]),
            "%",
            fmt="pct",
        )
    )
    H.append(
        Headline(
            "平均签收用时",
            round(tot[1]["sign_wd"] / tot[1]["signed"], 2) if tot[1]["signed"] else None,
            round(tot[0]["sign_wd"] / tot[0]["signed"], 2) if tot[0]["signed"] else None,
            "个工作日",
            better="down",
            fmt="float",
        )
    )
    H.append(Headline("逾期未签收", int(tot[1]["overdue"]), int(tot[0]["overdue"]), "条", better="down"))
    by_dept = {d: v for (d, c), v in by_key.items() if c == 1}
    rows = []
    for d in sorted(by_dept):
        p, signed, on_time, late, overdue, open_, sign_wd = by_dept[d]
        rows.append(
            {
                "部门": ctx.dept(d),
                "推送数": int(p),
                "已签收": int(signed),
                "按时签收": int(on_time),
                "逾期签收": int(late),
                "逾期未签收": int(overdue),
                "待签收未超时": int(open_),
                "按时签收率(%)": _rate(on_time, signed + overdue),
                "平均签收用时(工作日)": round(sign_wd / signed, 2) if signed else None,
            }
        )
    # ranking: most overdue first, then the lowest on-time rate (none last), then name
    rows.sort(key=lambda r: (-r["逾期未签收"], r["按时签收率(%)"] is None, r["按时签收率(%)"] or 0, r["部门"]))
    rank = pd.DataFrame(
        rows,
        columns=[
            "部门",
            "推送数",
            "已签收",
            "按时签收",
            "逾期签收",
            "逾期未签收",
            "待签收未超时",
            "按时签收率(%)",
            "平均签收用时(工作日)",
        ],
    )
    if len(rank):
        rank.insert(0, "排名", range(1, len(rank) + 1))
    return [
        Figure(
            "push_ranking",
            "推送签收情况（按部门排名）",
            rank,
            {
                "kind": "bar",
                "x": "部门",
                "y": ["按时签收", "逾期签收", "逾期未签收", "待签收未超时"],
                "barmode": "stack",
            },
            note="按统计期间内的推送计算；按时签收率 = 按时签收 ÷（已签收 + 逾期未签收）；"
            "签收用时为推送日至签收日之间的工作日数。排名先看逾期未签收，再看按时签收率。",
        )
    ]


SPEC = FigureSpec("pushes", queries, shape, missing=("推送签收情况", "push_ranking", "审批推送功能尚未上线"))
