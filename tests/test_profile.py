"""Enterprise profile: scope per role, timeline content and order, providers."""

from datetime import date, datetime, timedelta

import pytest

from sgld import clock
from sgld.errors import NotFound, PermissionDenied
from sgld.services import inspection, profile


def _record(actor, code):
    return inspection.record(
        actor,
        uscc_code=code,
        entity_name=None,
        inspected_at=clock.now() - timedelta(minutes=5),
        place="现场",
        result="责令整改",
        findings="台账缺失",
        inspectors="张三",
    )


def test_profile_shows_inspection_beside_penalties(db, as_user):
    sup = as_user("supervisor")
    eid, code = db.one(
        "SELECT enterprise_id, uscc FROM penalty WHERE source = '行权系统' ORDER BY decision_date DESC LIMIT 1"
    )
    iid = _record(sup, code)
    data = profile.profile(sup, eid)
    assert data["enterprise"]["uscc"] == code
    kinds = [e["kind"] for e in data["timeline"]]
    assert "检查" in kinds and "处罚" in kinds
    assert data["counts"]["penalties"] == db.scalar("SELECT count(*) FROM penalty WHERE enterprise_id = ?", [eid])
    # the newest inspection is the one just recorded (a warning listed while
    # the demo data was built, seconds ago, may come before it)
    first = next(e for e in data["timeline"] if e["kind"] == "检查")
    assert first["link"]["params"] == {"inspection": str(iid)}
    pen = next(e for e in data["timeline"] if e["kind"] == "处罚")
    assert pen["link"]["page"] == "pages/2_监管录入.py" and "penalty" in pen["link"]["params"]
    keys = [profile._sort_key(e) for e in data["timeline"]]
    assert keys == sorted(keys, reverse=True)


def test_profile_includes_push_records(db, as_user):
    eid = db.scalar(
        "SELECT c.enterprise_id FROM push p JOIN approval_case c ON c.id = p.case_id WHERE p.status = '已签收' LIMIT 1"
    )
    data = profile.profile(as_user("leader"), eid)
    kinds = {e["kind"] for e in data["timeline"]}
    assert {"办件", "推送"} <= kinds
    assert data["counts"]["cases"] >= 1 and data["counts"]["pushes"] >= 1


def test_supervisor_scope(db, as_user):
    sup = as_user("supervisor")
    scope, params = profile.scope_sql(sup.department_id)
    outside = db.scalar(f"SELECT id FROM enterprise WHERE id NOT IN ({scope}) ORDER BY id LIMIT 1", params)
    assert outside is not None
    with pytest.raises(PermissionDenied):
        profile.profile(sup, outside)
    assert outside not in {
        h["id"] for h in profile.search(sup, db.scalar("SELECT name FROM enterprise WHERE id = ?", [outside]))
    }
    # approvers and leaders see every enterprise
    for who in ("leader", "approver", "admin"):
        assert profile.profile(as_user(who), outside)["enterprise"]["id"] == outside
    # inspecting it brings it into the department's scope
    _record(sup, db.scalar("SELECT uscc FROM enterprise WHERE id = ?", [outside]))
    mine = [r for r in profile.profile(sup, outside)["inspections"] if r["department"] == sup.department_name]
    assert len(mine) == 1
    with pytest.raises(PermissionDenied):
        profile.profile(as_user("liaison"), outside)
    with pytest.raises(NotFound):
        profile.profile(as_user("leader"), 10**9)


def test_supervised_items_are_in_scope(db, as_user):
    sup = as_user("supervisor")
    eid = db.scalar(
        "SELECT c.enterprise_id FROM approval_case c JOIN item_department x ON x.item_id = c.item_id"
        " WHERE x.department_id = ? AND c.enterprise_id NOT IN"
        " (SELECT enterprise_id FROM inspection WHERE department_id = ?) LIMIT 1",
        [sup.department_id, sup.department_id],
    )
    assert profile.can_view(sup, eid)
    assert profile.profile(sup, eid)["counts"]["cases"] >= 1


def test_search_by_name_or_code(db, as_user):
    leader = as_user("leader")
    eid, code, name = db.one("SELECT id, uscc, name FROM enterprise ORDER BY id LIMIT 1")
    assert profile.search(leader, code.lower())[0]["id"] == eid
    assert eid in {h["id"] for h in profile.search(leader, name[2:6])}
    assert profile.search(leader, "  ") == []


def test_other_features_add_events_and_flags(db, as_user, monkeypatch):
    leader = as_user("leader")
    eid = db.scalar("SELECT enterprise_id FROM penalty LIMIT 1")
    future = clock.now() + timedelta(days=1)

    def providers(name):
        if name == "profile_events":
            yield (
                "revocation",
                lambda a, e: [
                    {
                        "at": future,
                        "kind": "协同处理",
                        "title": "提请撤销许可",
                        "detail": "",
                        "status": "已提交",
                        "link": None,
                    }
                ],
            )
            yield "broken", lambda a, e: 1 / 0
        else:
            yield "warning", lambda a, e: [{"label": "警示名单", "text": "因行政处罚列入", "level": "error"}]

    monkeypatch.setattr(profile, "_providers", providers)
    data = profile.profile(leader, eid)
    assert data["timeline"][0]["kind"] == "协同处理"
    assert data["flags"][0]["label"] == "警示名单"


