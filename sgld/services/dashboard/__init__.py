"""首页驾驶舱: classification statistics (分类统计) for leaders and the work view
of processing reminders (处理提醒).

**Leader figures** (:func:`leader_figures`): for a period, an optional
department and an optional item category, every figure of issue 9 — cases
recorded and concluded by category and month; pushes by department with the
on-time sign-off rate, the average sign-off time in working days and the
overdue pushes (a ranking); claims; inspections by result and department;
penalties by category with amounts and how many concern enterprises holding
a licence of the bureau; special reviews by scope and outcome; liaison
letters answered on time and reviews attended; revocation requests and the
warning list — plus headline numbers compared with
the previous period of the same length.

Each figure is a :class:`~.spec.FigureSpec` of :mod:`.figures` — plain SQL
over the feature tables for a *dialect* (``duckdb`` or ``postgres``, the
app's backends; ``bench/bench_dashboard.py`` adds ``sqlite``) and its
shaping (pandas, no SQL).  :func:`build_queries` gathers every spec's
queries, :func:`run_queries` / :func:`run_parallel` (:mod:`.runner`) run
them, and :func:`assemble` shapes the results.  A figure is a
:class:`Figure`: a title, a DataFrame with Chinese headers and a chart
description (no plotting library here); the page draws it.  The working-day
calendar the queries join is :func:`sgld.workdays.calendar_frame`.

**Data scope.**  ``leader`` and ``admin`` see the whole city and may filter
by department; an ``approver`` sees the bureau's (city-wide) figures; a
``supervisor`` sees their own department's figures only, whatever
department is asked for; a ``liaison`` (only) has no statistics.  The
department filter follows the feature services' scope rules: cases pushed
to or opened for claim by the department, its pushes, claims, inspections,
liaison letters, the special reviews it takes part in, and the penalties of
the enterprises it supervises or has inspected (``policy.enterprise_sql``).

The **category** filter (事项分类) applies to what hangs off an item: cases,
pushes, claims, revocation requests (via the licence's item).  Inspections,
penalties, special reviews, liaison letters and the warning list are not
classified by item; their figures say so.

Modules: :mod:`.model` (filters and results), :mod:`.spec` (what a figure
spec is, shared SQL helpers), :mod:`.figures` (one module per figure),
:mod:`.shaping` (shaping helpers), :mod:`.builder`, :mod:`.runner`,
:mod:`.lookups` (cached department names, categories…), :mod:`.leader`
(:func:`leader_figures`, :func:`workbook`) and :mod:`.work_view` (the
processing reminders).  This package re-exports their public names.
"""

from __future__ import annotations

from sgld.services.dashboard.builder import assemble, build_queries
from sgld.services.dashboard.leader import leader_figures, workbook
from sgld.services.dashboard.lookups import _categories, _dept_names, department_ids
from sgld.services.dashboard.model import (
    BASIS,
    NO_CATEGORY,
    PERIODS,
    PRESET_BASIS,
    VIEWERS,
    Dashboard,
    Figure,
    Filters,
    Headline,
    filter_options,
    make_filters,
    period_range,
    scope_department,
)
from sgld.services.dashboard.runner import SCOPE_TABLE, run_parallel, run_queries
from sgld.services.dashboard.shaping import partial_months_note
from sgld.services.dashboard.spec import DIALECTS
from sgld.services.dashboard.work_view import WorkView, collect_parallel, work_view
from sgld.workdays import _cal_cache, calendar_frame, shift_months

__all__ = [
    "BASIS",
    "DIALECTS",
    "NO_CATEGORY",
    "PERIODS",
    "PRESET_BASIS",
    "SCOPE_TABLE",
    "VIEWERS",
    "Dashboard",
    "Figure",
    "Filters",
    "Headline",
    "WorkView",
    "_cal_cache",
    "_categories",
    "_dept_names",
    "assemble",
    "build_queries",
    "calendar_frame",
    "collect_parallel",
    "department_ids",
    "filter_options",
    "leader_figures",
    "make_filters",
    "partial_months_note",
    "period_range",
    "run_parallel",
    "run_queries",
    "scope_department",
    "shift_months",
    "workbook",
    "work_view",
]
