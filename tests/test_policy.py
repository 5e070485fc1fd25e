"""Data scope (sgld.policy): for each demo account and each kind of record,
which departments' rows the list services return.

ALL: the same departments as the admin's list (more than one); OWN: only
the actor's department; ASSIGNED: only the liaison's own assignments;
DENIED: the service refuses.  Every service reads the scope from
``sgld.policy``; this table is what a change there must keep.
"""

import pytest

from sgld import policy
from sgld.errors import PermissionDenied
from sgld.services import dashboard, inspection, liaison, penalty, revocation
from sgld.services import special_review as sr

ALL, OWN, ASSIGNED, DENIED = "all", "own", "assigned", "denied"

ACCOUNTS = (
    "admin",
    "leader",
    "cityleader",
    "approver",
    "approver2",
    "supervisor",
    "supervisor2",
    "claimer",
    "liaison",
    "liaison2",
)
CITY_WIDE = {
    "admin": ALL,
    "leader": ALL,
    "cityleader": ALL,
    "approver": ALL,
    "approver2": ALL,
    "supervisor": OWN,
    "supervisor2": OWN,
    "claimer": OWN,
}

# kind -> account -> scope
TABLE = {
    "inspection": {**CITY_WIDE, "liaison": DENIED, "liaison2": DENIED},
    "inspection_statistics": {**CITY_WIDE, "liaison": DENIED, "liaison2": DENIED},
    "followup_task": {**CITY_WIDE, "liaison": DENIED, "liaison2": DENIED},
    "penalty": {**CITY_WIDE, "liaison": DENIED, "liaison2": DENIED},
    "revocation_request": {**CITY_WIDE, "liaison": DENIED, "liaison2": DENIED},
    "liaison_roster": {**CITY_WIDE, "liaison": DENIED, "liaison2": DENIED},
    "liaison_letter": {**CITY_WIDE, "liaison": ASSIGNED, "liaison2": ASSIGNED},
    "rectification": {**CITY_WIDE, "liaison": ASSIGNED, "liaison2": ASSIGNED},
    "special_review": {**CITY_WIDE, "liaison": OWN, "liaison2": OWN},
    "dashboard": {**CITY_WIDE, "liaison": DENIED, "liaison2": DENIED},
}


def _ids(db) -> dict[str, int]:
    return dict(db.all("SELECT name, id FROM department"))


def _by_name(db, names) -> list[frozenset]:
    ids = _ids(db)
    return [frozenset({ids[n]}) for n in names]


def _enterprise_scope(db, dept: int) -> set[int]:
    """The enterprises a department supervises or has inspected, spelled out here."""
    return {
        r[0]
        for r in db.all(
            "SELECT enterprise_id FROM inspection WHERE department_id = ?"
            " UNION SELECT c.enterprise_id FROM approval_case c JOIN item_department x"
            "  ON x.item_id = c.item_id WHERE x.department_id = ?"
            " UNION SELECT l.enterprise_id FROM licence l JOIN item_department x"
            "  ON x.item_id = l.item_id WHERE x.department_id = ?",
            [dept] * 3,
        )
    }


# kind -> fn(db, actor) -> one (departments, owner user id or None) per row
def _inspection(db, a):
    return [(d, None) for d in _by_name(db, inspection.list_inspections(a)["检查部门"])]


def _inspection_statistics(db, a):
    return [(d, None) for d in _by_name(db, inspection.statistics(a)["部门"])]


def _followup_task(db, a):
    return [(d, None) for d in _by_name(db, inspection.followup_tasks(a)["监管部门"])]


def _revocation_request(db, a):
    return [(d, None) for d in _by_name(db, revocation.list_requests(a)["提请部门"])]


def _liaison_roster(db, a):
    return [(frozenset({r["department_id"]}), None) for r in liaison.list_roster(a)]


def _liaison_letter(db, a):
    return [(frozenset({r["department_id"]}), r["liaison_user_id"]) for r in liaison.list_letters(a)]


