"""The public entry points of the leader view: every figure for the
filters within the actor's scope (:func:`leader_figures`), and the set as
one workbook (:func:`workbook`)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from db.connection import get_db
from sgld import clock, policy, workdays
from sgld.security import Actor
from sgld.services.dashboard.builder import assemble, build_queries
from sgld.services.dashboard.lookups import _categories, _dept_names
from sgld.services.dashboard.model import Dashboard, Filters, scope_department
from sgld.services.dashboard.runner import SCOPE_TABLE, run_parallel


def leader_figures(actor: Actor, filters: Filters) -> Dashboard:
    """Every figure of the leader view for ``filters`` within the actor's scope."""
    dept = scope_department(actor, filters.department_id)
    f = dataclasses.replace(filters, department_id=dept)
    today = clock.today()
    cal = workdays.calendar_frame(*workdays.calendar_span(f.previous[0], f.date_to, today))
    db = get_db()
    scope = None
    if dept:
        scope = policy.enterprise_sql(dept)
    queries = build_queries(f, dept, today, db.dialect, scope_table=SCOPE_TABLE if scope else None)
    raw = run_parallel(db, queries, cal, scope=scope)
    names = _dept_names()
    label = names.get(dept, "") if dept else "全市"
    return assemble(f, raw, names, label, _categories())


def workbook(dash: Dashboard) -> dict[str, pd.DataFrame]:
    """The whole set as sheets (概览 first) for one .xlsx workbook."""
    f = dash.filters
    p0, p1 = dash.previous
    info = [
        ("统计范围", dash.scope),
        ("统计期间", f"{f.date_from} 至 {f.date_to}"),
        ("对比期间", f"{f.basis} {p0} 至 {p1}"),
        ("事项分类", f.category or "全部"),
        ("生成时间", f"{dash.computed_at:%Y-%m-%d %H:%M:%S}" if dash.computed_at else ""),
    ]
    head = pd.DataFrame(
        [
            {"指标": h.label, "本期": h.value, f.basis: h.previous, "变化": h.delta, "单位": h.unit}
            for h in dash.headline
        ]
    )
    sheets = {"概览": pd.concat([pd.DataFrame(info, columns=["指标", "本期"]), head], ignore_index=True)}
    for fig in dash.figures:
        if fig.empty is None:
            sheets[fig.title[:31]] = fig.frame
    return sheets
