"""The one database handle of a server process.

``SGLD_DB`` chooses the backend: a file path opens the embedded DuckDB
database (:mod:`db.duckdb_backend`, the default), a ``postgresql://`` URL a
PostgreSQL server through a connection pool (:mod:`db.postgres_backend`).
Both offer the interface of :class:`db.backend.BaseDatabase` (``write(fn)``,
``transaction()``, ``cursor()``, ``all``, ``one``, ``scalar``, ``dicts``,
``df``, ``frame``); :class:`Database` is the DuckDB one, as before.
"""

from __future__ import annotations

import threading

from db.backend import BaseDatabase
from db.duckdb_backend import Database
from sgld import audit

__all__ = ["BaseDatabase", "Database", "open_database", "get_db", "reset"]


def open_database(cfg=None) -> BaseDatabase:
    """A new (unmigrated) handle on the configured database."""
    if cfg is None:
        from sgld import settings

        cfg = settings.get()
    if cfg.db_url:
        from db.postgres_backend import PostgresDatabase

        return PostgresDatabase(cfg.db_url)
    threads = cfg.get("DB_THREADS").strip()
    return Database(cfg.db, int(threads) if threads.isdigit() else None)


_instance: BaseDatabase | None = None
_instance_lock = threading.Lock()


def get_db() -> BaseDatabase:
    """The process-wide database, opened and migrated on first use."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                from db.migrate import migrate

                db = open_database()
                migrate(db)
                _instance = db
    return _instance


def reset() -> None:
    """Close the process-wide database (tests and the command line)."""
    global _instance
    with _instance_lock:
        if _instance is not None:
            _instance.close()
        _instance = None
        audit.forget_head()
