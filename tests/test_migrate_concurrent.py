"""Several app processes starting at once on a new PostgreSQL database (or
after an upgrade, systemctl start sgld@8501 sgld@8502 …) migrate it
together: each migration is applied once and every process starts."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT, pg_cluster

pytestmark = pytest.mark.postgres_only

MIGRATE = """
from db.connection import open_database
from db.migrate import migrate
db = open_database()
print(len(migrate(db)))
db.close()
"""


def test_processes_migrate_one_database_at_once(tmp_path, monkeypatch):
    url = pg_cluster().create("sgld_migrate_race")
    monkeypatch.setenv("SGLD_DB", url)
    monkeypatch.setenv("SGLD_DATA_DIR", str(tmp_path / "data"))
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(3)
        ]
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], [e[-1500:] for _, e in outs]
        from db.migrate import available

        counts = [int(o.split()[-1]) for o, _ in outs]
        assert sum(counts) == len(available())  # each migration applied by exactly one process
    finally:
        pg_cluster().drop("sgld_migrate_race")
