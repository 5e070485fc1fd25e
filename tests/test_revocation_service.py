"""协同处理 services: filing, withdrawal, verification, both decisions,
permissions, bad input, concurrent decisions, re-push and reminders."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from sgld import clock, workdays
from sgld.documents import text_of
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.services import push, warning
from sgld.services import revocation as rv
from tests.conftest import actor

FACTS = "经立案调查，该企业超标排放且拒不改正，已不具备许可条件。"
BASIS = "《中华人民共和国行政许可法》第六十九条"


def walk_licence(db, prefix: str = "HB002XT") -> int:
    """The walkthrough enterprise's 排污许可 (HB-002) or 食品经营许可 (SC001XT…)."""
    return db.scalar(
        "SELECT l.id FROM licence l JOIN enterprise e ON e.id = l.enterprise_id"
        " WHERE e.name = '南通濠河示范环保科技有限公司' AND l.licence_no LIKE ?",
        [prefix + "%"],
    )


def counts(db) -> tuple:
    return (
        db.scalar("SELECT count(*) FROM revocation_request"),
        db.scalar("SELECT count(*) FROM revocation_evidence"),
        db.scalar("SELECT count(*) FROM attachment"),
        db.scalar("SELECT count(*) FROM audit_log"),
    )


def file(db, who="supervisor", lic=None, **kw) -> int:
    args = {
        "licence_id": lic or walk_licence(db),
        "requested_action": "吊销许可证",
        "facts": FACTS,
        "legal_basis": BASIS,
    } | kw
    return rv.file_request(actor(who), **args)


