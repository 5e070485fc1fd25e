"""Helpers of the figures' shaping (pandas-free lists of the small grouped
query results) and notes shared by several figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from sgld.services.dashboard.model import Figure, Filters
from sgld.workdays import shift_months


def _rate(num, den) -> float | None:
    return round(num / den * 100, 1) if den else None


def _na(title: str, key: str, why: str) -> Figure:
    return Figure(key, title, pd.DataFrame(), empty=f"暂无数据：{why}")


# The query results are small (grouped), so the shaping below works on plain
# Python lists: a pandas operation costs ~0.1–1 ms however few its rows, and
# the former pandas shaping (boolean masks, pivot_table, groupby) took longer
# than most queries.  The frames come out as the pandas version built them:
# same values, column types, row order (sorts use numpy's default sort like
# ``sort_values``, so even ties come out in the same order) and, for empty
# results, the same column types.
def _cols(frame: pd.DataFrame, *names: str) -> list[list]:
    return [frame[n].tolist() for n in names]


def _numbers(frame: pd.DataFrame, *names: str) -> list[list]:
    """Numeric columns as ``pd.to_numeric(...).fillna(0)`` gives them."""
    out = []
    for n in names:
        col = frame[n]
        kind = col.dtype.kind
        if kind in "iub":
            out.append(col.tolist())
        elif kind == "f":
            out.append([0.0 if v != v else v for v in col.tolist()])
        else:
            out.append([_num(v) for v in col.tolist()])
    return out


def _num(v):
    """A value as ``pd.to_numeric(...).fillna(0)`` sees it."""
    if v is None:
        return 0
    if isinstance(v, float):
        return 0.0 if v != v else v
    if isinstance(v, Decimal):
        return float(v)
    return v


def _null(v) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and v != v)


def _month_str(v) -> str:
    """A month of a query (year * 12 + month, "YYYY-MM" text, or its first
    day) as "YYYY-MM"."""
    if isinstance(v, (int, float)):
        y, m = divmod(int(v) - 1, 12)
        return f"{y:04d}-{m + 1:02d}"
    if isinstance(v, str):
        return pd.Timestamp(v).strftime("%Y-%m") if len(v) != 7 else v
    return v.strftime("%Y-%m")


def _month_texts(values: pd.Series) -> list:
    """A column of months (see ``spec.DIALECTS``) as "YYYY-MM" (None where null)."""
    memo: dict = {}
    out = []
    for v in values.tolist():
        if _null(v):
            out.append(None)
            continue
        text = memo.get(v)
        if text is None:
            text = memo[v] = _month_str(v)
        out.append(text)
    return out


def _fsum(values: list) -> float:
    # numpy's (pairwise) float sum, as pandas' Series.sum adds
    return float(np.sum(np.asarray(values, dtype="float64"))) if values else 0.0


def _sort_order(keys, ascending: bool = True) -> list[int]:
    """Row order of pandas' single-key ``sort_values`` (numpy's default sort)."""
    a = np.asarray(keys)
    idx = np.arange(len(a))
    if not ascending:
        a, idx = a[::-1], idx[::-1]
    order = idx[a.argsort(kind="quicksort")]
    return (order[::-1] if not ascending else order).tolist()


def _sums(keys: list, values: list[list]) -> dict:
    """key -> per-column sums, keys in first-seen order."""
    out: dict = {}
    for k, *vs in zip(keys, *values):
        acc = out.get(k)
        if acc is None:
            out[k] = list(vs)
        else:
            for i, v in enumerate(vs):
                acc[i] += v
    return out


def _frame(data: dict[str, list], empty: dict | None = None) -> pd.DataFrame:
    """A frame of the columns; ``empty`` gives the column types when it has no row."""
    frame = pd.DataFrame(data)
    if empty and not len(frame):
        frame = frame.astype(empty)
    return frame


def partial_months_note(f: Filters) -> str | None:
    """Say which months of a monthly chart are not whole (the period starts
    after the 1st or ends before the month's last day, e.g. today), so a
    short last month is not read as a fall."""
    parts = []
    if f.date_from.day != 1:
        parts.append(f"{f.date_from.year}年{f.date_from.month}月自 {f.date_from:%m-%d} 起计")
    end_of_month = shift_months(f.date_to.replace(day=1), 1) - timedelta(days=1)
    if f.date_to != end_of_month:
        parts.append(f"{f.date_to.year}年{f.date_to.month}月只计至 {f.date_to:%m-%d}")
    return "；".join(parts) + "，不是整月。" if parts else None


def _months(first: date, last: date) -> list[str]:
    """ "YYYY-MM" of every month from ``first`` to ``last``."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
