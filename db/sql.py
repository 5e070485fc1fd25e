"""The few SQL spellings that differ between the backends, as small
functions of the dialect (``db.dialect``: ``duckdb`` or ``postgres``).

Everything else the services write is in the common subset of DuckDB and
PostgreSQL (``strpos``, ``starts_with``, ``date - date``, ``INTERVAL '1
day'``, ``array_agg … FILTER``, ``DISTINCT ON``, ``generate_series``,
``unnest(?::INTEGER[])``, explicit ``GROUP BY`` lists).
"""

from __future__ import annotations

from typing import Any


def number_text(expr: str, dialect: str) -> str:
    """``expr`` (a number) as text without trailing zeros: ``5``, ``0.5``
    (DuckDB's ``format('{:g}', …)``)."""
    if dialect == "postgres":
        return f"CAST(trim_scale(CAST({expr} AS NUMERIC)) AS VARCHAR)"
    return f"format('{{:g}}', CAST({expr} AS DOUBLE))"


def replace_temp_table(cur: Any, name: str, select_sql: str, params: Any, dialect: str) -> None:
    """``CREATE OR REPLACE TEMP TABLE name AS select_sql`` (PostgreSQL has
    no OR REPLACE for tables: drop, then create)."""
    if dialect == "postgres":
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.execute(f"CREATE TEMP TABLE {name} AS {select_sql}", params)
    else:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select_sql}", params)
