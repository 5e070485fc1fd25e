"""What a figure is made of: a :class:`FigureSpec` gives its queries (SQL
for a dialect, :class:`QueryContext`) and its shaping (the query results to
headline numbers and :class:`~sgld.services.dashboard.model.Figure` tables,
:class:`ShapeContext`); plus the SQL helpers the specs share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd

from sgld import policy
from sgld.services.dashboard.model import NO_CATEGORY, Figure, Filters, Headline

Queries = dict[str, tuple[str, list]]


@dataclass(frozen=True)
class Dialect:
    """What the figures' SQL writes differently per database."""

    month: Callable[[str], str]  # a month of a date or timestamp column (see _pg_month)
    day: Callable[[str], str]  # its date
    # (select expression, extra FROM items): one row per element of a list column
    elements: Callable[[str], tuple[str, str]]


def _pg_month(col: str) -> str:
    # a month number (year * 12 + month) is several times cheaper than
    # formatting a string per row, and about half the cost of date_trunc;
    # the shaping turns months into "YYYY-MM" (and takes such strings too)
    return f"(CAST(extract(year FROM {col}) AS INTEGER) * 12 + CAST(extract(month FROM {col}) AS INTEGER))"


# the app's databases; a benchmark may add another (bench/bench_dashboard.py: SQLite)
DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect(
        month=lambda col: f"(year({col}) * 12 + month({col}))",
        day=lambda col: f"CAST({col} AS DATE)",
        elements=lambda col: (f"unnest({col})", ""),
    ),
    "postgres": Dialect(
        month=_pg_month, day=lambda col: f"CAST({col} AS DATE)", elements=lambda col: (f"unnest({col})", "")
    ),
}


def _ts(d: date) -> datetime:
    return datetime.combine(d, time.min)


def _scope(dept: int, scope_table: str | None) -> tuple[str, list]:
    """The enterprises of a department's scope: a table of them computed
    once per call (see :func:`run_parallel`), or ``policy.enterprise_sql``."""
    if scope_table:
        return f"SELECT enterprise_id FROM {scope_table}", []
    return policy.enterprise_sql(dept)


def _window(f: Filters, col: str, is_date: bool = False) -> tuple[str, list]:
    """SQL condition: ``col`` in the period or in its comparison period (one
    range when they touch; two when the comparison is the same days a month,
    quarter or year before, so the days between count in neither)."""
    p0, p1 = f.previous
    if is_date:
        bounds = [(p0, p1), (f.date_from, f.date_to)]
        cond = "{c} >= ? AND {c} <= ?"
    else:
        bounds = [(_ts(p0), _ts(p1 + timedelta(days=1))), (_ts(f.date_from), _ts(f.date_to + timedelta(days=1)))]
        cond = "{c} >= ? AND {c} < ?"
    if f.contiguous:
        return cond.format(c=col), [bounds[0][0], bounds[1][1]]
    return (
        "((" + cond.format(c=col) + ") OR (" + cond.format(c=col) + "))",
        [bounds[0][0], bounds[0][1], bounds[1][0], bounds[1][1]],
    )


@dataclass(frozen=True)
class QueryContext:
    """What the queries of a figure are built for."""

    f: Filters
    dept: int | None  # the department filter (None: the whole city)
    today: date
    dialect: str = "duckdb"  # see DIALECTS
    scope_table: str | None = None  # a table of the department's enterprises

    @property
    def a(self) -> datetime:
        """The period's first instant."""
        return _ts(self.f.date_from)

    @property
    def da(self) -> date:
        """The period's first day."""
        return self.f.date_from

    def cur_flag(self, col: str, is_date: bool = False) -> tuple[str, list]:
        """SQL column: 1 when ``col`` is in the period (else the comparison period)."""
        return (f"CASE WHEN {col} >= ? THEN 1 ELSE 0 END", [self.da if is_date else self.a])

    def in_range(self, col: str, is_date: bool = False) -> tuple[str, list]:
        return _window(self.f, col, is_date)

    def dept_cat_filter(self, alias: str) -> tuple[str, list]:
        """`` AND …`` for a push or claim row (``alias``): the department
        filter and the category of its case's item."""
        where, params = [], []
        if self.dept:
            where.append(f"{alias}.department_id = ?")
            params.append(self.dept)
        if self.f.category:
            where.append(
                f"{alias}.case_id IN (SELECT id FROM approval_case WHERE item_id IN"
                " (SELECT id FROM item WHERE category = ?))"
            )
            params.append(self.f.category)
        return "".join(" AND " + w for w in where), params

    def month(self, col: str) -> str:
        return DIALECTS[self.dialect].month(col)

    def day(self, col: str) -> str:
        return DIALECTS[self.dialect].day(col)

    def elements(self, col: str) -> tuple[str, str]:
        return DIALECTS[self.dialect].elements(col)

    def scope(self) -> tuple[str, list]:
        """The enterprises of the department's scope (``dept`` must be set)."""
        assert self.dept
        return _scope(self.dept, self.scope_table)


@dataclass
class ShapeContext:
    """What the shaping of a figure reads and adds its headline numbers to."""

    f: Filters
    names: dict[int, str]  # department id -> name
    categories: list[str] | None = None  # item categories in their order
    headline: list[Headline] = field(default_factory=list)

    @property
    def no_cat(self) -> str | None:
        """The note of a figure the category filter does not apply to."""
        return NO_CATEGORY if self.f.category else None

    def dept(self, d) -> str:
        return self.names.get(d, str(d))


@dataclass(frozen=True)
class FigureSpec:
    """One figure (or a few built from the same query results).

    ``queries(ctx)``: name -> (sql, params), each covering the period and the
    comparison period (column ``cur`` = 1 for the period); ``shape(ctx, raw)``:
    the figures from the results (``raw[name]``), adding headline numbers to
    ``ctx.headline``.  When ``raw`` has no result for ``name`` (the feature is
    not there), ``missing`` (title, key, why) is the figure that says so."""

    name: str
    queries: Callable[[QueryContext], Queries]
    shape: Callable[[ShapeContext, dict[str, pd.DataFrame]], list[Figure]]
    missing: tuple[str, str, str] | None = None
