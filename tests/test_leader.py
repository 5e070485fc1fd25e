"""Background jobs exactly once across processes (issue 21, sgld/leader.py):
on DuckDB the one process leads; on PostgreSQL the holder of a session
advisory lock does, and another process takes over when it dies."""

import os
import signal
import subprocess
import sys
import time

import pytest

from sgld import leader, startup
from tests.conftest import ROOT

RETRY = 0.5


def _wait(cond, timeout: float, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(step)
    return cond()


def test_duckdb_process_always_leads():
    calls = []
    e = leader.Election(None, lambda: calls.append("gain"), lambda: calls.append("lose"))
    assert e.start() is True
    assert e.attempt() is True
    assert e._thread is None  # nothing to retry: no thread, no connection
    e.stop()
    assert calls == ["gain", "lose"]


def test_no_election_under_pytest(db):
    assert startup.start_background() is False
    assert not leader.is_leader()


pg = pytest.mark.postgres_only


def _holder(db) -> str | None:
    with db.cursor() as cur:
        return leader.holder(cur)


@pg
def test_one_leader_in_process_and_takeover_on_lost_connection(empty_db):
    url = empty_db.path
    events: list[str] = []
    a = leader.Election(url, lambda: events.append("a+"), lambda: events.append("a-"), retry=RETRY)
    b = leader.Election(url, lambda: events.append("b+"), lambda: events.append("b-"), retry=RETRY)
    try:
        assert a.start() is True
        assert b.start() is False
        time.sleep(3 * RETRY)
        assert events == ["a+"] and a.leading and not b.leading
        # the server ends the leader's session (as after a network failure):
        # the lock goes with it, the leader stops its jobs, the other takes over
        pid = a._conn.info.backend_pid
        empty_db.scalar("SELECT pg_terminate_backend(?)", [pid])
        assert _wait(lambda: b.leading, 4 * RETRY + 2)
        assert _wait(lambda: "a-" in events, 4 * RETRY + 2)
        assert events.index("a-") >= 1 and events.count("b+") == 1
        assert not a.leading
        assert _holder(empty_db).endswith(f" {os.getpid()}")
    finally:
        a.stop()
        b.stop()
    assert _wait(lambda: _holder(empty_db) is None, 5)


@pg
def test_two_processes_one_leader_and_takeover(empty_db, tmp_path):
    env = dict(os.environ, SGLD_LEADER_RETRY_SECONDS=str(RETRY))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.leader_proc", str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    by_pid = {p.pid: p for p in procs}

    def leaders() -> list[int]:
        return sorted(int(f.stem) for f in tmp_path.glob("*.leader") if int(f.stem) in by_pid)

    def candidates() -> int:
        return empty_db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'sgld-leader %'")

    try:
        assert _wait(lambda: len(leaders()) == 1 and candidates() == 2, 60), [
            p.stderr.read() if p.poll() is not None else "" for p in procs
        ]
        time.sleep(4 * RETRY)  # the follower retried several times: still exactly one leader
        (first,) = leaders()
        assert _holder(empty_db).endswith(f" {first}")
        (other,) = [pid for pid in by_pid if pid != first]
        assert by_pid[other].poll() is None
        os.kill(first, signal.SIGKILL)
        by_pid[first].wait(10)
        t0 = time.monotonic()
        assert _wait(lambda: (tmp_path / f"{other}.leader").exists(), 10, step=0.01)
        took = time.monotonic() - t0
        assert took <= RETRY + 1.5, took  # within the retry interval (plus scheduling slack)
        assert _holder(empty_db).endswith(f" {other}")
        print(f"takeover after {took * 1000:.0f} ms (retry interval {RETRY * 1000:.0f} ms)")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(10)
            for stream in (p.stdout, p.stderr):
                if stream is not None:
                    stream.close()
