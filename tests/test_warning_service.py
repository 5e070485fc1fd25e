"""警示名单: each rule at its threshold and one below, admin thresholds, lift
and re-list, manual listing, hooks after penalty sync and inspection, export."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest

from sgld import clock, uscc
from sgld.demo.base import org_code
from sgld.errors import PermissionDenied, StateError, ValidationError
from sgld.services import inspection, warning
from tests.conftest import actor

_n = [0]


def new_enterprise(db) -> tuple[int, str]:
    import random

    rng = random.Random(len(str(db.path)) * 7919 + _n[0])
    _n[0] += 1
    while True:
        code = uscc.make("91320602" + org_code(rng))
        if not db.scalar("SELECT 1 FROM enterprise WHERE uscc = ?", [code]):
            break
    with db.transaction() as cur:
        eid = cur.execute(
            "INSERT INTO enterprise (uscc, name, created_at) VALUES (?, ?, ?) RETURNING id",
            [code, f"南通测试警示企业{_n[0]}有限公司", clock.now()],
        ).fetchone()[0]
    return eid, code


def add_penalty(db, eid: int, code: str, *, fine=1.0, category="罚款", days_ago=10) -> int:
    with db.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM penalty").fetchone()[0]
        return cur.execute(
            "INSERT INTO penalty (source, decision_no, uscc, enterprise_id, entity_name, category,"
            " fine_wan, decision_date, imported_at) VALUES ('测试', ?, ?, ?, '测试企业', ?, ?, ?, ?)"
            " RETURNING id",
            [
                f"测罚〔2026〕{n + 1}号",
                code,
                eid,
                category,
                fine,
                clock.today() - timedelta(days=days_ago),
                clock.now(),
            ],
        ).fetchone()[0]


def listed(eid: int) -> dict | None:
    return warning.status_for([eid]).get(eid)


def rules_of(eid: int, db) -> set[str]:
    return {
        r[0]
        for r in db.all(
            "SELECT h.rule FROM warning_hit h JOIN warning_entry w ON w.id = h.entry_id"
            " WHERE w.enterprise_id = ? AND w.status = '在列'",
            [eid],
        )
    }


def test_big_fine_at_threshold_and_below(db):
    a, ca = new_enterprise(db)
    b, cb = new_enterprise(db)
    add_penalty(db, a, ca, fine=10.0)
    add_penalty(db, b, cb, fine=9.99)
    warning.recompute()
    assert listed(a) and rules_of(a, db) == {"big_penalty"}
    assert listed(b) is None


@pytest.mark.parametrize(
    "category, hit", [("罚款；责令停产停业", True), ("吊销许可证", True), ("罚款；没收违法所得", False)]
)
def test_penalty_category(db, category, hit):
    e, c = new_enterprise(db)
    add_penalty(db, e, c, fine=0.5, category=category)
    warning.recompute()
    assert bool(listed(e)) is hit


def test_penalty_count_threshold_and_window(db):
    a, ca = new_enterprise(db)
    b, cb = new_enterprise(db)
    c, cc = new_enterprise(db)
    for d in (10, 100, 300):
        add_penalty(db, a, ca, days_ago=d)
    for d in (10, 100):
        add_penalty(db, b, cb, days_ago=d)
    for d in (10, 100, 400):  # the third is older than 12 months
        add_penalty(db, c, cc, days_ago=d)
    warning.recompute()
    assert listed(a) and rules_of(a, db) == {"penalty_count"}
    assert (
        db.scalar(
            "SELECT count(*) FROM warning_hit h JOIN warning_entry w ON w.id = h.entry_id WHERE w.enterprise_id = ?",
            [a],
        )
        == 3
    )
    assert listed(b) is None and listed(c) is None
    # time moves on: the oldest of a's penalties leaves the window, the entry is lifted by the system
    clock.freeze(clock.now() + timedelta(days=70))
    warning.ensure_current()
    assert listed(a) is None
    row = db.one("SELECT status, lifted_by, lift_reason FROM warning_entry WHERE enterprise_id = ?", [a])
    assert row[0] == "已解除" and row[1] is None and "自动解除" in row[2]


def test_inspection_hook_lists_on_result(db):
    sup = actor("supervisor")
    a, ca = new_enterprise(db)
    b, cb = new_enterprise(db)
    common = {
        "entity_name": None,
        "inspected_at": datetime.now().replace(microsecond=0) - timedelta(hours=2),
        "place": "南通市崇川区",
        "findings": "现场检查",
        "inspectors": "张三、李四",
    }
    inspection.record(sup, uscc_code=ca, result="立案查处", **common)
    inspection.record(sup, uscc_code=cb, result="责令整改", **common)
    # no explicit recompute: the inspection service notifies the warning list
    assert listed(a) and rules_of(a, db) == {"inspection"}
    assert listed(b) is None


def test_penalty_sync_hook(db):
    from sgld.services import penalty

    e, c = new_enterprise(db)
    add_penalty(db, e, c, fine=50)
    assert listed(e) is None
    penalty._notify(0)  # what every sync run calls after its commit
    assert listed(e)


def test_admin_thresholds_recompute(db):
    adm = actor("admin")
    a, ca = new_enterprise(db)
    add_penalty(db, a, ca, fine=15)
    warning.recompute()
    assert listed(a)
    with pytest.raises(PermissionDenied):
        warning.save_rules(
            actor("approver"), fine_wan=20, categories="", count=3, months=12, results=["立案查处"], revoked=True
        )
    with pytest.raises(ValidationError):
        warning.save_rules(adm, fine_wan=20, categories="", count=3, months=12, results=["没有的结果"], revoked=True)
    res = warning.save_rules(adm, fine_wan=20, categories="", count=3, months=12, results=["立案查处"], revoked=True)
    assert res["lifted"] >= 1 and listed(a) is None
    r = warning.current_rules()
    assert r.fine_wan == 20 and r.categories == ()
    # back to 10: auto-lifted records list the enterprise again
    warning.save_rules(
        adm, fine_wan=10, categories="吊销,责令停产停业", count=3, months=12, results=["立案查处"], revoked=True
    )
    assert listed(a)
    # the rules have one place: the generic settings refuse them (issue 16.19)
    from sgld.services import org

    with pytest.raises(ValidationError, match="协同处理与警示规则"):
        org.set_setting(adm, "warning_fine_wan", "30")
    assert "warning_fine_wan" not in {s["key"] for s in org.list_settings(adm)}
    assert listed(a)


def test_lift_and_relist(db):
    ap = actor("approver")
    a, ca = new_enterprise(db)
    add_penalty(db, a, ca, fine=12)
    warning.recompute()
    entry = listed(a)["entry_id"]
    before = db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(ValidationError, match="解除原因"):
        warning.lift(ap, entry, "  ")
    with pytest.raises(PermissionDenied):
        warning.lift(actor("supervisor"), entry, "理由")
    with pytest.raises(PermissionDenied):
        warning.lift(actor("leader"), entry, "理由")
    assert listed(a) and db.scalar("SELECT count(*) FROM audit_log") == before
    warning.lift(ap, entry, "已缴清罚款并整改到位")
    assert listed(a) is None
    with pytest.raises(StateError, match="不能重复解除"):
        warning.lift(ap, entry, "again")
    warning.recompute()  # the same records do not list it again
    assert listed(a) is None
    add_penalty(db, a, ca, fine=0.2, category="罚款；责令停产停业")  # a new qualifying record
    warning.recompute()
    again = listed(a)
    assert again and again["entry_id"] != entry
    hist = warning.entry_detail(ap, again["entry_id"])["history"]
    assert [h["status"] for h in hist] == ["在列", "已解除"]
    lifted = warning.list_entries(ap, status="已解除")
    assert entry in lifted["entry_id"].tolist()


def test_manual_listing(db):
    ap = actor("approver")
    a, ca = new_enterprise(db)
    with pytest.raises(ValidationError, match="列入原因"):
        warning.add_manual(ap, ca, "")
    with pytest.raises(PermissionDenied):
        warning.add_manual(actor("supervisor"), ca, "原因")
    wid = warning.add_manual(ap, ca, "多次被投诉")
    s = listed(a)
    assert s["entry_id"] == wid and s["manual"] and "多次被投诉" in s["reasons"]
    with pytest.raises(StateError, match="无需重复列入"):
        warning.add_manual(ap, a, "again")
    warning.recompute()  # a manual entry is not lifted by the rules
    assert listed(a)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'list_manual' AND object_id = ?", [str(wid)]) == 1


def test_flags_export_and_profile(db):
    from openpyxl import load_workbook

    from sgld.services import profile

    ap = actor("approver")
    a, ca = new_enterprise(db)
    add_penalty(db, a, ca, fine=100)
    warning.recompute()
    assert ca in warning.status_for_uscc([ca, "not a code"])
    wb = load_workbook(io.BytesIO(warning.export_xlsx(ap)))
    assert wb.sheetnames == ["警示名单", "列入依据"]
    names = [c.value for c in wb["警示名单"]["A"]]
    assert "南通测试警示企业" in "".join(str(n) for n in names)
    p = profile.profile(ap, a)
    assert any(f["label"] == "警示名单" and f["level"] == "error" for f in p["flags"])
    assert any(e["kind"] == "警示" for e in p["timeline"])
    with pytest.raises(PermissionDenied):
        warning.list_entries(actor("supervisor"))


def test_demo_has_lifted_and_manual_entries(db):
    rows = dict(db.all("SELECT CASE WHEN manual THEN 'manual' ELSE status END, count(*) FROM warning_entry GROUP BY 1"))
    assert rows.get("manual", 0) >= 1 and rows.get("已解除", 0) >= 1 and rows.get("在列", 0) >= 1


def test_incremental_matches_full(db):
    warning.recompute(full=True)
    a, ca = new_enterprise(db)
    b, cb = new_enterprise(db)
    add_penalty(db, a, ca, fine=11)
    for d in (5, 50, 150):
        add_penalty(db, b, cb, days_ago=d)
    res = warning.recompute()
    assert res["mode"] == "incremental" and res["listed"] == 2
    assert warning.recompute(full=True) == {"listed": 0, "lifted": 0, "hits_added": 0, "mode": "full"}
    # hits carry a readable detail of their record
    details = [
        r[0]
        for r in db.all(
            "SELECT h.detail FROM warning_hit h JOIN warning_entry w ON w.id = h.entry_id WHERE w.enterprise_id = ?",
            [a],
        )
    ]
    assert details and all(d and "行政处罚" in d and "罚款 11 万元" in d for d in details)


def test_demo_revoked_licences_are_on_the_list(db):
    revoked = {r[0] for r in db.all("SELECT DISTINCT enterprise_id FROM licence WHERE status IN ('已撤销', '已吊销')")}
    hit = {
        r[0]
        for r in db.all(
            "SELECT DISTINCT w.enterprise_id FROM warning_hit h"
            " JOIN warning_entry w ON w.id = h.entry_id WHERE h.rule = 'revoked'"
        )
    }
    assert revoked and revoked == hit
