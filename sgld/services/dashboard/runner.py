"""Running the figures' queries: on one cursor (:func:`run_queries`), or on
several at once (:func:`run_parallel`) with the working-day calendar and a
department's scope registered as tables."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd


def run_queries(cur, queries: dict[str, tuple[str, list]]) -> dict[str, pd.DataFrame]:
    """Run every query on one cursor (a DuckDB or PostgreSQL cursor, or a benchmark's sqlite3 connection)."""
    out = {}
    for name, (sql, params) in queries.items():
        c = cur.execute(sql, params)
        cols = [d[0] for d in c.description]
        # the results are small (grouped): rows are cheaper than a columnar fetch
        out[name] = pd.DataFrame(c.fetchall(), columns=cols)
    return out


SCOPE_TABLE = "sgld_scope"


def _scope_frame(cur, scope: tuple[str, list]) -> pd.DataFrame:
    """The enterprise ids of a department's scope, once (NULLs dropped: the
    queries test membership with IN in a WHERE clause, where they never match)."""
    sql, params = scope
    ids = cur.execute(f"SELECT enterprise_id FROM ({sql}) s WHERE enterprise_id IS NOT NULL", params).fetchnumpy()[
        "enterprise_id"
    ]
    return pd.DataFrame({"enterprise_id": ids})


def _run_one(db, name: str, sql: str, params: list, tables: dict) -> tuple[str, pd.DataFrame]:
    with db.cursor() as cur:
        for table, frame in tables.items():
            if table in sql:
                cur.register(table, frame if isinstance(frame, pd.DataFrame) else frame.result())
        try:
            return name, run_queries(cur, {name: (sql, params)})[name]
        finally:
            for table in tables:
                if table in sql:
                    cur.unregister(table)


def run_parallel(
    db, queries: dict[str, tuple[str, list]], cal: pd.DataFrame, workers: int = 2, scope: tuple[str, list] | None = None
) -> dict[str, pd.DataFrame]:
    """The figures' queries on several cursors at once: DuckDB runs them in
    parallel (it releases the GIL), so the page waits for the slowest query
    rather than for the sum of all of them.  Two workers on this 2-core
    machine: each query is itself parallel, more only interleave them.

    ``scope`` (sql, params): the enterprises of a department's scope, run
    once and registered as ``sgld_scope`` for the queries that read it
    (instead of each of them evaluating the subquery)."""
    if db.in_transaction:  # inside a write: the transaction's cursor only
        with db.cursor() as cur:
            cur.register("sgld_cal", cal)
            if scope:
                cur.register(SCOPE_TABLE, _scope_frame(cur, scope))
            try:
                return run_queries(cur, queries)
            finally:
                cur.unregister("sgld_cal")
                if scope:
                    cur.unregister(SCOPE_TABLE)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        tables: dict = {"sgld_cal": cal}
        if scope:

            def fetch_scope():
                with db.cursor() as cur:
                    return _scope_frame(cur, scope)

            tables[SCOPE_TABLE] = pool.submit(fetch_scope)  # first in the queue
        # the queries that wait for the scope last, so no worker idles on it
        order = sorted(queries, key=lambda n: SCOPE_TABLE in queries[n][0])
        jobs = [pool.submit(_run_one, db, n, *queries[n], tables) for n in order]
        out = dict(j.result() for j in jobs)
        return {n: out[n] for n in queries}
