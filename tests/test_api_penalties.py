"""Penalties posted through the API (``penalty.import_records``): the file
import's pipeline, missing fields refused before any run is logged,
concurrent calls queue instead of failing, listeners coalesced."""
from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from sgld.errors import PermissionDenied, ValidationError
from sgld.services import penalty
from sgld.uscc import make


def _rows(tag: str, n: int):
    return [{"entity_name": f"企业{tag}{i}", "uscc": make("91320603" + str(abs(hash(tag)) % 10**5).zfill(5)
                                                        + str(i).zfill(4)),
             "decision_no": f"通测罚〔2026〕{tag}-{i}号", "decision_date": date.today().isoformat()}
            for i in range(n)]


def test_missing_fields_refused_before_a_run(db, as_user):
    runs = db.scalar("SELECT count(*) FROM penalty_run")
    with pytest.raises(ValidationError, match="缺少必填字段"):
        penalty.import_records(as_user("approver"), [{"entity_name": "x"}], source="接口-测试")
    assert db.scalar("SELECT count(*) FROM penalty_run") == runs
    with pytest.raises(PermissionDenied):
        penalty.import_records(as_user("supervisor"), _rows("p", 1), source="接口-测试")


def test_concurrent_calls_queue_and_listeners_coalesce(db, as_user, monkeypatch):
    seen = []
    monkeypatch.setattr(penalty, "_notify", lambda run_id: (time.sleep(0.2), seen.append(run_id)))
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
