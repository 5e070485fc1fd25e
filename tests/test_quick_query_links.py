"""快速查询 links end to end (AppTest, demo database): for every kind of hit,
opening the hit's page with the hit's query parameters shows that record;
a supervisor who edits the URL to another department's record gets a
Chinese refusal instead of the record."""

from __future__ import annotations

import pytest

from db.connection import get_db
from sgld.services import quick_query as qq
from tests.apptest_util import login, page_source
from tests.conftest import actor


def open_hit(hit: qq.Hit, username: str) -> str:
    """Log in through app.py (pages' links need the navigation) and follow the link."""
    at = login(username)
    for k, v in hit.params.items():
        at.query_params[k] = v
    at.switch_page(hit.page).run()
    assert not at.exception, at.exception
    return page_source(at)


def first_hit(username: str, kind: str, text: str) -> qq.Hit:
    groups = {g.kind: g for g in qq.search(actor(username), text)}
    assert kind in groups, (text, list(groups))
    return groups[kind].hits[0]


def _sample(sql: str, params=None):
    value = get_db().scalar(sql, params)
    assert value, sql
    return value


SUP_DEPT = "SELECT department_id FROM app_user WHERE username = 'supervisor'"


@pytest.mark.parametrize("username", ["leader", "supervisor"])
def test_case_licence_project_links_open_the_record(db, username):
    dept = _sample(SUP_DEPT) if username == "supervisor" else None
    scope = " AND c.id IN (SELECT case_id FROM push WHERE department_id = ?)" if dept else ""
    p = [dept] if dept else []
    case_no = _sample("SELECT c.case_no FROM approval_case c WHERE TRUE" + scope + " ORDER BY c.id LIMIT 1", p)
    lic_no = _sample(
        "SELECT l.licence_no FROM licence l JOIN approval_case c ON c.id = l.case_id"
        " WHERE TRUE" + scope + " ORDER BY l.id LIMIT 1",
        p,
    )
    project = _sample("SELECT c.project_no FROM approval_case c WHERE TRUE" + scope + " ORDER BY c.id LIMIT 1", p)
    for kind, text in (("case", case_no), ("licence", lic_no), ("project", project)):
        hit = first_hit(username, kind, text)
        assert hit.page == qq.PAGE_PUSH
        src = open_hit(hit, username)
        assert text in src, (kind, text)
        assert "无权" not in src and "没有权限" not in src


def test_enterprise_and_penalty_links_open_the_record(db):
    name, code = get_db().one(
        "SELECT e.name, e.uscc FROM enterprise e JOIN penalty p ON p.enterprise_id = e.id ORDER BY p.id LIMIT 1"
    )
    hit = first_hit("leader", "enterprise", code)
    assert hit.page == qq.PAGE_PROFILE
    assert name in open_hit(hit, "leader")
    no = _sample("SELECT decision_no FROM penalty ORDER BY id LIMIT 1")
    hit = first_hit("leader", "penalty", no)
    assert hit.page == qq.PAGE_SUPERVISE
    assert f"行政处罚 {no}" in open_hit(hit, "leader")


def test_revocation_review_and_liaison_links_open_the_record(db):
    no = _sample("SELECT request_no FROM revocation_request ORDER BY id LIMIT 1")
    hit = first_hit("leader", "revocation", no)
    assert no in open_hit(hit, "leader")
    review_no = _sample("SELECT review_no FROM special_review ORDER BY id LIMIT 1")
    hit = first_hit("leader", "review", review_no)
    assert review_no in open_hit(hit, "leader")
    from sgld.services import liaison

    li = actor("liaison")
    mine = liaison.list_letters(li)
    assert mine  # the demo gives the liaison account letters
    target = sorted(mine, key=lambda r: r["id"])[-1]
    hit = first_hit("liaison", "liaison", target["letter_no"])
    src = open_hit(hit, "liaison")
    assert target["title"] in src


