"""Shared fixtures: each test gets its own copy of a demo database built once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from db import connection
from sgld import clock, settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "Sgld@2026"

#: ``postgres``: the ``db``/``empty_db`` fixtures use a throw-away PostgreSQL
#: cluster (tests/pg_cluster.py) instead of DuckDB files
BACKEND = os.environ.get("SGLD_TEST_BACKEND", "duckdb").strip().lower() or "duckdb"
ON_POSTGRES = BACKEND == "postgres"
_cluster = None
_db_names = iter(range(1, 10**9))


def pg_cluster():
    """The session's PostgreSQL cluster, started on first use."""
    global _cluster
    if _cluster is None:
        from tests.pg_cluster import Cluster

        _cluster = Cluster()
    return _cluster


def _point_at(tmp: Path, db_url: str | None = None) -> None:
    os.environ["SGLD_DB"] = db_url or str(tmp / "sgld.duckdb")
    os.environ["SGLD_DATA_DIR"] = str(tmp / "data")
    os.environ["SGLD_MODE"] = "demo"
    os.environ["SGLD_MAINTENANCE"] = "off"
    os.environ.pop("SGLD_COOKIE_KEY", None)
    os.environ.pop("SGLD_AUDIT_KEY", None)
    os.environ.pop("SGLD_AUDIT_KEYS_OLD", None)
    settings.reset()
    connection.reset()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A demo database built once per test session (checkpointed file)."""
    tmp = tmp_path_factory.mktemp("template")
    _point_at(tmp)
    from sgld import demo

    clock.freeze(None)  # at the wall clock, whatever a test before left frozen
    connection.get_db()
    demo.load(scale=1)
    connection.reset()
    if ON_POSTGRES:  # the same data on PostgreSQL: a template database copied per test
        import duckdb

        from db.copy import duckdb_to_postgres

        _point_at(tmp, pg_cluster().create("sgld_template"))
        src = duckdb.connect(str(tmp / "sgld.duckdb"), read_only=True)
        try:
            duckdb_to_postgres(src, connection.get_db())
        finally:
            src.close()
            connection.reset()
    return tmp


class _RawPostgres:
    """A bare autocommit connection speaking the DuckDB cursor dialect (what
    a forger with database access would use; ``raw_connection``)."""

    def __init__(self, url: str):
        import psycopg

        from db.postgres_backend import PgCursor, _configure

        self._conn = psycopg.connect(url, autocommit=True)
        _configure(self._conn)
        self._cur = PgCursor(self._conn)

    def execute(self, sql, params=None):
        return self._cur.execute(sql, params)

    def executemany(self, sql, seq):
        return self._cur.executemany(sql, seq)

    def close(self) -> None:
        self._cur.close()
        self._conn.close()


def raw_connection(path: str):
    """A connection to the database outside the app's handle: the DuckDB
    file, or the PostgreSQL database of the URL."""
    if ON_POSTGRES and "://" in str(path):
        return _RawPostgres(str(path))
    import duckdb

    return duckdb.connect(str(path))


def copy_install(src: Path, dest: Path, *, files: bool = True, database: bool = True) -> None:
    """Copy an install (database, keys, audit seals and, unless told not to,
    attachment blobs) so the copy verifies and logs in like the original."""
    (dest / "data").mkdir(parents=True, exist_ok=True)
    if database:
        shutil.copyfile(src / "sgld.duckdb", dest / "sgld.duckdb")
    if files and (src / "data" / "files").is_dir():  # attachment blobs
        shutil.copytree(src / "data" / "files", dest / "data" / "files")
    for name in (".cookie_key", ".audit_key", "audit.seals"):
        if (src / "data" / name).exists():
            shutil.copyfile(src / "data" / name, dest / "data" / name)


@pytest.fixture
def db(demo_template, tmp_path):
    """A fresh copy of the demo database for this test; yields the Database."""
    clock.freeze(None)
    copy_install(demo_template, tmp_path, database=not ON_POSTGRES)
    name = _pg_database("sgld_template")
    _point_at(tmp_path, name and pg_cluster().url(name))
    yield connection.get_db()
    clock.freeze(None)
    connection.reset()
    if name:
        pg_cluster().drop(name)


@pytest.fixture
def empty_db(tmp_path):
    """A migrated database with no data."""
    name = _pg_database(None)
    _point_at(tmp_path, name and pg_cluster().url(name))
    yield connection.get_db()
    connection.reset()
    if name:
        pg_cluster().drop(name)


_copies: dict = {}


def _pg_database(template: str | None) -> str | None:
    """On PostgreSQL: a new database for one test (a copy of ``template``,
    made ahead in the background)."""
    if not ON_POSTGRES:
        return None
    if template is None:
        name = f"sgld_t{next(_db_names)}"
        pg_cluster().create(name)
        return name
    if template not in _copies:
        _copies[template] = pg_cluster().copies(template)
    return _copies[template]()


def actor(username: str):
    from sgld.services.accounts import actor_by_username

    a = actor_by_username(username)
    assert a is not None, username
    return a


@pytest.fixture
def as_user():
    return actor


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One real streamlit server for the browser tests (fresh demo database,
    created by the app's own first start)."""
    from tests.browser_util import Server, need_browser

    need_browser()
    srv = Server(tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from tests.browser_util import launch, need_browser

    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    yield pg
    ctx.close()


BROWSER_FIXTURES = {"browser", "page", "server"}


def pytest_collection_modifyitems(config, items):
    """Mark every browser test ``browser`` (Chromium via tests/browser_util.py),
    so that ``-m "not browser"`` leaves them all out, new ones included."""
    skip_duckdb = pytest.mark.skip(reason="DuckDB only (SGLD_TEST_BACKEND=postgres)")
    skip_pg = pytest.mark.skip(reason="PostgreSQL only (SGLD_TEST_BACKEND=postgres)")
    for item in items:
        if ON_POSTGRES and item.get_closest_marker("duckdb_only"):
            item.add_marker(skip_duckdb)
        if not ON_POSTGRES and item.get_closest_marker("postgres_only"):
            item.add_marker(skip_pg)
        if "browser" in item.path.stem or BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


_skipped_browser: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and "browser" in report.nodeid:
        _skipped_browser.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """Under CI=true a skipped browser test fails the run.  The PostgreSQL
    cluster (if one was started) is stopped and removed."""
    global _cluster
    if _cluster is not None:
        connection.reset()
        _cluster.stop()
        _cluster = None
    if os.environ.get("CI") == "true" and _skipped_browser:
        print(f"\nCI: {len(_skipped_browser)} browser test(s) skipped: {_skipped_browser[:5]}")
        session.exitstatus = 1
