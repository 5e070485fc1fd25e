"""The warning list (警示名单): its size at each month's end and the
entries listed and lifted, by month."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from sgld.services.dashboard.model import Figure, Filters, Headline
from sgld.services.dashboard.shaping import _month_texts, _months, _numbers
from sgld.services.dashboard.spec import FigureSpec, Queries, QueryContext, ShapeContext, _ts


def queries(ctx: QueryContext) -> Queries:
    f = ctx.f
    q: Queries = {}
    p0, _ = f.previous
    b, pa = _ts(f.date_to + timedelta(days=1)), _ts(p0)
    extra, params = "", []
    if ctx.dept:
        scope, sp = ctx.scope()
        extra, params = f" AND w.enterprise_id IN ({scope})", sp
    # an entry counts from the date of the record that caused it (the
    # penalty decision, the inspection, the licence's revocation: the
    # earliest of the hits found with it), not from the day the system
    # computed the list; an entry made by hand from the day it was made
    listed_day = ctx.day("e.listed_at")
    cause = (
        f"coalesce((SELECT min(h.hit_on) FROM warning_hit h WHERE h.entry_id = e.id"
        f" AND h.added_at = e.listed_at), {listed_day})"
    )
    src = f"(SELECT e.id, e.enterprise_id, {cause} AS listed_on, e.lifted_at FROM warning_entry e)"
    sql = (
        "SELECT x.month AS month, sum(x.listed) AS listed, sum(x.lifted) AS lifted FROM ("
        f" SELECT {ctx.month('w.listed_on')} AS month, 1 AS listed, 0 AS lifted"
        f" FROM {src} w WHERE w.listed_on >= ? AND w.listed_on <= ?{extra}"
        " UNION ALL"
        f" SELECT {ctx.month('w.lifted_at')} AS month, 0 AS listed, 1 AS lifted"
        f" FROM warning_entry w WHERE w.lifted_at >= ? AND w.lifted_at < ?{extra}"
        ") x GROUP BY 1"
    )
    q["warning"] = (sql, [p0, f.date_to] + params + [pa, b] + params)
    sql = (
        f"SELECT count(*) AS n FROM {src} w WHERE w.listed_on < ? AND (w.lifted_at IS NULL OR w.lifted_at >= ?){extra}"
    )
    q["warning_base"] = (sql, [p0, pa] + params)
    return q


def shape(ctx: ShapeContext, raw: dict[str, pd.DataFrame]) -> list[Figure]:
    return _warning_figures(raw, ctx.f, ctx.headline)


def _warning_figures(raw: dict, f: Filters, H: list) -> list[Figure]:
    base_frame = raw.get("warning_base")
    base = int(base_frame["n"].iloc[0]) if base_frame is not None and len(base_frame) else 0
    moves: dict = {}
    wl = raw["warning"]
    for m, listed, lifted in zip(_month_texts(wl["month"]), *_numbers(wl, "listed", "lifted")):
        acc = moves.setdefault(m, [0, 0])
        acc[0] += int(listed)
        acc[1] += int(lifted)
    months = _months(f.previous[0], f.date_to)
    size, sizes = base, {}
    for m in months:
        listed, lifted = moves.get(m, (0, 0))
        size += listed - lifted
        sizes[m] = size
    prev_end = f.previous[1].strftime("%Y-%m")
    cur_months = [m for m in months if m >= f.date_from.strftime("%Y-%m")]
    size_now = sizes[cur_months[-1]] if cur_months else base
    size_prev = sizes.get(prev_end, base)
    H.append(Headline("警示名单在列", size_now, size_prev, "家", better="down"))
    frame = pd.DataFrame(
        {
            "月份": cur_months,
            "新列入": [moves.get(m, (0, 0))[0] for m in cur_months],
            "解除": [moves.get(m, (0, 0))[1] for m in cur_months],
            "月末在列": [sizes[m] for m in cur_months],
        }
    )
    return [
        Figure(
            "warning",
            "警示名单（规模与变动，按月）",
            frame,
            {"kind": "bar", "x": "月份", "y": ["新列入", "解除"], "barmode": "group", "line": "月末在列"},
            note="月末在列为该月最后一天仍在名单中的企业数。",
        )
    ]


SPEC = FigureSpec("warning", queries, shape, missing=("警示名单（规模与变动）", "warning", "警示名单功能尚未上线"))
