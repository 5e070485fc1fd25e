"""What several app processes on one PostgreSQL database share (issue 21):
a login cookie issued by one process is valid on another (the key is the
configuration's, not the process's), failed-login lockouts are counted in
the database, and an API nonce served by one process is refused as a
replay by another."""

import secrets
import subprocess
import sys

import pytest

from sgld import clock, settings
from sgld.errors import SgldError
from sgld.services import accounts
from sgld.services import api_clients as ac
from tests.conftest import ROOT

pytestmark = pytest.mark.postgres_only

CHILD = r"""
import json, sys
from sgld import settings
what = sys.argv[1]
if what == "cookie":
    from web import session
    a = session.actor_for({settings.get().cookie_name: sys.argv[2]}, [], None)
    print(a.username if a else "NONE")
elif what == "fail":
    from sgld.services import accounts
    for _ in range(int(sys.argv[3])):
        try:
            accounts.authenticate(sys.argv[2], "wrong-password")
        except Exception as exc:
            last = str(exc)
    print(last)
elif what == "api":  # one call per line of headers on stdin, its answer on stdout
    from sgld.services import api_clients as ac
    for line in sys.stdin:
        try:
            ac.authenticate("GET", "/api/v1/events", "", json.loads(line), b"")
            print("ACCEPTED", flush=True)
        except ac.AuthRefused as exc:
            print(exc.code, flush=True)
"""


def _child(*args: str) -> str:
    out = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_login_cookie_valid_in_another_process(db):
    from web import session

    token = session.cookie_token("supervisor")
    assert _child("cookie", token) == "supervisor"
    # signed with another key: refused there as here
    import jwt

    forged = jwt.encode(jwt.decode(token, options={"verify_signature": False}), "x" * 48, algorithm="HS256")
    assert _child("cookie", forged) == "NONE"


def test_lockout_counted_across_processes(db):
    n = settings.get().lock_attempts
    msg = _child("fail", "supervisor", str(n))
    assert "锁定" in msg
    with pytest.raises(SgldError, match="锁定"):  # the right password, in this process
        accounts.authenticate("supervisor", "Sgld@2026")


def test_api_nonce_replayed_to_another_process(db, as_user):
    import json

    dept = db.scalar("SELECT id FROM department WHERE name = '投资建设审批处'")
    made = ac.create(as_user("admin"), name="审批平台", department_id=dept, roles=["approver"], scopes=["events"])

    def headers() -> dict:
        ts = str(int(clock.now().replace(tzinfo=clock.TZ).timestamp()))
        nonce = secrets.token_hex(12)
        return {
            "x-sgld-key": made["key_id"],
            "x-sgld-timestamp": ts,
            "x-sgld-nonce": nonce,
            "x-sgld-signature": ac.sign(made["secret"], "GET", "/api/v1/events", "", ts, nonce, b""),
        }

    other = subprocess.Popen(
        [sys.executable, "-c", CHILD, "api"],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def call_there(h: dict) -> str:
        other.stdin.write(json.dumps(h) + "\n")
        other.stdin.flush()
        return other.stdout.readline().strip()

    try:
        assert call_there(headers()) == "ACCEPTED"  # the other process has loaded its nonces
        h = headers()
        caller = ac.authenticate("GET", "/api/v1/events", "", h, b"")  # served here
        db.write(lambda cur: ac.store_nonce(cur, caller))
        assert call_there(h) == "AUTH_REPLAY"  # and replayed to the other process
        assert call_there(headers()) == "ACCEPTED"
    finally:
        other.stdin.close()
        other.wait(30)
        other.stdout.close()
        other.stderr.close()


def test_api_rate_limit_shared_by_processes(db, as_user):
    import json

    dept = db.scalar("SELECT id FROM department WHERE name = '投资建设审批处'")
    made = ac.create(
        as_user("admin"), name="审批平台", department_id=dept, roles=["approver"], scopes=["events"], rate_per_minute=3
    )

    def headers() -> dict:
        ts = str(int(clock.now().replace(tzinfo=clock.TZ).timestamp()))
        nonce = secrets.token_hex(12)
        return {
            "x-sgld-key": made["key_id"],
            "x-sgld-timestamp": ts,
            "x-sgld-nonce": nonce,
            "x-sgld-signature": ac.sign(made["secret"], "GET", "/api/v1/events", "", ts, nonce, b""),
        }

    other = subprocess.Popen(
        [sys.executable, "-c", CHILD, "api"],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def call_there() -> str:
        other.stdin.write(json.dumps(headers()) + "\n")
        other.stdin.flush()
        return other.stdout.readline().strip()

    try:
        for _ in range(2):  # two of the three calls a minute, here
            ac.authenticate("GET", "/api/v1/events", "", headers(), b"")
        assert call_there() == "ACCEPTED"  # the third, there
        assert call_there() == "RATE_LIMITED"  # a fourth there is one too many
        with pytest.raises(ac.AuthRefused, match="每分钟最多"):  # and so here
            ac.authenticate("GET", "/api/v1/events", "", headers(), b"")
    finally:
        other.stdin.close()
        other.wait(30)
        other.stdout.close()
        other.stderr.close()
