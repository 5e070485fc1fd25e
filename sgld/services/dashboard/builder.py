"""Every leader figure's queries (:func:`build_queries`) and their shaping
(:func:`assemble`), from the specs of :mod:`.figures`."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sgld import clock
from sgld.services.dashboard.figures import FIGURES
from sgld.services.dashboard.model import Dashboard, Filters
from sgld.services.dashboard.shaping import _na
from sgld.services.dashboard.spec import DIALECTS, QueryContext, ShapeContext


def build_queries(
    f: Filters, dept: int | None, today: date, dialect: str = "duckdb", scope_table: str | None = None
) -> dict[str, tuple[str, list]]:
    """name -> (sql, params) of every leader figure.  Each query covers the
    period and the previous one (column ``cur`` = 1 for the period)."""
    if dialect not in DIALECTS:
        raise ValueError(dialect)
    ctx = QueryContext(f, dept, today, dialect, scope_table)
    q: dict[str, tuple[str, list]] = {}
    for spec in FIGURES:
        q.update(spec.queries(ctx))
    return q


def assemble(
    f: Filters,
    raw: dict[str, pd.DataFrame],
    names: dict[int, str],
    scope_label: str,
    categories: list[str] | None = None,
) -> Dashboard:
    """Turn the query results into the headline numbers and the figures."""
    dash = Dashboard(filters=f, scope=scope_label, previous=f.previous, computed_at=clock.now())
    ctx = ShapeContext(f, names, categories, dash.headline)
    for spec in FIGURES:
        if raw.get(spec.name) is not None:
            dash.figures.extend(spec.shape(ctx, raw))
        elif spec.missing:
            dash.figures.append(_na(*spec.missing))
    return dash
