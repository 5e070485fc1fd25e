"""Special reviews (专项审查) by scope and outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sgld.services.dashboard.model import Figure, Headline
from sgld.services.dashboard.shaping import _cols, _frame, _null, _numbers, _sort_order
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext


def queries(ctx: QueryContext) -> Queries:
    """By scope and outcome, and the count of reviews (meeting date in the period)."""
    extra, params = "", []
    if ctx.dept:
        extra = (
            " AND EXISTS (SELECT 1 FROM special_review_department x WHERE x.review_id = r.id AND x.department_id = ?)"
        )
        params = [ctx.dept]
    r, rp = ctx.in_range("r.meeting_at")
    c, cp = ctx.cur_flag("r.meeting_at")
    outcome = (
        "CASE WHEN r.outcome = '达成一致' THEN '达成一致'"
        " WHEN r.outcome = '报市政府决定' THEN '报市政府决定'"
        " WHEN r.status = '已撤回' THEN '已撤回' ELSE '进行中' END"
    )
    scope, more = ctx.elements("r.scopes")
    src = (
        f"(SELECT {scope} AS scope, {outcome} AS outcome, {c} AS cur,"
        f" r.id AS id FROM special_review r{more} WHERE {r}{extra})"
    )
    q: Queries = {}
    sql = (
        f"SELECT s.scope AS scope, s.outcome AS outcome, s.cur AS cur, count(*) AS n"
        f" FROM {src} s GROUP BY s.scope, s.outcome, s.cur"
    )
    q["reviews"] = (sql, cp + rp + params)
    sql = f"SELECT {c} AS cur, count(*) AS n FROM special_review r WHERE {r}{extra} GROUP BY 1"
    q["reviews_total"] = (sql, cp + rp + params)
    return q


def _review_count(raw: dict, cur: int) -> int:
    total = raw.get("reviews_total")
    if total is None or not len(total):
        return 0
    return int(sum(n for c, n in zip(*_numbers(total, "cur", "n")) if c == cur))


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    rv = raw["reviews"]
    no_cat = ctx.no_cat
    ctx.headline.append(Headline("专项审查", _review_count(raw, 1), _review_count(raw, 0), "件"))
    scopes, outs = _cols(rv, "scope", "outcome")
    curs, ns = _numbers(rv, "cur", "n")
    outcomes = ["达成一致", "报市政府决定", "进行中", "已撤回"]
    cells: dict = {}
    for s, o, c, n in zip(scopes, outs, curs, ns):
        if c != 1 or _null(s) or _null(o):
            continue
        row = cells.setdefault(s, {})
        row[o] = row.get(o, 0) + int(n)
    from sgld.services.special_review import SCOPES

    position = {s: i for i, s in enumerate(SCOPES)}
    keys = sorted(cells)
    known = all(s in position for s in keys)
    keys = [
        keys[i]
        for i in _sort_order(np.asarray([position.get(s, 99) for s in keys], dtype="int64" if known else "float64"))
    ]
    data = {"审查范围": keys}
    for o in outcomes:
        data[o] = [cells[s].get(o, 0) for s in keys]
    frame = _frame(data, {"审查范围": rv["scope"].dtype, **dict.fromkeys(outcomes, "int64")})
    if len(frame):
        frame.insert(1, "合计", [sum(cells[s].get(o, 0) for o in outcomes) for s in keys])
    return [
        Figure(
            "reviews",
            "专项审查（按审查范围和结论）",
            frame,
            {"kind": "bar", "x": "审查范围", "y": outcomes, "barmode": "stack", "orientation": "h"},
            note="按会议时间统计；一项审查涉及多个范围时在每个范围各计一次。" + (f" {no_cat}" if no_cat else ""),
        )
    ]


SPEC = FigureSpec("reviews", queries, shape, missing=("专项审查", "reviews", "专项审查功能尚未上线"))