def test_supervisor_cannot_open_other_departments_records_by_url(db):
    dept = _sample(SUP_DEPT)
    case_id, lic_id, project = get_db().one(
        "SELECT c.id, l.id, c.project_no FROM approval_case c JOIN licence l ON l.case_id = c.id"
        " WHERE c.id NOT IN (SELECT case_id FROM push WHERE department_id = ?"
        "   UNION ALL SELECT case_id FROM claim WHERE department_id = ?)"
        " AND c.project_no NOT IN (SELECT c2.project_no FROM approval_case c2 WHERE c2.id IN"
        "   (SELECT case_id FROM push WHERE department_id = ?"
        "    UNION ALL SELECT case_id FROM claim WHERE department_id = ?))"
        " ORDER BY c.id LIMIT 1",
        [dept] * 4,
    )
    case_no = _sample("SELECT case_no FROM approval_case WHERE id = ?", [case_id])
    for params in ({"case": str(case_id)}, {"licence": str(lic_id)}, {"project": project}):
        src = open_hit(qq.Hit("", "", qq.PAGE_PUSH, params, ""), "supervisor")
        assert "权" in src, params  # a Chinese refusal (无权 / 没有权限)
        assert case_no not in src, params


def test_hits_offer_only_what_opens(db):
    """Issue 16.12: a supervisor's hits link only what opens for them: the
    record by its detail view's rule, the enterprise profile by the profile's."""
    from sgld.services import profile, push_query

    sup = actor("supervisor")
    dept = sup.department_id
    # a case pushed to the supervisor whose enterprise the department does not
    # (or no longer) supervise: its items are taken from the department
    case_no, eid = db.one(
        "SELECT c.case_no, c.enterprise_id FROM approval_case c"
        " JOIN push p ON p.case_id = c.id AND p.department_id = ?"
        " ORDER BY c.id LIMIT 1",
        [dept],
    )
    db.write(
        lambda cur: (
            cur.execute(
                "DELETE FROM item_department WHERE department_id = ? AND item_id IN"
                " (SELECT item_id FROM approval_case WHERE enterprise_id = ?"
                "  UNION SELECT item_id FROM licence WHERE enterprise_id = ?)",
                [dept, eid, eid],
            ),
            cur.execute("DELETE FROM inspection WHERE department_id = ? AND enterprise_id = ?", [dept, eid]),
        )
    )
    hit = first_hit("supervisor", "case", case_no)
    assert hit.may_open and not hit.profile_open
    assert not profile.can_view(sup, eid)
    # and every hit of a broad query agrees with the detail views
    for g in qq.search(sup, case_no[:4]):
        for h in g.hits:
            if g.kind == "case":
                push_query.case_detail(sup, int(h.params["case"]))  # opens: no refusal
            if h.profile:
                assert h.profile_open == profile.can_view(sup, int(h.profile["enterprise"]))
    # the landing page: the case opens, the (refused) profile is not offered
    at = login("supervisor")
    at.text_input(key="qq_text").input(case_no).run()
    assert not at.exception, at.exception
    labels = [p.proto.label for p in at.get("page_link") if p.proto.query_string]
    assert "办件档案" in labels and "企业画像" not in labels, labels


@pytest.mark.parametrize("who", ["supervisor", "supervisor2", "liaison", "leader"])
def test_batched_scope_checks_agree_with_the_single_ones(db, who):
    """The quick query checks its hits in one query per source; the answer
    is the detail views' own rule for each of them."""
    from sgld.services import profile, push

    a = actor(who)
    eids = [r[0] for r in db.all("SELECT id FROM enterprise ORDER BY id LIMIT 60")]
    assert profile.viewable(a, eids) == {e for e in eids if profile.can_view(a, e)}
    case_ids = [r[0] for r in db.all("SELECT id FROM approval_case ORDER BY id LIMIT 80")]
    with db.cursor() as cur:
        expected = {c for c in case_ids if push.case_in_scope(cur, a, c)}
        assert push.cases_in_scope(cur, a, case_ids) == expected
    if who.startswith("supervisor"):
        assert 0 < len(expected) < len(case_ids)
