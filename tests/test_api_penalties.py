"""Penalties posted through the API (``penalty.import_records``): the file
import's pipeline, missing fields refused before any run is logged,
concurrent calls queue instead of failing, listeners coalesced."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from sgld.errors import PermissionDenied, StateError, ValidationError
from sgld.services import penalty
from sgld.services.penalty import pipeline, runs
from sgld.uscc import make


def _rows(tag: str, n: int):
    return [
        {
            "entity_name": f"企业{tag}{i}",
            "uscc": make("91320603" + str(abs(hash(tag)) % 10**5).zfill(5) + str(i).zfill(4)),
            "decision_no": f"通测罚〔2026〕{tag}-{i}号",
            "decision_date": date.today().isoformat(),
        }
        for i in range(n)
    ]


def test_missing_fields_refused_before_a_run(db, as_user):
    runs = db.scalar("SELECT count(*) FROM penalty_run")
    with pytest.raises(ValidationError, match="缺少必填字段"):
        penalty.import_records(as_user("approver"), [{"entity_name": "x"}], source="接口-测试")
    assert db.scalar("SELECT count(*) FROM penalty_run") == runs
    with pytest.raises(PermissionDenied):
        penalty.import_records(as_user("supervisor"), _rows("p", 1), source="接口-测试")


def test_concurrent_calls_queue_and_listeners_coalesce(db, as_user, monkeypatch):
    seen = []
    monkeypatch.setattr(runs, "_notify", lambda run_id: (time.sleep(0.2), seen.append(run_id)))
    out, errors = [], []

    def post(tag):
        try:
            out.append(penalty.import_records(as_user("approver"), _rows(tag, 50), source="接口-测试"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(f"t{i}",)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and sorted(r["imported"] for r in out) == [50] * 4
    deadline = time.time() + 10
    last = max(r["run_id"] for r in out)
    while last not in seen and time.time() < deadline:
        time.sleep(0.05)
    assert last in seen and len(seen) == 1  # one pass after the burst covers the newest run


def test_nonce_committed_with_the_import_or_not_at_all(db, monkeypatch):
    """A call without batch id stores its nonce in the import's own
    transaction: present once the rows are, absent when the import rolls
    back (the API layer then keeps it separately)."""
    from sgld.services import api_clients as ac
    from sgld.services import api_inbound as inbound

    monkeypatch.setattr(runs, "_notify_soon", lambda run_id: None)  # no listener thread left behind
    dept = db.scalar("SELECT id FROM department WHERE name = '南通市行政审批局'")
    made = ac.create(None, name="行权测试", department_id=dept, roles=["approver"], scopes=["penalties"])
    client = ac._client(db.one(ac._CLIENT_SQL + " WHERE c.id = ?", [made["id"]]))
    caller = ac.Caller(client, ac.actor_of(client), "n" * 20)
    status, answer, replayed = inbound.post_penalties(caller, _rows("nonce", 3), None, None)
    assert (status, answer["imported"], replayed) == (201, 3, False)
    assert db.scalar("SELECT count(*) FROM api_nonce WHERE client_id = ? AND nonce = ?", [client.id, "n" * 20]) == 1
    assert db.scalar("SELECT count(*) FROM api_idempotency WHERE client_id = ?", [client.id]) == 0

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "_import_batches", broken)
    other = ac.Caller(client, ac.actor_of(client), "m" * 20)
    with pytest.raises(StateError, match="本批次未导入任何数据"):
        inbound.post_penalties(other, _rows("nonce2", 3), None, None)
    assert db.scalar("SELECT count(*) FROM api_nonce WHERE nonce = ?", ["m" * 20]) == 0
