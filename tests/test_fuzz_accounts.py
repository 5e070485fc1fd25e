"""Bad input for accounts and organisation: users (usernames, names,
passwords, roles, departments), password change and login, departments,
business settings, enterprises (codes, names), and the single-sign-on
identity mapping.  Each call succeeds or raises SgldError with a Chinese
message; a refused call changes no table (a refused login is audited by
design: one audit row, and the failure counter)."""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgld import settings as sgld_settings
from sgld.security import ROLES
from sgld.services import accounts, enterprises, org, sso
from tests.conftest import DEMO_PASSWORD, actor
from tests.fuzz_util import attempt, codes, fields, fuzz, fuzz_db, ids, names, numbers, pick, valid_codes  # noqa: F401

pytestmark = pytest.mark.slow  # hypothesis: many examples, each against the demo database

_SERIAL = itertools.count(1)
USERNAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_.-]{1,12}", fullmatch=True),
    st.sampled_from(
        ["", " ", "A", "a", "Admin", "admin", "ａｄｍｉｎ", "a" * 40, "张三", "a b", "a\x00", "a/b", "1abc", "approver"]
    ),
    st.text(max_size=40),
)
PASSWORDS = st.one_of(
    st.sampled_from(
        [
            "Sgld@2026x",
            "short1A!",
            "Aa1" + "中" * 61,
            "Aa1" + "中" * 23,
            "Aa1!" * 16,
            "Aa1!" * 17,
            "aaaaaaaa",
            "",
            "Aa1\x00aaaa",
            "Aa1😀😀😀😀😀😀",
            "Aa1\ud800xxxx",
        ]
    ),
    st.text(min_size=6, max_size=80),
    st.none(),
)
ROLE_LISTS = st.one_of(
    st.lists(st.sampled_from(sorted(ROLES)), min_size=1, max_size=2),
    st.lists(names("admin"), max_size=2),
    st.none(),
    st.just("admin"),
)


@fuzz(15)
@given(data=st.data())
def test_create_user(fuzz_db, data):
    depts = [r[0] for r in fuzz_db.all("SELECT id FROM department ORDER BY id LIMIT 8")]
    # a fresh name per example (examples share the database), so valid input must succeed
    good = {
        "username": st.just(f"fz{next(_SERIAL)}"),
        "display_name": st.just("模糊测试"),
        "department_id": pick(depts),
        "roles": st.just(["supervisor"]),
        "password": st.just(None),
        "phone": st.just(None),
    }
    bad = {
        "username": USERNAMES,
        "display_name": names(),
        "roles": ROLE_LISTS,
        "department_id": st.one_of(ids(depts), st.sampled_from(["abc", None, 1.5, "1"])),
        "password": PASSWORDS,
        "phone": names("0513-12345678"),
    }
    kw = data.draw(fields(good, bad))
    attempt(fuzz_db, org.create_user, actor("admin"), expect_ok=not kw.bad, **kw)


@fuzz(20)
@given(data=st.data())
def test_update_user(fuzz_db, data):
    users = [r[0] for r in fuzz_db.all("SELECT id FROM app_user WHERE username LIKE 'fz%' ORDER BY id LIMIT 5")]
    depts = [r[0] for r in fuzz_db.all("SELECT id FROM department ORDER BY id LIMIT 8")]
    good = {
        "display_name": st.just("改名"),
        "department_id": pick(depts),
        "roles": st.just(["supervisor"]),
        "phone": st.just(None),
    }
    bad = {"display_name": names(), "department_id": ids(depts), "roles": ROLE_LISTS, "phone": names()}
    uid = data.draw(st.one_of(pick(users), ids(users)), label="user_id")
    attempt(fuzz_db, org.update_user, actor("admin"), uid, **data.draw(fields(good, bad)))


@fuzz(10)
@given(old=st.one_of(st.just(DEMO_PASSWORD), PASSWORDS), new=PASSWORDS, confirm=st.one_of(st.none(), PASSWORDS))
def test_change_own_password(fuzz_db, old, new, confirm):
    who = actor("supervisor2")
    attempt(fuzz_db, accounts.change_own_password, who, old, new, new if confirm is None else confirm)


