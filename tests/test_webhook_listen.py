"""Several app processes on PostgreSQL (issue 21): an event emitted by a
process that does not lead wakes the delivery worker of the one that does
(NOTIFY at commit), instead of waiting for its next poll."""

import subprocess
import sys
import threading
import time

import pytest

from sgld import webhook
from sgld.services import outbox
from tests.conftest import ROOT

pytestmark = pytest.mark.postgres_only

EMIT = """
import sys, time
from db.connection import get_db
from sgld.services import outbox
db = get_db()
db.write(lambda cur: outbox.emit(cur, int(sys.argv[1]), "push.created", {"test": 1},
                                 object_type="push", object_id=1))
print(time.time())
"""


def test_event_of_another_process_wakes_the_worker(db):
    dept = db.scalar("SELECT min(id) FROM department")
    webhook._stop.clear()
    outbox.wake.clear()
    listener = threading.Thread(target=webhook._listen, args=(db.path,), daemon=True)
    listener.start()
    try:
        assert outbox.wake.wait(15)  # set once when listening begins
        time.sleep(0.3)
        outbox.wake.clear()
        woke: list[float] = []
        waiter = threading.Thread(target=lambda: outbox.wake.wait(60) and woke.append(time.time()))
        waiter.start()
        out = subprocess.run(
            [sys.executable, "-c", EMIT, str(dept)], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr[-2000:]
        committed = float(out.stdout.split()[-1])
        waiter.join(15)
        assert woke, "the worker was not woken"
        print(f"woken {max(woke[0] - committed, 0) * 1000:.1f} ms after the other process's commit")
        assert woke[0] - committed < 1.0
    finally:
        webhook._stop.set()
        listener.join(5)
        webhook._stop.clear()
