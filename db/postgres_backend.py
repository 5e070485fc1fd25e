"""The PostgreSQL backend: ``SGLD_DB=postgresql://user@host/dbname``.

* **A connection pool** (``psycopg_pool``) in autocommit mode: a read takes
  a connection for the duration of its cursor; a write transaction holds one
  from ``BEGIN`` to ``COMMIT``.  Transactions are explicit, as on DuckDB.
* **Writes are serialised across processes.**  Besides the process-wide
  lock of :class:`db.backend.BaseDatabase` (which orders the group commits
  of one process), every write transaction first takes the transaction-
  scoped advisory lock :data:`WRITE_LOCK`: what the single-writer rule of a
  DuckDB file protects — the audit chain head, the numbering (case, request
  and letter numbers), the last-admin rule — then holds for several server
  processes on one database.  The lock costs one statement per transaction
  (not per unit: a group commit takes it once).  The audit module reads
  the chain head from the database in every transaction (another process
  may have moved it), see :func:`sgld.audit.begin`.
* **The services' SQL unchanged**: :class:`PgCursor` takes DuckDB-style
  ``?`` placeholders (translated once per statement text and cached),
  returns itself from ``execute`` so calls chain, and offers the DuckDB
  extras the services use: ``df()``, ``fetchnumpy()``, ``register(name,
  frame)`` (a temporary table filled by COPY) and ``unregister``.
* **Types as on DuckDB**: ``numeric`` values without a fraction (``sum`` of
  a ``BIGINT``) come back as ``int``, JSON columns as their text.
"""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterator

import psycopg
from psycopg import errors as pg_errors
from psycopg import pq
from psycopg.adapt import Loader
from psycopg_pool import ConnectionPool

from db.backend import BaseDatabase
from sgld import audit

#: key of the advisory lock every write transaction takes (b"SGLD")
WRITE_LOCK = 0x53474C44
POOL_MAX = 10

_translated: dict[tuple[str, bool], str] = {}


def translate(sql: str, has_params: bool) -> str:
    """DuckDB-style SQL for psycopg: ``?`` placeholders outside quotes
    become ``%s``; with parameters, a literal ``%`` becomes ``%%``."""
    key = (sql, has_params)
    out = _translated.get(key)
    if out is not None:
        return out
    if not has_params:
        out = sql
    else:
        parts: list[str] = []
        quote = ""
        for ch in sql:
            if quote:
                if ch == quote:
                    quote = ""
                parts.append("%%" if ch == "%" else ch)
            elif ch in ("'", '"'):
                quote = ch
                parts.append(ch)
            elif ch == "?":
                parts.append("%s")
            elif ch == "%":
                parts.append("%%")
            else:
                parts.append(ch)
        out = "".join(parts)
    if len(_translated) > 8192:
        _translated.clear()
    _translated[key] = out
    return out


class _NumericLoader(Loader):
    """``numeric`` without a fraction as ``int`` (DuckDB's ``sum`` of
    integers is an integer), with one as ``Decimal``."""

    def load(self, data):
        text = bytes(data).decode("ascii")
        if "." in text or "e" in text or "E" in text or text in ("NaN", "Infinity", "-Infinity"):
            return Decimal(text)
        return int(text)


class _TextLoader(Loader):
    def load(self, data):
        return bytes(data).decode("utf-8")


def _configure(conn: psycopg.Connection) -> None:
    conn.adapters.register_loader("numeric", _NumericLoader)
    conn.adapters.register_loader("json", _TextLoader)
    conn.adapters.register_loader("jsonb", _TextLoader)


