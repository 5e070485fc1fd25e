"""Several app processes starting at once on an empty PostgreSQL database in
demo mode: the demo data is loaded once and every process starts."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT, pg_cluster

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.slow,
    # remove once the demo steps load on PostgreSQL (special_review.scopes
    # array from a registered frame fails there today)
    pytest.mark.xfail(reason="demo.load does not run on PostgreSQL yet", strict=False),
]

READY = """
from sgld import startup
startup.ensure_ready()
from db.connection import get_db
print(get_db().scalar("SELECT count(*) FROM app_user"))
"""


def test_processes_start_on_an_empty_demo_database_at_once(tmp_path, monkeypatch):
    url = pg_cluster().create("sgld_demo_race")
    monkeypatch.setenv("SGLD_DB", url)
    monkeypatch.setenv("SGLD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SGLD_MODE", "demo")
    try:
        from sgld import settings

        settings.reset()
        settings.get()  # the demo keys, once, before the processes race for the files
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", READY], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=600) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], "\n".join(e[-3000:] for _, e in outs)
        users = {int(o.split()[-1]) for o, _ in outs}
        assert len(users) == 1 and users.pop() > 0
        import psycopg

        with psycopg.connect(url) as con:
            n = con.execute("SELECT count(*) FROM audit_log WHERE action = 'demo_load'").fetchone()[0]
        assert n == 1
    finally:
        pg_cluster().drop("sgld_demo_race")
