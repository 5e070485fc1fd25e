"""Transactional outbox (issue 18): events written in the change's own
transaction, one ordered stream per department, back-off, failed → retry,
webhook subscriptions (admin only, audited)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from sgld import clock
from sgld.errors import PermissionDenied, StateError, ValidationError
from sgld.services import cases_import, outbox, push
from sgld.services import revocation as rv
from tests.conftest import actor
from tests.test_push_import import ROWS, csv_bytes
from tests.test_push_service import record
from tests.test_revocation_service import file, walk_licence


def events(db, **where):
    cond = " AND ".join(f"{k} = ?" for k in where) or "TRUE"
    return db.dicts(f"SELECT * FROM outbox_event WHERE {cond} ORDER BY id", list(where.values()))


def dept(db, name):
    return db.scalar("SELECT id FROM department WHERE name = ?", [name])


def test_new_push_emits_one_event_per_department_in_the_same_transaction(db):
    first = db.scalar("SELECT coalesce(max(id), 0) FROM outbox_event")
    cid = record(db, case_no="OB-1")
    pushes = db.all("SELECT id, department_id FROM push WHERE case_id = ? ORDER BY id", [cid])
    assert pushes
    evs = db.dicts("SELECT * FROM outbox_event WHERE id > ? ORDER BY id", [first])
    assert [(e["object_id"], e["department_id"]) for e in evs] == pushes
    data = json.loads(evs[0]["payload"])
    assert data["case_no"] == "OB-1" and data["push_id"] == pushes[0][0]
    assert data["licences"][0]["licence_no"] == "LIC-OB-1" and data["reason"] is None
    # nobody subscribed: kept for the pull feed only
    assert {e["state"] for e in evs} == {"skipped"}


def test_rolled_back_change_leaves_no_event(db):
    cid = record(db, case_no="OB-2")
    before = db.scalar("SELECT count(*) FROM outbox_event")
    pushes = db.scalar("SELECT count(*) FROM push")

    def tx(cur):
        push.push_case_result(cur, actor("approver"), cid, reason="再次推送测试")
        assert cur.execute("SELECT count(*) FROM outbox_event").fetchone()[0] > before
        raise ValidationError("后续步骤失败")

    with pytest.raises(ValidationError):
        db.write(tx)
    assert db.scalar("SELECT count(*) FROM outbox_event") == before
    assert db.scalar("SELECT count(*) FROM push") == pushes
    # a refused service call (bad input) writes nothing either
    with pytest.raises(ValidationError):
        record(db, case_no="OB-2")  # duplicate case number
    assert db.scalar("SELECT count(*) FROM outbox_event") == before


def test_import_emits_events_for_every_push_and_claim(db):
    clock.freeze(datetime(2026, 3, 10, 9, 0))
    res = cases_import.import_cases(actor("approver"), "cases.csv", csv_bytes(ROWS), commit=True)
    assert res.counts["pushes"] == 4 and res.counts["claims"] == 1
    ids = [r[0] for r in db.all("SELECT id FROM approval_case WHERE source = 'import'")]
    marks = ",".join(map(str, ids))
    assert (
        db.scalar(
            f"SELECT count(*) FROM outbox_event WHERE kind = 'push.created' AND object_id IN"
            f" (SELECT id FROM push WHERE case_id IN ({marks}))"
        )
        == 4
    )
    claim = [e for e in events(db, kind="claim.opened") if json.loads(e["payload"])["case_no"] == "IMP-9"]
    assert len(claim) == 1 and json.loads(claim[0]["payload"])["case_no"] == "IMP-9"


def test_revocation_emits_licence_change_to_linked_departments_and_the_decision(db):
    ap = actor("approver")
    sup = actor("supervisor")
    lic = walk_licence(db)
    case_id = db.scalar("SELECT case_id FROM licence WHERE id = ?", [lic])
    with db.cursor() as cur:
        seen_before = set(outbox.case_departments(cur, case_id))
    rid = file(db)
    first = db.scalar("SELECT coalesce(max(id), 0) FROM outbox_event")
    rv.decide(ap, rid, revoke=True, reason="超标排放拒不改正", notes="现场核查属实")
    new = db.dicts("SELECT * FROM outbox_event WHERE id > ? ORDER BY id", [first])
    kinds = [e["kind"] for e in new]
    changed = [e for e in new if e["kind"] == "licence.status_changed"]
    got = {e["department_id"] for e in changed}
    # everyone who saw the case, and everyone the result is synced to again (再次同步)
    assert seen_before <= got and {sup.department_id, dept(db, "生态环境局")} <= got
    data = json.loads(changed[0]["payload"])
    assert data["to_status"] == "已吊销" and data["from_status"] == "有效"
    # the change comes before the re-pushes, the decision last (order of the transaction)
    assert kinds.index("licence.status_changed") < kinds.index("push.created") < kinds.index("request.decided")
    decided = [e for e in new if e["kind"] == "request.decided"]
    assert len(decided) == 1 and decided[0]["department_id"] == sup.department_id
    d = json.loads(decided[0]["payload"])
    assert d["status"] == "已撤销" and d["explanation"] is None


def test_refusal_event_carries_the_written_explanation(db):
    rid = file(db)
    rv.decide(actor("approver"), rid, revoke=False, reason="证据不足", notes="现场未发现问题")
    e = events(db, kind="request.decided")[-1]
    d = json.loads(e["payload"])
    assert d["status"] == "不予撤销"
    assert d["explanation"]["file_name"].startswith("书面说明-")
    assert d["explanation"]["reason"] == "证据不足"
    assert d["explanation"]["verification_notes"] == "现场未发现问题"
    assert d["explanation"]["attachment_id"] == db.scalar(
        "SELECT explanation_attachment_id FROM revocation_request WHERE id = ?", [rid]
    )


def test_webhook_admin_only_validated_and_audited(db):
    sm = dept(db, "市场监管局")
    with pytest.raises(PermissionDenied):
        outbox.register_webhook(actor("supervisor"), sm, "http://127.0.0.1:9/hook")
    for bad, msg in [("ftp://x/y", "http"), ("http://u:p@h/x", "用户名"), ("", "请填写"), ("hook", "http")]:
        with pytest.raises(ValidationError, match=msg):
            outbox.register_webhook(actor("admin"), sm, bad)
    with pytest.raises(ValidationError, match="不是监管部门"):
        outbox.register_webhook(actor("admin"), dept(db, "南通市行政审批局"), "http://127.0.0.1:9/x")
    assert db.scalar("SELECT count(*) FROM webhook_subscription") == 0
    secret = outbox.register_webhook(actor("admin"), sm, "http://127.0.0.1:9/hook")
    assert secret.startswith("whsec_") and len(secret) > 40
    row = db.dicts("SELECT * FROM webhook_subscription WHERE department_id = ?", [sm])[0]
    assert secret not in json.dumps(row, default=str)  # the secret itself is not stored
    assert outbox.secret_of(row) == secret  # but can be recomputed for signing
    with pytest.raises(StateError, match="无需重复登记"):
        outbox.register_webhook(actor("admin"), sm, "http://127.0.0.1:9/hook")
    assert outbox.register_webhook(actor("admin"), sm, "http://127.0.0.1:9/new") == ""  # keeps secret
    new = outbox.rotate_secret(actor("admin"), sm)
    assert new != secret
    outbox.set_webhook_active(actor("admin"), sm, False)
    acts = [r[0] for r in db.all("SELECT action FROM audit_log WHERE object_type = 'webhook_subscription' ORDER BY id")]
    assert acts == ["create", "update", "rotate_secret", "deactivate"]
    subs = {s["department_id"]: s for s in outbox.list_subscriptions(actor("admin"))}
    assert subs[sm]["url"] == "http://127.0.0.1:9/new" and subs[sm]["active"] is False


def test_production_refuses_a_webhook_without_the_key(db, monkeypatch):
    from sgld import settings

    monkeypatch.setenv("SGLD_MODE", "production")
    monkeypatch.setenv("SGLD_COOKIE_KEY", "c" * 40)
    monkeypatch.setenv("SGLD_AUDIT_KEY", "a" * 40)
    settings.reset()
    try:
        with pytest.raises(Exception, match="SGLD_WEBHOOK_KEY"):
            outbox.register_webhook(actor("admin"), dept(db, "市场监管局"), "https://h/x")
        assert db.scalar("SELECT count(*) FROM webhook_subscription") == 0
    finally:
        monkeypatch.undo()
        settings.reset()


def _subscribe(db, name="市场监管局"):
    d = dept(db, name)
    outbox.register_webhook(actor("admin"), d, "http://127.0.0.1:9/hook")
    return d


def test_order_per_department_backoff_failed_and_retry(db, monkeypatch):
    monkeypatch.setenv("SGLD_WEBHOOK_MAX_ATTEMPTS", "3")
    from sgld import settings

    settings.reset()
    sm = _subscribe(db)
    t0 = datetime(2026, 3, 10, 9, 0)
    clock.freeze(t0)
    for i in range(3):
        record(db, case_no=f"OB-O{i}", code="SC-001")
    mine = [e["id"] for e in events(db, department_id=sm, state="pending")]
    assert len(mine) == 3
    # other departments without a webhook: skipped, not queued
    assert {e["state"] for e in events(db) if e["department_id"] != sm} <= {"skipped"}
    due = outbox.due(t0)
    assert [[e["id"] for e in rows] for _, rows in due] == [mine]
    # the head fails: back-off 2 s, 4 s; nothing later is sent before it
    outbox.record_attempts([(mine[0], "HTTP 503")])
    head = events(db, id=mine[0])[0]
    assert head["attempts"] == 1 and head["next_attempt_at"] == t0 + timedelta(seconds=2)
    assert outbox.due(t0) == []  # waiting: the later events wait too
    clock.freeze(t0 + timedelta(seconds=2))
    assert [e["id"] for e in outbox.due(clock.now())[0][1]] == mine
    outbox.record_attempts([(mine[0], "timed out")])
    assert events(db, id=mine[0])[0]["next_attempt_at"] == clock.now() + timedelta(seconds=4)
    outbox.record_attempts([(mine[0], "refused")])  # third attempt of 3: failed
    head = events(db, id=mine[0])[0]
    assert head["state"] == "failed" and head["last_error"] == "refused"
    far = clock.now() + timedelta(days=1)
    assert outbox.due(far) == []  # blocked behind the failed event: order kept
    assert outbox.state_counts(actor("admin"))["failed"] == 1
    # retry: admin only, audited, attempts start over, the queue moves again
    with pytest.raises(PermissionDenied):
        outbox.retry(actor("supervisor"), [mine[0]])
    with pytest.raises(StateError):
        outbox.retry(actor("admin"), [mine[1]])  # pending, never attempted
    assert outbox.retry(actor("admin"), [mine[0]]) == 1
    head = events(db, id=mine[0])[0]
    assert head["state"] == "pending" and head["attempts"] == 0 and head["next_attempt_at"] is None
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'retry'") == 1
    outbox.record_attempts([(i, None) for i in mine])
    assert {e["state"] for e in events(db, department_id=sm) if e["id"] in mine} == {"delivered"}
    assert outbox.due(far) == []


def test_backoff_is_exponential_and_capped(db, monkeypatch):
    from sgld import settings

    monkeypatch.setenv("SGLD_WEBHOOK_BACKOFF_SECONDS", "2")
    monkeypatch.setenv("SGLD_WEBHOOK_BACKOFF_MAX_SECONDS", "300")
    settings.reset()
    assert [outbox.backoff_seconds(n) for n in (1, 2, 3, 8, 9, 30)] == [2, 4, 8, 256, 300, 300]
    # the defaults keep an event for more than an hour before it fails
    monkeypatch.delenv("SGLD_WEBHOOK_BACKOFF_SECONDS")
    monkeypatch.delenv("SGLD_WEBHOOK_BACKOFF_MAX_SECONDS")
    settings.reset()
    total = sum(outbox.backoff_seconds(n) for n in range(1, outbox.max_attempts()))
    assert total > 3600


def test_paused_subscription_keeps_events_pending(db):
    sm = _subscribe(db)
    outbox.set_webhook_active(actor("admin"), sm, False)
    record(db, case_no="OB-P1")
    evs = events(db, department_id=sm, state="pending")
    assert evs
    assert outbox.due(clock.now() + timedelta(days=1)) == []
    outbox.set_webhook_active(actor("admin"), sm, True)
    assert [e["id"] for e in outbox.due(clock.now())[0][1]] == [e["id"] for e in evs]


def test_form_and_bulk_paths_write_the_same_event_data(db):
    cid = record(db, case_no="OB-EQ")
    pid = db.scalar("SELECT min(id) FROM push WHERE case_id = ?", [cid])
    few = json.loads(db.scalar("SELECT payload FROM outbox_event WHERE object_type = 'push' AND object_id = ?", [pid]))

    def tx(cur):
        outbox._emit_published(cur, "push", "p.id = ?", [pid])
        got = cur.execute(
            "SELECT payload FROM outbox_event WHERE object_type = 'push' AND object_id = ? ORDER BY id DESC LIMIT 1",
            [pid],
        ).fetchone()[0]
        raise _Done(got)

    class _Done(Exception):
        pass

    with pytest.raises(_Done) as bulk:
        db.write(tx)
    assert json.loads(bulk.value.args[0]) == few
    assert db.scalar("SELECT count(*) FROM outbox_event WHERE object_type = 'push' AND object_id = ?", [pid]) == 1


@pytest.mark.parametrize("who", ["leader", "approver", "supervisor", "liaison"])
def test_only_admins_manage_webhooks_and_the_queue(db, who):
    a = actor(who)
    sm = dept(db, "市场监管局")
    before = (db.scalar("SELECT count(*) FROM audit_log"), db.scalar("SELECT count(*) FROM webhook_subscription"))
    calls = [
        lambda: outbox.register_webhook(a, sm, "http://127.0.0.1:9/x"),
        lambda: outbox.rotate_secret(a, sm),
        lambda: outbox.set_webhook_active(a, sm, False),
        lambda: outbox.retry(a, [1]),
        lambda: outbox.list_events(a),
        lambda: outbox.list_subscriptions(a),
        lambda: outbox.state_counts(a),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied, match="没有权限"):
            call()
    assert (
        db.scalar("SELECT count(*) FROM audit_log"),
        db.scalar("SELECT count(*) FROM webhook_subscription"),
    ) == before
