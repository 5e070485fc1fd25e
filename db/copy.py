"""Copy a whole DuckDB database into a migrated PostgreSQL database.

Every table of the schema (all but ``schema_migrations``, which each side
keeps for itself) is emptied on the PostgreSQL side and refilled with COPY
in one transaction, and each sequence is set to where DuckDB's stands, so
the next number drawn is the same on both.  The audit rows move verbatim:
the chain verifies on the copy with the same key.  (The foundation of
``manage.py copy-db``; the test suite builds its PostgreSQL demo template
with it, so both backends hold exactly the same data.)
"""

from __future__ import annotations

import duckdb

BATCH = 10_000


def _tables(pg_cur) -> list[str]:
    rows = pg_cur.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        " AND table_name <> 'schema_migrations' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _columns(pg_cur, table: str) -> list[str]:
    rows = pg_cur.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def duckdb_to_postgres(src: duckdb.DuckDBPyConnection, dst) -> dict[str, int]:
    """Copy every table of ``src`` (a DuckDB connection) into ``dst`` (a
    migrated :class:`db.postgres_backend.PostgresDatabase`); rows per table."""
    counts: dict[str, int] = {}
    with dst.transaction() as cur:
        tables = _tables(cur)
        cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))
        raw = cur._cur  # the psycopg cursor (COPY)
        for table in tables:
            cols = _columns(cur, table)
            names = ", ".join(f'"{c}"' for c in cols)
            res = src.execute(f"SELECT {names} FROM {table}")
            n = 0
            with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as cp:
                while True:
                    rows = res.fetchmany(BATCH)
                    if not rows:
                        break
                    for row in rows:
                        cp.write_row(row)
                    n += len(rows)
            counts[table] = n
        for name, last in src.execute(
            "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE last_value IS NOT NULL"
        ).fetchall():
            cur.execute("SELECT setval(?, ?)", [name, int(last)])
    return counts
