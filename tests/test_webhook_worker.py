"""Webhook delivery worker (issue 18): a receiver that is down gets every
event once it is back, in order; a worker killed mid-delivery loses none
(at least once); signatures verify; a user's write never waits for a
receiver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from db import connection
from sgld import settings, webhook
from sgld.services import outbox
from tests.conftest import actor
from tests.test_push_service import record
from tests.webhook_receiver import Receiver, free_port, verify

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fast(monkeypatch):
    """Short back-off so the tests do not wait minutes."""
    monkeypatch.setenv("SGLD_WEBHOOK_BACKOFF_SECONDS", "0.1")
    monkeypatch.setenv("SGLD_WEBHOOK_BACKOFF_MAX_SECONDS", "0.3")
    monkeypatch.setenv("SGLD_WEBHOOK_POLL_SECONDS", "0.1")
    monkeypatch.setenv("SGLD_WEBHOOK_TIMEOUT_SECONDS", "2")
    settings.reset()
    yield
    webhook.stop()
    settings.reset()


def wait_for(cond, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def subscribe(db, url, name="市场监管局") -> tuple[int, str]:
    d = db.scalar("SELECT id FROM department WHERE name = ?", [name])
    return d, outbox.register_webhook(actor("admin"), d, url)


def pending_ids(db, d):
    return [
        r[0]
        for r in db.all("SELECT id FROM outbox_event WHERE department_id = ? AND state = 'pending' ORDER BY id", [d])
    ]


def test_receiver_down_then_up_gets_every_event_in_order(db, fast):
    port = free_port()
    d, secret = subscribe(db, f"http://127.0.0.1:{port}/hook")
    assert webhook.start()
    t = time.perf_counter()
    for i in range(5):
        record(db, case_no=f"WH-{i}")
    assert time.perf_counter() - t < 30  # (sanity) the writes did not wait for the dead receiver
    want = pending_ids(db, d)
    assert len(want) == 5
    # nobody listens: attempts pile up, nothing is lost or given up
    assert wait_for(
        lambda: (db.scalar("SELECT max(attempts) FROM outbox_event WHERE department_id = ?", [d]) or 0) >= 3
    )
    assert (
        db.scalar(
            "SELECT count(*) FROM outbox_event WHERE department_id = ? AND state = 'pending' AND attempts > 0", [d]
        )
        == 1
    )  # only the head is tried: order kept
    err = db.scalar("SELECT last_error FROM outbox_event WHERE id = ?", [want[0]])
    assert "连接失败" in err
    rec = Receiver(port, secret=secret).start()
    try:
        assert wait_for(
            lambda: (
                db.scalar("SELECT count(*) FROM outbox_event WHERE department_id = ? AND state = 'delivered'", [d]) == 5
            )
        )
        assert rec.ids() == want  # each once, in order
        assert all(g["valid"] for g in rec.got)
        assert rec.got[0]["body"]["kind"] == "push.created"
        assert rec.got[0]["body"]["data"]["case_no"] == "WH-0"
        # a new event after recovery arrives promptly too
        record(db, case_no="WH-late")
        assert wait_for(lambda: len(rec.got) == 6)
        assert rec.got[-1]["body"]["data"]["case_no"] == "WH-late"
    finally:
        rec.stop()


def test_failing_receiver_marks_failed_then_admin_retry_delivers(db, fast, monkeypatch):
    monkeypatch.setenv("SGLD_WEBHOOK_MAX_ATTEMPTS", "2")
    settings.reset()
    rec = Receiver(mode="fail").start()
    try:
        d, secret = subscribe(db, rec.url)
        rec.secret = secret
        record(db, case_no="WH-F1")
        record(db, case_no="WH-F2")
        ids = pending_ids(db, d)

        def first_failed() -> bool:
            webhook.deliver_round()  # each round tries the head once its back-off is over
            return db.scalar("SELECT state FROM outbox_event WHERE id = ?", [ids[0]]) == "failed"

        assert wait_for(first_failed)
        for _ in range(3):  # later rounds do not send the second past the failed first
            webhook.deliver_round()
        states = dict(db.all("SELECT id, state FROM outbox_event WHERE department_id = ?", [d]))
        assert states[ids[0]] == "failed" and states[ids[1]] == "pending"
        assert set(rec.ids()) == {ids[0]}  # the second was never sent ahead of the first
        rec.mode = "ok"
        outbox.retry(actor("admin"), [ids[0]])
        webhook.deliver_round()
        assert rec.ids()[-2:] == ids
        assert all(g["valid"] for g in rec.got)
    finally:
        rec.stop()


def test_signature_rejects_tampering(db):
    body = b'{"id":1}'
    ts = str(int(time.time()))
    headers = {"X-SGLD-Timestamp": ts, "X-SGLD-Signature": outbox.sign("whsec_x", ts, body)}
    assert verify("whsec_x", headers, body)
    assert not verify("whsec_x", headers, body + b" ")
    assert not verify("whsec_y", headers, body)
    old = {**headers, "X-SGLD-Timestamp": str(int(ts) - 3600)}
    assert not verify("whsec_x", old, body)


def test_slow_receiver_never_blocks_a_users_write(db, fast):
    rec = Receiver(mode="hang").start()
    try:
        subscribe(db, rec.url)
        assert webhook.start()
        record(db, case_no="WH-S1")
        assert rec.seen.wait(10)  # the worker is now stuck in a request
        done = threading.Event()
        threading.Thread(target=lambda: (record(db, case_no="WH-S2"), done.set()), daemon=True).start()
        assert done.wait(5), "a write waited for the webhook receiver"
    finally:
        webhook.stop(timeout=5)
        rec.stop()


def test_worker_killed_mid_delivery_loses_no_event(db, tmp_path):
    hang = Receiver(mode="hang").start()
    d, secret = subscribe(db, hang.url)
    record(db, case_no="WH-K1")
    record(db, case_no="WH-K2")
    ids = pending_ids(db, d)
    assert len(ids) == 2
    connection.reset()  # hand the database to the worker process
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SGLD_WEBHOOK_TIMEOUT_SECONDS": "60"}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "webhook_worker_proc.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert hang.seen.wait(60), proc.stderr.read()[-2000:] if proc.poll() is not None else "no request"
        assert hang.ids() == [ids[0]]  # in flight: the receiver has it, no answer yet
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        hang.stop()
    # restart: the event in flight is still pending and is sent again, then the next
    from db.connection import get_db

    db2 = get_db()
    assert pending_ids(db2, d) == ids
    rec = Receiver(secret=secret).start()
    try:
        db2.write(
            lambda cur: cur.execute("UPDATE webhook_subscription SET url = ? WHERE department_id = ?", [rec.url, d])
        )
        webhook.deliver_round()
        assert rec.ids() == ids  # at least once: the killed one again, in order
        assert all(g["valid"] for g in rec.got)
        assert pending_ids(db2, d) == []
    finally:
        rec.stop()
