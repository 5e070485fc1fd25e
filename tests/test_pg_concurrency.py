"""Several server processes writing to one PostgreSQL database at once
(issue 20): every write that a caller was told is saved is there, with
its audit row; the audit chain verifies; numbers are never handed out
twice.  DuckDB allows one writer process per file, so this runs only
under SGLD_TEST_BACKEND=postgres."""

import os
import subprocess
import sys
from collections import Counter

import pytest

from sgld import audit, clock
from tests.conftest import ROOT

pytestmark = pytest.mark.postgres_only

PROCESSES = 4
EACH = 6  # licences per process: a request, an inspection and a department each


def test_writers_in_several_processes(db, tmp_path):
    today = clock.today()
    lic = [
        r[0]
        for r in db.all(
            "SELECT l.id FROM licence l WHERE l.status = '有效' AND (l.valid_until IS NULL OR l.valid_until >= ?)"
            " AND l.id NOT IN (SELECT licence_id FROM revocation_request WHERE status IN ('已提交', '核实中'))"
            " AND l.enterprise_id IN (SELECT c.enterprise_id FROM push p JOIN approval_case c ON c.id = p.case_id"
            "  JOIN app_user u ON u.department_id = p.department_id WHERE u.username = 'supervisor')"
            " ORDER BY l.id LIMIT ?",
            [today, PROCESSES * EACH],
        )
    ]
    assert len(lic) == PROCESSES * EACH
    code = db.scalar("SELECT e.uscc FROM enterprise e ORDER BY e.id LIMIT 1")
    audit_before = db.scalar("SELECT count(*) FROM audit_log")
    env = dict(os.environ)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pg_writers", str(i), ",".join(map(str, lic[i::PROCESSES])), code],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert out.rstrip().endswith("DONE")
        outs.append(out)
    lines = [line.split() for out in outs for line in out.splitlines()]
    reqs = [(int(x[1]), x[2]) for x in lines if x[0] == "REQ"]
    ins = [int(x[1]) for x in lines if x[0] == "INS"]
    depts = [int(x[1]) for x in lines if x[0] == "DEPT"]
    assert len(ins) == len(depts) == PROCESSES * EACH
    assert len(reqs) >= PROCESSES * EACH // 2  # most licences were eligible
    # every acknowledged write is there, each number once
    numbers = Counter(no for _, no in reqs)
    assert [no for no, n in numbers.items() if n > 1] == []
    stored = dict(
        db.all(
            f"SELECT id, request_no FROM revocation_request WHERE id IN ({','.join('?' * len(reqs))})",
            [r for r, _ in reqs],
        )
    )
    assert stored == dict(reqs)
    dup = db.all("SELECT request_no FROM revocation_request GROUP BY request_no HAVING count(*) > 1")
    assert dup == []
    assert db.scalar(f"SELECT count(*) FROM inspection WHERE id IN ({','.join('?' * len(ins))})", ins) == len(ins)
    assert db.scalar(f"SELECT count(*) FROM department WHERE id IN ({','.join('?' * len(depts))})", depts) == len(depts)
    # one audit row per write (a request, an inspection, a department), chained without a gap
    assert db.scalar("SELECT count(*) FROM audit_log") - audit_before == len(reqs) + len(ins) + len(depts)
    assert db.scalar(
        "SELECT count(*) FROM audit_log WHERE object_type = 'revocation_request'"
        " AND action = 'create' AND object_id IN "
        f"({','.join('?' * len(reqs))})",
        [str(r) for r, _ in reqs],
    ) == len(reqs)
    assert db.scalar("SELECT max(id) = count(*) FROM audit_log")
    audit.forget_cached_head()
    rep = audit.check(db)
    assert rep.ok, rep.message