def _rectification(db, a):
    return [(frozenset({r["department_id"]}), r["liaison_user_id"]) for r in liaison.list_rectifications(a)]


def _special_review(db, a):
    return [(frozenset(r["department_ids"]), None) for r in sr.list_reviews(a)]


def _penalty(db, a):
    """A penalty's 'departments': those whose enterprise scope holds it."""
    ids = [int(i) for i in penalty.list_penalties(a, limit=100_000)["编号"]]
    ent = dict(db.all("SELECT id, enterprise_id FROM penalty"))
    scopes = {d: _enterprise_scope(db, d) for d in _ids(db).values()}
    return [(frozenset(d for d, s in scopes.items() if ent[i] in s), None) for i in ids]


def _dashboard(db, a):
    """The figures' department: None (the whole city) or the actor's own,
    also when another one is asked for."""
    other = max(_ids(db).values())
    dept = dashboard.scope_department(a, None)
    assert dashboard.scope_department(a, other) == (other if dept is None else dept)
    return [(frozenset({dept}) if dept else frozenset(_ids(db).values()), None)]


READ = {
    "inspection": _inspection,
    "inspection_statistics": _inspection_statistics,
    "followup_task": _followup_task,
    "penalty": _penalty,
    "revocation_request": _revocation_request,
    "liaison_roster": _liaison_roster,
    "liaison_letter": _liaison_letter,
    "rectification": _rectification,
    "special_review": _special_review,
    "dashboard": _dashboard,
}


def test_every_kind_has_a_reader_and_every_account_a_row():
    assert set(READ) == set(TABLE)
    for row in TABLE.values():
        assert set(row) == set(ACCOUNTS)


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_scope_by_role_and_kind(db, as_user, kind):
    read = READ[kind]
    everything = read(db, as_user("admin"))
    all_depts = frozenset().union(*(d for d, _ in everything))
    assert len(all_depts) > 1, kind
    for name in ACCOUNTS:
        actor = as_user(name)
        scope = TABLE[kind][name]
        if scope == DENIED:
            with pytest.raises(PermissionDenied):
                read(db, actor)
            continue
        rows = read(db, actor)
        depts = frozenset().union(*(d for d, _ in rows))
        if scope == ALL:
            assert depts == all_depts, (kind, name)
        elif kind == "special_review" or kind == "penalty":
            # a record of several departments: the actor's is one of them
            assert all(actor.department_id in d for d, _ in rows), (kind, name)
        else:
            assert depts <= {actor.department_id}, (kind, name, depts)
        if scope == ASSIGNED:
            assert all(owner == actor.user_id for _, owner in rows), (kind, name)
        if name in ("supervisor", "liaison") and kind != "dashboard":
            assert rows, (kind, name)  # the demo data gives them some


@pytest.mark.parametrize("name", ACCOUNTS)
def test_policy_functions_follow_the_roles(as_user, db, name):
    actor = as_user(name)
    city_wide = CITY_WIDE.get(name) == ALL
    assert policy.sees_all_departments(actor) == city_wide
    other = actor.department_id + 1
    assert policy.can_see_department(actor, actor.department_id)
    assert policy.can_see_department(actor, other) == city_wide
    assert policy.scope_department(actor, other) == (other if city_wide else actor.department_id)
    assert policy.scope_department(actor) == (None if city_wide else actor.department_id)
    sql, params = policy.department_sql(actor, "t.department_id", prefix=" WHERE ")
    assert (sql, params) == (("", []) if city_wide else (" WHERE t.department_id = ?", [actor.department_id]))
    sql, params = policy.enterprise_filter(actor, "p.enterprise_id")
    if city_wide:
        assert (sql, params) == ("", [])
    else:
        seen = {r[0] for r in db.all(f"SELECT p.enterprise_id FROM penalty p WHERE TRUE{sql}", params)}
        every = {r[0] for r in db.all("SELECT enterprise_id FROM penalty")}
        assert seen == every & _enterprise_scope(db, actor.department_id)