def test_sort_key_handles_dates_and_missing():
    events = [{"at": None}, {"at": date(2025, 1, 2)}, {"at": datetime(2025, 1, 2, 8)}, {"at": date(2025, 1, 3)}]
    ordered = sorted(events, key=profile._sort_key, reverse=True)
    assert ordered[0]["at"] == date(2025, 1, 3) and ordered[-1]["at"] is None


def test_pushes_and_inspections_match_the_joined_queries(db, as_user):
    """The profile looks pushes up by case id and inspections by the index,
    adding names afterwards: the rows equal those of the plain joins."""
    eid = db.scalar(
        "SELECT c.enterprise_id FROM push p JOIN approval_case c ON c.id = p.case_id"
        " WHERE p.signed_by IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    )
    data = profile.profile(as_user("leader"), eid)
    want = db.all(
        "SELECT p.id, c.case_no, d.name, u.display_name FROM push p JOIN approval_case c ON c.id = p.case_id"
        " LEFT JOIN department d ON d.id = p.department_id"
        " LEFT JOIN app_user u ON p.signed_by = u.id WHERE c.enterprise_id = ?",
        [eid],
    )
    got = {(r["id"], r["case_no"], r["department"], r["signer"]) for r in data["pushes"]}
    assert got == set(want) and len(data["pushes"]) == len(want)
    assert any(r["signer"] for r in data["pushes"])
    times = [r["pushed_at"] for r in data["pushes"]]
    assert times == sorted(times, reverse=True)
    # an inspection with evidence files shows their number
    iid, ieid = db.one(
        "SELECT n.id, n.enterprise_id FROM inspection n WHERE EXISTS (SELECT 1 FROM attachment a"
        " WHERE a.owner_type = 'inspection' AND a.owner_id = CAST(n.id AS VARCHAR)) LIMIT 1"
    )
    rows = {r["id"]: r for r in profile.profile(as_user("leader"), ieid)["inspections"]}
    n_files = db.scalar("SELECT count(*) FROM attachment WHERE owner_type = 'inspection' AND owner_id = ?", [str(iid)])
    assert rows[iid]["files"] == n_files >= 1
    assert rows[iid]["department"] == db.scalar(
        "SELECT d.name FROM inspection n JOIN department d ON d.id = n.department_id WHERE n.id = ?", [iid]
    )


def _opens(actor, link) -> bool:
    """Does the record's own detail view open for ``actor``?"""
    from sgld.services import penalty, push_query

    kind, value = next(iter(link["params"].items()))
    fn = {
        "case": push_query.case_detail,
        "licence": push_query.licence_detail,
        "inspection": inspection.get,
        "penalty": penalty.get_penalty,
    }.get(kind)
    if fn is None:
        return True
    try:
        fn(actor, int(value))
        return True
    except PermissionDenied:
        return False


def test_timeline_offers_only_what_opens(db, as_user):
    """Issue 16.12: each event says whether the actor may open it, by the
    detail view's own rule; other departments' records say why not."""
    sup, other = as_user("supervisor"), as_user("supervisor2")
    # an enterprise the supervisor may see, with a case that is not theirs
    eid, code = db.one(
        "SELECT e.id, e.uscc FROM enterprise e JOIN approval_case c ON c.enterprise_id = e.id"
        " WHERE NOT EXISTS (SELECT 1 FROM push p WHERE p.case_id = c.id AND p.department_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM claim p WHERE p.case_id = c.id AND p.department_id = ?)"
        " ORDER BY e.id LIMIT 1",
        [sup.department_id, sup.department_id],
    )
    _record(sup, code)
    theirs = _record(other, code)
    data = profile.profile(sup, eid)
    linked = [e for e in data["timeline"] if e.get("link")]
    assert linked
    for e in linked:
        assert e["may_open"] == _opens(sup, e["link"]), e
    closed = [e for e in linked if not e["may_open"]]
    assert {e["why_not"] for e in closed} >= {"非本部门办件", "非本部门检查记录"}
    mine = next(e for e in closed if e["link"]["params"] == {"inspection": str(theirs)})
    assert mine["why_not"] == "非本部门检查记录"
    # an approver opens everything
    assert all(e["may_open"] for e in profile.profile(as_user("approver"), eid)["timeline"])
    # the page: no 查看 for the closed events, their reason instead
    from tests.apptest_util import login, page_source

    at = login("supervisor")
    at.query_params["enterprise"] = str(eid)
    at.switch_page("pages/5_企业画像.py").run()
    assert not at.exception, [x.value for x in at.exception]
    links = [p.proto for p in at.get("page_link") if p.proto.label == "查看"]
    assert len(links) == sum(
        1
        for e in linked
        if e["may_open"]
        and e["link"]["page"]
        in ("pages/1_审批推送.py", "pages/2_监管录入.py", "pages/5_企业画像.py", "pages/3_专项审查.py")
    )
    assert "非本部门办件" in page_source(at) and "非本部门检查记录" in page_source(at)