def _pg_type(series) -> str:
    """The column type of a temporary table holding ``series``."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "DOUBLE PRECISION"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "TIMESTAMP"
    sample = series.dropna()
    if len(sample) == 0:
        return "VARCHAR"
    from datetime import date, datetime

    v = sample.iloc[0]
    if isinstance(v, (list, tuple)):
        inner = next((x for x in v if x is not None), "")
        return "BIGINT[]" if isinstance(inner, int) and not isinstance(inner, bool) else "VARCHAR[]"
    if isinstance(v, bool):
        return "BOOLEAN"
    if isinstance(v, int):
        return "BIGINT"
    if isinstance(v, float):
        return "DOUBLE PRECISION"
    if isinstance(v, Decimal):
        return "NUMERIC"
    if isinstance(v, datetime):
        return "TIMESTAMP"
    if isinstance(v, date):
        return "DATE"
    return "VARCHAR"


def _arrow_pg_type(t) -> str:
    """The column type of a temporary table holding an Arrow column of type ``t``."""
    import pyarrow as pa

    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE PRECISION"
    if pa.types.is_decimal(t):
        return "NUMERIC"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    return "VARCHAR"


def frame_rows(frame) -> Iterator[tuple]:
    """The rows of a DataFrame as tuples of Python values (NULL for NaN/NaT)."""
    import pandas as pd

    cols = []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_float_dtype(col.dtype):
            # integer columns with NULLs are floats in pandas: "9798.0" is no INTEGER
            vals = col.dropna()
            if len(vals) and (vals == vals.round()).all() and vals.abs().max() < 2**53:
                col = col.astype("Int64")
        cols.append(col.astype(object).where(col.notna(), None).tolist())
    return zip(*cols)


def _quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


class PgCursor:
    """A psycopg cursor that speaks the DuckDB cursor dialect the services use."""

    dialect = "postgres"
    __slots__ = ("_conn", "_cur", "_in_tx", "_temps")

    def __init__(self, conn: psycopg.Connection, in_tx: bool = False):
        self._conn = conn
        self._cur = conn.cursor()
        self._in_tx = in_tx
        self._temps: list[str] = []

    # -- DB-API ------------------------------------------------------------
    def execute(self, sql: str, params: Any = None) -> "PgCursor":
        if params is None:
            self._cur.execute(sql)
        else:
            self._cur.execute(translate(sql, True), params)
        return self

    def executemany(self, sql: str, seq: Any) -> "PgCursor":
        self._cur.executemany(translate(sql, True), seq)
        return self

    def fetchone(self):
        if self._cur.description is None:  # INSERT/UPDATE/DELETE: DuckDB gives the count
            return (self._cur.rowcount,)
        return self._cur.fetchone()

    def fetchall(self):
        if self._cur.description is None:
            return [(self._cur.rowcount,)]
        return self._cur.fetchall()

    def fetchmany(self, size: int = 1):
        return self._cur.fetchmany(size)

    @property
    def description(self):
        return self._cur.description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def close(self) -> None:
        if self._temps and not self._in_tx:
            for name in self._temps:
                try:
                    self._cur.execute(f"DROP TABLE IF EXISTS {_quote_ident(name)}")
                except psycopg.Error:
                    break
        self._temps.clear()
        self._cur.close()

    # -- DuckDB extras -----------------------------------------------------
    def _columns(self) -> list[str]:
        return [d.name for d in self._cur.description or ()]

    def df(self):
        """The result as a pandas frame, DATE and TIMESTAMP columns as
        ``datetime64`` (as DuckDB's ``df()``)."""
        import pandas as pd

        cols = self._columns()
        types = [d.type_code for d in self._cur.description or ()]
        frame = pd.DataFrame.from_records(self._cur.fetchall(), columns=cols)
        date_oids = {1082, 1114, 1184}  # date, timestamp, timestamptz
        for name, oid in zip(cols, types):
            if oid in date_oids:
                frame[name] = pd.to_datetime(frame[name])
        return frame

    def fetchnumpy(self) -> dict:
        import numpy as np

        cols = self._columns()
        rows = self._cur.fetchall()
        return {c: np.array([r[i] for r in rows]) for i, c in enumerate(cols)}

    def register(self, name: str, frame) -> "PgCursor":
        """Make ``frame`` queryable as ``name`` (a temporary table filled by
        COPY; dropped at commit inside a write transaction, else when the
        cursor closes or :meth:`unregister` runs)."""
        ident = _quote_ident(name)
        if hasattr(frame, "schema") and not hasattr(frame, "iloc"):  # an Arrow table
            cols = ", ".join(f"{_quote_ident(f.name)} {_arrow_pg_type(f.type)}" for f in frame.schema)
        else:
            cols = ", ".join(f"{_quote_ident(c)} {_pg_type(frame[c])}" for c in frame.columns)
        self._cur.execute(f"DROP TABLE IF EXISTS {ident}")
        self._cur.execute(f"CREATE TEMP TABLE {ident} ({cols})" + (" ON COMMIT DROP" if self._in_tx else ""))
        self.copy_frame(name, frame)
        if name not in self._temps:
            self._temps.append(name)
        return self

    def unregister(self, name: str) -> "PgCursor":
        # after an error the transaction is aborted and its rollback drops
        # the table: the DROP would only hide the error
        if self._conn.info.transaction_status != pq.TransactionStatus.INERROR:
            self._cur.execute(f"DROP TABLE IF EXISTS {_quote_ident(name)}")
        if name in self._temps:
            self._temps.remove(name)
        return self

    def copy_frame(self, table: str, frame) -> int:
        """Append the rows of ``frame`` (a DataFrame or an Arrow table) to
        ``table`` (columns by name) with COPY."""
        arrow = hasattr(frame, "schema") and not hasattr(frame, "iloc")
        names = frame.schema.names if arrow else list(frame.columns)
        cols = ", ".join(_quote_ident(c) for c in names)
        rows = zip(*(frame.column(i).to_pylist() for i in range(len(names)))) if arrow else frame_rows(frame)
        n = 0
        with self._cur.copy(f"COPY {_quote_ident(table)} ({cols}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
        return n


class PostgresDatabase(BaseDatabase):
    dialect = "postgres"
    retryable = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
    error = psycopg.Error
    constraint_error = psycopg.IntegrityError

    def __init__(self, url: str, max_size: int = POOL_MAX):
        self.path = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            configure=_configure,
            kwargs={"autocommit": True},
            name="sgld",
        )
        try:
            self._pool.open(wait=True, timeout=15)
        except Exception as exc:
            self._pool.close()
            from sgld.errors import DatabaseBusy

            raise DatabaseBusy(f"无法连接 PostgreSQL 数据库：{exc}") from exc
        self._init_writes()
        audit.forget_head(self.path)

    # -- reads -------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[PgCursor]:
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            yield tx
            return
        with self._pool.connection() as conn:
            cur = PgCursor(conn)
            try:
                yield cur
            finally:
                cur.close()

    def df(self, sql: str, params: Any = None):
        with self.cursor() as cur:
            return cur.execute(sql, params).df()

    def frame(self, sql: str, params: Any = None):
        """As :meth:`db.duckdb_backend.Database.frame`: DATE columns hold
        ``date`` values, integer columns with NULLs become floats."""
        import pandas as pd

        with self.cursor() as cur:
            cur.execute(sql, params)
            cols = cur._columns()
            return pd.DataFrame.from_records(cur.fetchall(), columns=cols)

    # -- writes ------------------------------------------------------------
    def _begin(self) -> PgCursor:
        conn = self._pool.getconn()
        try:
            conn.execute("BEGIN")
            conn.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        except BaseException:
            self._pool.putconn(conn)
            raise
        # another process may have moved the audit chain head since our last
        # commit: read it from the database (under the lock) in this transaction
        audit.forget_cached_head()
        return PgCursor(conn, in_tx=True)

    def _end(self, cur: PgCursor) -> None:
        try:
            cur.close()
        finally:
            self._pool.putconn(cur._conn)

    def close(self) -> None:
        with self._write_lock:
            self._pool.close()