def test_revoke_flow_changes_licence_repushes_and_lists(db):
    sup, ap = actor("supervisor"), actor("approver")
    lic = walk_licence(db)
    eid = db.scalar("SELECT enterprise_id FROM licence WHERE id = ?", [lic])
    pen = db.scalar("SELECT id FROM penalty LIMIT 1")
    rid = file(db, files=[("现场照片.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)])
    r = rv.get_request(sup, rid)["request"]
    assert r["status"] == "已提交" and r["department_id"] == sup.department_id
    assert r["deadline"] == workdays.add_workdays(r["filed_at"], 20)
    assert r["category"] == "生态环境"
    # 李经办 handles 生态环境: it is his to-do, not 赵窗口's
    assert rid in rv.list_requests(ap, todo=True)["request_id"].tolist()
    assert rid not in rv.list_requests(actor("approver2"), todo=True)["request_id"].tolist()
    with pytest.raises(PermissionDenied, match="生态环境"):
        rv.decide(actor("approver2"), rid, revoke=True, reason="x", notes="y")
    rv.start_verification(ap, rid)
    with pytest.raises(StateError, match="开始核实"):
        rv.withdraw(sup, rid)
    res = rv.decide(ap, rid, revoke=True, reason="超标排放拒不改正", notes="现场核查属实")
    assert res["status"] == "已撤销" and res["licence_status"] == "已吊销"
    assert db.scalar("SELECT status FROM licence WHERE id = ?", [lic]) == "已吊销"
    ev = db.one(
        "SELECT from_status, to_status, ref FROM licence_event WHERE licence_id = ? ORDER BY id DESC LIMIT 1", [lic]
    )
    assert ev == ("有效", "已吊销", r["request_no"])
    # re-pushed to the item's department (生态环境局) and the requesting one (市场监管局)
    pushes = db.all(
        "SELECT d.name, p.status, p.reason FROM push p JOIN department d ON d.id = p.department_id"
        " WHERE p.id IN (" + ",".join(map(str, res["pushes"]["push"])) + ") ORDER BY d.name"
    )
    assert {p[0] for p in pushes} == {"生态环境局", "市场监管局"}
    assert all(p[1] == "待签收" and r["request_no"] in p[2] for p in pushes)
    sup2 = actor("supervisor2")
    mine = [
        p
        for p in res["pushes"]["push"]
        if db.scalar("SELECT department_id FROM push WHERE id = ?", [p]) == sup2.department_id
    ]
    assert push.sign_pushes(sup2, mine)["signed"] == 1
    # the warning list: revoked licence
    s = warning.status_for([eid])[eid]
    assert "证照被撤销或吊销" in s["reasons"]
    assert (
        db.scalar(
            "SELECT count(*) FROM audit_log WHERE object_type = 'revocation_request'"
            " AND object_id = ? AND action = 'decide'",
            [str(rid)],
        )
        == 1
    )
    with pytest.raises(StateError, match="不能重复决定"):
        rv.decide(ap, rid, revoke=False, reason="x", notes="y")
    assert pen is not None


def test_refuse_flow_explanation_docx_and_sign(db):
    sup, ap = actor("supervisor"), actor("approver")
    lic = walk_licence(db)
    before = rv.to_sign_count(sup)
    rid = file(db)
    res = rv.decide(
        ap, rid, revoke=False, reason="企业已完成整改，仍具备许可条件。", notes="会同生态环境局现场核查，排放已达标。"
    )
    assert res["status"] == "不予撤销"
    assert db.scalar("SELECT status FROM licence WHERE id = ?", [lic]) == "有效"
    meta, data = rv.explanation(sup, rid)
    assert meta["file_name"].endswith(".docx")
    text = text_of(data)
    assert "企业已完成整改，仍具备许可条件。" in text and "排放已达标" in text
    assert "市场监管局" in text and "书面说明" in text and "不予吊销许可证" in text
    assert rv.to_sign_count(sup) == before + 1
    assert {r.kind: r.count for r in rv.reminders(sup)}["explanation_to_sign"] == before + 1
    with pytest.raises(PermissionDenied):
        rv.sign_explanation(actor("supervisor2"), rid)
    with pytest.raises(PermissionDenied):
        rv.explanation(actor("supervisor2"), rid)
    at = rv.sign_explanation(sup, rid)
    r = rv.get_request(sup, rid)["request"]
    assert r["explanation_signed_by"] == sup.user_id and r["explanation_signed_at"] == at
    with pytest.raises(StateError, match="不能重复签收"):
        rv.sign_explanation(sup, rid)
    assert rv.to_sign_count(sup) == before


def test_withdraw(db):
    sup = actor("supervisor")
    rid = file(db)
    with pytest.raises(PermissionDenied):
        rv.withdraw(actor("supervisor2"), rid)
    rv.withdraw(sup, rid, "企业已申请注销")
    assert rv.get_request(sup, rid)["request"]["status"] == "已撤回"
    with pytest.raises(StateError):
        rv.withdraw(sup, rid)
    with pytest.raises(StateError, match="撤回"):
        rv.decide(actor("approver"), rid, revoke=True, reason="x", notes="y")
    # a withdrawn request no longer blocks a new one on the same licence
    assert file(db) != rid


@pytest.mark.parametrize(
    "change, message",
    [
        ({"facts": "  "}, "事实与理由"),
        ({"legal_basis": ""}, "法律依据"),
        ({"requested_action": "注销"}, "提请事项"),
        ({"requested_action": "吊销营业执照"}, "不能提请"),
        ({"department_id": -1}, "不能代其他部门"),
        ({"penalty_ids": [10**9]}, "行政处罚"),
        ({"inspection_ids": [10**9]}, "检查记录"),
        ({"files": [("证据.pdf", b"not a pdf")]}, "内容与扩展名不符"),
    ],
)
def test_bad_input_changes_nothing(db, change, message):
    before = counts(db)
    if change.get("department_id") == -1:
        change["department_id"] = actor("supervisor2").department_id
    with pytest.raises((ValidationError, PermissionDenied), match=message):
        file(db, **change)
    assert counts(db) == before


def test_licence_not_valid_or_already_requested(db):
    sup = actor("supervisor")
    revoked = db.scalar(
        "SELECT l.id FROM licence l JOIN revocation_request q ON q.licence_id = l.id"
        " WHERE q.status = '已撤销' AND q.department_id = ? LIMIT 1",
        [sup.department_id],
    )
    with pytest.raises(ValidationError, match="已撤销|已吊销"):
        file(db, lic=revoked, requested_action="撤销许可决定")
    lic = walk_licence(db, "SC001XT")
    with db.transaction() as cur:
        cur.execute("UPDATE licence SET valid_until = ? WHERE id = ?", [clock.today() - timedelta(days=1), lic])
    with pytest.raises(ValidationError, match="已过期"):
        file(db, lic=lic)
    file(db)
    with pytest.raises(ValidationError, match="正在办理"):
        file(db)


def test_enterprise_outside_department_scope(db):
    # an enterprise only 住建局 supervises (building permit), never inspected by 市场监管局
    lic = db.scalar(
        "SELECT l.id FROM licence l JOIN item i ON i.id = l.item_id WHERE i.code = 'TZ-001'"
        " AND l.status = '有效' AND l.enterprise_id NOT IN (SELECT enterprise_id FROM inspection"
        "  WHERE department_id = ?) AND l.enterprise_id NOT IN (SELECT l2.enterprise_id FROM licence l2"
        "  JOIN item_department x ON x.item_id = l2.item_id WHERE x.department_id = ?) LIMIT 1",
        [actor("supervisor").department_id] * 2,
    )
    assert lic is not None
    with pytest.raises(PermissionDenied, match="本部门监管"):
        file(db, lic=lic, requested_action="撤销许可决定")


def test_permissions(db):
    lic = walk_licence(db)
    with pytest.raises(PermissionDenied):
        rv.file_request(
            actor("approver"), licence_id=lic, requested_action="吊销许可证", facts=FACTS, legal_basis=BASIS
        )
    with pytest.raises(PermissionDenied, match="只读"):
        rv.file_request(actor("leader"), licence_id=lic, requested_action="吊销许可证", facts=FACTS, legal_basis=BASIS)
    rid = file(db)
    for who in ("supervisor", "leader", "admin"):
        with pytest.raises(PermissionDenied):
            rv.decide(actor(who), rid, revoke=True, reason="x", notes="y")
    with pytest.raises(PermissionDenied):
        rv.get_request(actor("supervisor2"), rid)
    assert rid not in rv.list_requests(actor("supervisor2"))["request_id"].tolist()
    assert rid in rv.list_requests(actor("leader"))["request_id"].tolist()
    d = rv.get_request(actor("leader"), rid)
    assert not (d["can_decide"] or d["can_verify"] or d["can_withdraw"])
    with pytest.raises(PermissionDenied):
        rv.set_user_categories(actor("approver"), actor("approver").user_id, ["市场准入"])


def test_decision_needs_notes_and_reason(db):
    rid = file(db)
    ap = actor("approver")
    with pytest.raises(ValidationError, match="核实情况"):
        rv.decide(ap, rid, revoke=True, reason="理由")
    with pytest.raises(ValidationError, match="理由"):
        rv.decide(ap, rid, revoke=False, reason="", notes="核实")
    assert rv.get_request(ap, rid)["request"]["status"] == "已提交"


def test_concurrent_decisions_exactly_one_wins(db):
    ap, ap2 = actor("approver"), actor("approver2")
    rv.set_user_categories(actor("admin"), ap2.user_id, ["市场准入", "生态环境"])
    rid = file(db)
    barrier = threading.Barrier(2)
    results: dict = {}

    def run(name, a, revoke):
        barrier.wait()
        try:
            results[name] = rv.decide(a, rid, revoke=revoke, reason=f"{name} 的理由", notes="核实")
        except StateError as exc:
            results[name] = exc

    threads = [threading.Thread(target=run, args=("a", ap, True)), threading.Thread(target=run, args=("b", ap2, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [v for v in results.values() if isinstance(v, dict)]
    errors = [v for v in results.values() if isinstance(v, StateError)]
    assert len(wins) == 1 and len(errors) == 1
    assert "不能重复决定" in str(errors[0])
    final = rv.get_request(ap, rid)["request"]
    assert final["status"] == wins[0]["status"]
    lic_status = db.scalar("SELECT status FROM licence WHERE id = ?", [final["licence_id"]])
    assert lic_status == ("已吊销" if final["status"] == "已撤销" else "有效")
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'decide' AND object_id = ?", [str(rid)]) == 1


def test_assignment_fallback_and_reminders(db):
    ap, ap2 = actor("approver"), actor("approver2")
    n_before = rv.todo_counts(ap)[0]
    rid = file(db)
    assert rv.todo_counts(ap)[0] == n_before + 1
    # nobody handles 生态环境 any more: it goes to every approver
    rv.set_user_categories(actor("admin"), ap.user_id, ["投资建设"])
    assert rid in rv.list_requests(ap2, todo=True)["request_id"].tolist()
    assert rid in rv.list_requests(ap, todo=True)["request_id"].tolist()
    with pytest.raises(ValidationError, match="不存在"):
        rv.set_user_categories(actor("admin"), ap.user_id, ["没有这个分类"])
    # reminders match the to-do list, overdue counted after the deadline
    rem = {r.kind: r for r in rv.reminders(ap2)}["revocation_todo"]
    todo = rv.list_requests(ap2, todo=True)
    assert rem.count == len(todo) and rem.page == "push"
    assert rem.overdue == int((todo["时限"] == "已超时").sum()) >= 1  # the demo's overdue one
    clock.freeze(clock.now() + timedelta(days=60))
    assert rv.todo_counts(ap2)[1] == rv.todo_counts(ap2)[0]


def test_deadline_follows_setting(db):
    from sgld.services import org

    org.set_setting(actor("admin"), "revocation_decision_days", "5")
    rid = file(db)
    r = rv.get_request(actor("supervisor"), rid)["request"]
    assert r["deadline"] == workdays.add_workdays(r["filed_at"], 5)


def test_profile_shows_requests(db):
    from sgld.services import profile

    rid = file(db)
    eid = db.scalar("SELECT enterprise_id FROM revocation_request WHERE id = ?", [rid])
    p = profile.profile(actor("supervisor"), eid)
    assert any(e["kind"] == "协同处理" and e["status"] == "已提交" for e in p["timeline"])
    with pytest.raises(NotFound):
        rv.get_request(actor("supervisor"), 10**6)


@pytest.mark.parametrize("bad", [[3.7], ["9" * 30], [float("nan")], "12", [True]])
def test_evidence_ids_that_are_not_record_ids_are_refused(db, bad):
    """Issue 15.6: ids chosen in a multi-select are whole numbers in range;
    3.7 used to become 3 and a 30-digit id reached the database."""
    from sgld.errors import ValidationError
    from sgld.services import revocation as rv
    from tests.conftest import actor

    before = db.scalar("SELECT count(*) FROM revocation_request")
    lic = db.scalar("SELECT id FROM licence WHERE status = '有效' ORDER BY id LIMIT 1")
    with pytest.raises(ValidationError, match="所选检查记录无效"):
        rv.file_request(
            actor("supervisor"),
            licence_id=lic,
            requested_action=rv.ACTIONS[0],
            facts="事实",
            legal_basis="依据",
            inspection_ids=bad,
        )
    assert db.scalar("SELECT count(*) FROM revocation_request") == before


def test_notes_recorded_while_verifying_then_refused(db):
    """核实中: notes are saved (only then), the refusal uses them, and the
    offered actions follow the state."""
    sup, ap = actor("supervisor"), actor("approver")
    rid = file(db)
    d = rv.get_request(ap, rid)
    assert d["can_verify"] and d["can_decide"] and not d["can_withdraw"]
    assert rv.get_request(sup, rid)["can_withdraw"]
    with pytest.raises(StateError, match="只有核实中的申请可以记录核实情况"):
        rv.save_notes(ap, rid, "现场核查")
    rv.start_verification(ap, rid)
    d = rv.get_request(ap, rid)
    assert not d["can_verify"] and d["can_decide"]
    assert not rv.get_request(sup, rid)["can_withdraw"]
    rv.save_notes(ap, rid, "会同生态环境局现场核查，排放已达标。")
    res = rv.decide(ap, rid, revoke=False, reason="企业已完成整改，仍具备许可条件。")
    assert res["status"] == "不予撤销"
    r = rv.get_request(sup, rid)
    assert r["request"]["verification_notes"] == "会同生态环境局现场核查，排放已达标。"
    assert r["can_sign"] and not r["can_withdraw"] and not rv.get_request(ap, rid)["can_decide"]
    with pytest.raises(StateError, match="当前状态为“不予撤销”，只有核实中"):
        rv.save_notes(ap, rid, "补充")