@fuzz(10)
@given(username=USERNAMES, password=PASSWORDS)
def test_authenticate(fuzz_db, username, password):
    attempt(
        fuzz_db,
        accounts.authenticate,
        username,
        password,
        # unknown names count too; a known one's failure count and lock change by design
        allow={"audit_log": 2, "login_failure": 1, "app_user": 0},
    )


@fuzz(30)
@given(
    key=st.one_of(st.sampled_from(sorted(org.BUSINESS_SETTINGS)), names("x")), value=st.one_of(numbers(), names("吊销"))
)
def test_set_setting(fuzz_db, key, value):
    _, err = attempt(fuzz_db, org.set_setting, actor("admin"), key, value)
    if err is None and key in org.NUMERIC_BOUNDS:
        from sgld.services import revocation, warning

        revocation.decision_days()  # the stored value is usable where it is read
        warning.current_rules()


@fuzz(20)
@given(
    data=st.data(),
    name=names("模糊测试局"),
    kind=st.one_of(st.sampled_from(["bureau", "supervision", "licensing"]), names()),
)
def test_departments(fuzz_db, data, name, kind):
    depts = [r[0] for r in fuzz_db.all("SELECT id FROM department WHERE name LIKE '%模糊%' ORDER BY id LIMIT 4")]
    parent = data.draw(st.one_of(st.none(), ids(depts)), label="parent")
    if data.draw(st.booleans(), label="update") and depts:
        attempt(
            fuzz_db,
            org.update_department,
            actor("admin"),
            data.draw(pick(depts), label="dept"),
            name=name,
            kind=kind,
            parent_id=parent,
        )
    else:
        attempt(fuzz_db, org.create_department, actor("admin"), name, kind, parent)


@fuzz(30)
@given(data=st.data(), name=names(), rep=names("王五"), address=names("南通市"))
def test_enterprise_ensure(fuzz_db, data, name, rep, address):
    known = [r[0] for r in fuzz_db.all("SELECT uscc FROM enterprise ORDER BY id LIMIT 5")]
    code = data.draw(codes(known), label="code")
    attempt(
        fuzz_db, lambda: fuzz_db.write(lambda cur: enterprises.ensure(cur, actor("approver"), code, name, rep, address))
    )
    attempt(fuzz_db, enterprises.find_by_uscc, code)
    attempt(fuzz_db, enterprises.search, actor("supervisor"), name if isinstance(name, str) else "")


SUBJECTS = st.one_of(
    st.sampled_from(["zhang.san@nantong.gov.cn", "ZHANG", "", " ", "a\x00b", "approver", "x" * 201, "张三", "😀"]),
    names(),
)


@fuzz(25)
@given(data=st.data(), subject=SUBJECTS)
def test_bind_identity(fuzz_db, data, subject):
    users = [r[0] for r in fuzz_db.all("SELECT id FROM app_user ORDER BY id LIMIT 8")]
    attempt(fuzz_db, sso.bind_identity, actor("admin"), data.draw(ids(users), label="uid"), subject)


@fuzz(25)
@given(
    subject=SUBJECTS,
    claims=st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["preferred_username", "name", "email"]),
            st.one_of(SUBJECTS, st.integers(), st.lists(st.text(max_size=3), max_size=2), st.none()),
            max_size=3,
        ),
    ),
    auto=st.booleans(),
)
def test_sso_login(fuzz_db, subject, claims, auto):
    os.environ["SGLD_SSO_AUTO_CREATE"] = "true" if auto else "false"
    sgld_settings.reset()
    try:
        # refusals are audited (one row); a header login may also create the account
        attempt(fuzz_db, sso.login, subject, via="header", allow={"audit_log": 1})
        attempt(fuzz_db, sso.login, claims, via="oidc", allow={"audit_log": 1})
    finally:
        os.environ.pop("SGLD_SSO_AUTO_CREATE", None)
        sgld_settings.reset()
