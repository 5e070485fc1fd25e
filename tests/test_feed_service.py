"""Pull feed (issue 18): a department pulls its pushes, licence status
changes and written explanations since an opaque cursor, within its data
scope, page by page."""

from __future__ import annotations

import base64
import json

import pytest

from sgld.errors import PermissionDenied, ValidationError
from sgld.services import feed
from sgld.services import revocation as rv
from tests.conftest import actor
from tests.test_push_service import record
from tests.test_revocation_service import file


def pull_all(who, cursor=None, **kw):
    out = []
    while True:
        page = feed.pull(who, cursor, **kw)
        out += page["events"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return out, cursor


def test_pages_through_own_events_once_each_and_polls_from_the_cursor(db):
    sup = actor("supervisor")
    start = feed.latest_cursor(sup)
    assert feed.pull(sup, start)["events"] == []
    for i in range(5):
        record(db, case_no=f"FD-{i}", code="SC-001")
    got, cur = pull_all(sup, start, limit=2)
    assert [e["data"]["case_no"] for e in got] == [f"FD-{i}" for i in range(5)]
    ids = [e["id"] for e in got]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert all(e["department_id"] == sup.department_id and e["kind"] == "push.created" for e in got)
    # nothing new: same cursor back, empty page; a new push shows up after it
    again = feed.pull(sup, cur)
    assert again["events"] == [] and again["next_cursor"] == cur and not again["has_more"]
    record(db, case_no="FD-new", code="SC-001")
    assert [e["data"]["case_no"] for e in feed.pull(sup, cur)["events"]] == ["FD-new"]
    # from the beginning (no cursor) includes them too
    everything, _ = pull_all(sup, None, limit=500)
    assert set(ids) <= {e["id"] for e in everything}


def test_data_scope_is_the_departments(db):
    sup, sup2 = actor("supervisor"), actor("supervisor2")  # 市场监管局, 生态环境局
    start2 = feed.latest_cursor(sup2)
    record(db, case_no="FD-S1", code="SC-001")  # supervised by 市场监管局 only
    assert all(e["data"].get("case_no") != "FD-S1" for e in feed.pull(sup2, start2)["events"])
    with pytest.raises(PermissionDenied, match="本部门"):
        feed.pull(sup2, department_id=sup.department_id)
    # another department's cursor, a forged or broken one: refused
    with pytest.raises(ValidationError, match="其他部门"):
        feed.pull(sup2, feed.latest_cursor(sup))
    for bad in ("xyz", "!!", base64.urlsafe_b64encode(b'{"v":1,"d":1,"a":-5}').decode(), "A" * 500):
        with pytest.raises(ValidationError, match="游标"):
            feed.pull(sup, bad)
    with pytest.raises(ValidationError, match="每页条数"):
        feed.pull(sup, limit=501)
    with pytest.raises(ValidationError, match="事件类型"):
        feed.pull(sup, kinds=["bogus"])
    # the bureau reads any department's stream, naming it
    with pytest.raises(ValidationError, match="指定"):
        feed.pull(actor("approver"))
    got = feed.pull(actor("approver"), department_id=sup.department_id, limit=500)
    assert got["events"] and {e["department_id"] for e in got["events"]} == {sup.department_id}
    with pytest.raises(PermissionDenied):
        feed.pull(actor("liaison"))


def test_licence_changes_and_written_explanations_reach_the_requesting_department(db):
    sup = actor("supervisor")
    start = feed.latest_cursor(sup)
    rid = file(db)
    rv.decide(actor("approver"), rid, revoke=False, reason="证据不足", notes="现场未发现问题")
    got = feed.pull(sup, start, kinds=["request.decided"])["events"]
    assert len(got) == 1
    ex = got[0]["data"]["explanation"]
    assert got[0]["data"]["request_id"] == rid and ex["reason"] == "证据不足"
    # the explanation letter itself is readable by the same department
    meta, data = rv.explanation(sup, rid)
    assert meta["file_name"] == ex["file_name"] and data[:2] == b"PK"
    # a revocation: the licence change and the re-push, in order
    rid2 = file(db)
    mark = feed.latest_cursor(sup)
    rv.decide(actor("approver"), rid2, revoke=True, reason="超标排放拒不改正", notes="现场核查属实")
    kinds = [e["kind"] for e in feed.pull(sup, mark)["events"]]
    assert kinds == ["licence.status_changed", "push.created", "request.decided"]
    # the pulled JSON is the delivered JSON
    from sgld.services import outbox

    e = feed.pull(sup, mark, limit=1)["events"][0]
    row = db.dicts("SELECT * FROM outbox_event WHERE id = ?", [e["id"]])[0]
    assert json.loads(outbox.body_of(row)) == e


def test_backfill_completes_the_feed_with_the_same_data_in_time_order(db):
    from sgld.services import outbox

    # a database from before the outbox: its history has no events
    db.write(lambda cur: cur.execute("DELETE FROM outbox_event; DELETE FROM outbox_backfill"))
    # live events of all four kinds
    record(db, case_no="FD-B1", code="SC-001")
    rid = file(db)
    rv.decide(actor("approver"), rid, revoke=False, reason="证据不足", notes="现场未发现问题")
    rid2 = file(db)
    rv.decide(actor("approver"), rid2, revoke=True, reason="超标排放拒不改正", notes="现场核查属实")
    live = {
        (r["department_id"], r["kind"], r["object_id"]): json.loads(r["payload"])
        for r in db.dicts("SELECT * FROM outbox_event")
    }
    kinds = {k[1] for k in live}
    assert kinds == {"push.created", "licence.status_changed", "request.decided"}
    # the demo loader wrote its history without events: the feed was incomplete
    pushes = db.scalar("SELECT count(*) FROM push")
    assert sum(1 for k in live if k[1] == "push.created") < pushes

    class Done(Exception):
        pass

    def tx(cur):
        cur.execute("DELETE FROM outbox_event")
        n = outbox.backfill(cur)
        rows = cur.execute(
            "SELECT department_id, kind, object_id, payload, created_at, state FROM outbox_event ORDER BY id"
        ).fetchall()
        raise Done(n, rows)

    with pytest.raises(Done) as res:
        db.write(tx)
    n, rows = res.value.args
    assert n == len(rows) and {r[5] for r in rows} == {"skipped"}
    filled = {(r[0], r[1], r[2]): json.loads(r[3]) for r in rows}
    assert sum(1 for k in filled if k[1] == "push.created") == pushes

    def same(d):  # a licence's status is the one at backfill time (later revocations show)
        return {**d, "licences": [{**x, "status": None} for x in d["licences"]]} if "licences" in d else d

    for key, data in live.items():  # what the live paths wrote, the backfill writes alike
        assert same(filled[key]) == same(data), key
    times = [r[4] for r in rows]
    assert times == sorted(times)  # time order, as if they had been written live
    # once: the second start adds nothing
    assert outbox.backfill_once() > 0
    total = db.scalar("SELECT count(*) FROM outbox_event")
    assert outbox.backfill_once() == 0
    assert db.scalar("SELECT count(*) FROM outbox_event") == total
    sup = actor("supervisor")
    everything = []
    cursor = None
    while True:
        page = feed.pull(sup, cursor, limit=500)
        everything += page["events"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    mine = db.scalar("SELECT count(*) FROM push WHERE department_id = ?", [sup.department_id])
    assert sum(1 for e in everything if e["kind"] == "push.created") == mine
