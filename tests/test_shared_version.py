"""Cross-process freshness (issue 21): on PostgreSQL a write committed by one
app process moves the data version every process reads once per page run,
so cached figures and lookups of another process are recomputed on its next
call; on DuckDB (one process per file) nothing is read or written for it."""

import subprocess
import sys
import time
from datetime import date

import pytest

from sgld import audit, workdays
from sgld.services import accounts, dashboard
from tests.conftest import ON_POSTGRES, ROOT

pg = pytest.mark.postgres_only

WRITER = """
import sys
from datetime import date
from sgld import workdays
from sgld.services import org
from sgld.services.accounts import actor_by_username as a
if sys.argv[1] == "department":
    print(org.create_department(a("admin"), "跨进程部门", "licensing"))
else:
    workdays.set_day(a("admin"), date.fromisoformat(sys.argv[2]), False, "跨进程调休")
    print("OK")
"""


def _in_other_process(*args: str) -> str:
    out = subprocess.run([sys.executable, "-c", WRITER, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def _stored(db) -> int:
    return db.scalar("SELECT version FROM data_version WHERE singleton = 1")


@pytest.mark.skipif(ON_POSTGRES, reason="the DuckDB path")
def test_duckdb_never_reads_or_writes_the_shared_version(db, as_user):
    from sgld.services import org

    v = audit.data_version()
    org.create_department(as_user("admin"), "本进程部门", "licensing")
    assert audit.data_version() == v + 1
    assert audit.refresh_data_version() == v + 1
    assert _stored(db) == 0  # untouched
    assert not audit._shared


@pg
def test_write_in_another_process_invalidates_cached_reads(db):
    names = dashboard._dept_names()
    assert "跨进程部门" not in names.values()
    assert dashboard._dept_names() is names  # cached
    v0 = audit.refresh_data_version()
    stored = _stored(db)
    did = int(_in_other_process("department"))
    assert _stored(db) > stored
    audit.refresh_data_version()  # what the next page run of this process does first
    assert audit.data_version() > v0
    assert dashboard._dept_names()[did] == "跨进程部门"
    # and the next refresh without another write changes nothing
    v1 = audit.refresh_data_version()
    assert audit.refresh_data_version() == v1
    assert dashboard._dept_names()[did] == "跨进程部门"


@pg
def test_callers_outside_a_page_run_see_it_within_the_max_age(db, monkeypatch):
    names = dashboard._dept_names()
    audit.refresh_data_version()
    did = int(_in_other_process("department"))
    time.sleep(audit.SHARED_MAX_AGE)
    assert did not in names
    assert dashboard._dept_names()[did] == "跨进程部门"


@pg
def test_calendar_changed_by_another_process(db):
    day = date(2031, 3, 12)  # a Wednesday
    assert workdays.is_workday(day)
    _in_other_process("holiday", day.isoformat())
    audit.refresh_data_version()
    assert not workdays.is_workday(day)


@pg
def test_own_commit_and_quiet_logins(db, as_user):
    from sgld.services import org

    v = audit.refresh_data_version()
    stored = _stored(db)
    org.create_department(as_user("admin"), "本进程部门", "licensing")
    assert _stored(db) == stored + 1
    v1 = audit.data_version()
    assert v1 == v + 1
    assert audit.refresh_data_version() == v1  # our own write: moved once, not twice
    accounts.authenticate("leader", "Sgld@2026")  # a login (audited, but quiet)
    assert _stored(db) == stored + 1
    assert audit.refresh_data_version() == v1
