"""Bad input for 审批推送: recording a result (every field, licence, scans),
concluding, adding scans, signing and claiming with odd ids, and the bulk
import from .csv/.xlsx bytes.  Each call succeeds or raises SgldError with a
Chinese message, and a refused call changes no table."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgld import clock
from sgld.services import cases_import, push
from tests.conftest import actor
from tests.fuzz_util import (  # noqa: F401
    attempt,
    codes,
    dates,
    fields,
    fuzz,
    fuzz_db,
    id_lists,
    ids,
    names,
    pick,
    recent_dates,
    sheet_files,
    uploads,
    valid_codes,
)

pytestmark = pytest.mark.slow  # hypothesis: many examples, each against the demo database

STAGES = st.one_of(st.sampled_from(push.STAGES), names())
KINDS = st.one_of(st.sampled_from(push.LICENCE_KINDS), names())


def _item_ids(db):
    return [r[0] for r in db.all("SELECT id FROM item ORDER BY id LIMIT 5")]


def _known_codes(db):
    return [r[0] for r in db.all("SELECT uscc FROM enterprise ORDER BY id LIMIT 5")]


def licences():
    return st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {"licence_no": names("LIC-FZ"), "kind": KINDS, "issued_on": recent_dates(), "valid_until": dates()}
        ),
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
UNIQUE = st.uuids().map(lambda u: u.hex[:12])
GOOD_FILES = st.lists(st.tuples(st.sampled_from(["扫描件.pdf", "批文.PDF"]), st.just(PDF)), max_size=2)


def _good_licence(tag):
    return st.fixed_dictionaries(
        {
            "licence_no": st.just(f"LIC-FZ-{tag}"),
            "kind": st.sampled_from(push.LICENCE_KINDS),
            "issued_on": st.just(clock.today()),
            "valid_until": st.just(date(2031, 1, 1)),
        }
    )


@fuzz(60)
@given(data=st.data(), tag=UNIQUE)
def test_record_case(fuzz_db, data, tag):
    db = fuzz_db
    good = {
        "case_no": st.just(f"FZ-{tag}"),
        "item_id": st.sampled_from(_item_ids(db)),
        "uscc": st.one_of(valid_codes(), st.sampled_from(_known_codes(db))),
        "enterprise_name": st.just("南通模糊测试有限公司"),
        "project_no": st.sampled_from([f"2026-FZ-{tag}", "2026-320602-14-03-990001"]),
        "project_name": st.sampled_from([None, "测试项目"]),
        "stage": st.sampled_from(push.STAGES),
        "reply": st.just("准予许可"),
        "decided_on": st.sampled_from([clock.today(), clock.today().isoformat(), "2025年1月2日"]),
        "licence": st.one_of(st.none(), _good_licence(tag)),
        "files": GOOD_FILES,
    }
    bad = {
        "case_no": names(),
        "item_id": st.one_of(ids(), st.text(max_size=5), st.none()),
        "uscc": codes(),
        "enterprise_name": names(),
        "project_no": names(),
        "project_name": names(),
        "stage": STAGES,
        "reply": names(),
        "decided_on": dates(),
        "licence": licences(),
        "files": uploads(2),
    }
    kw = data.draw(fields(good, bad))
    attempt(db, push.record_case, actor("approver"), **kw)


@fuzz(30)
@given(data=st.data(), reply=names("办结"), decided_on=recent_dates(), licence=licences(), files=uploads(2))
def test_conclude_case(fuzz_db, data, reply, decided_on, licence, files):
    db = fuzz_db
    open_ = [
        r[0] for r in db.all("SELECT id FROM approval_case WHERE stage = ? ORDER BY id LIMIT 5", [push.STAGE_INVOLVE])
    ]
    case_id = data.draw(ids(open_), label="case_id")
    attempt(
        db,
        push.conclude_case,
        actor("approver"),
        case_id,
        reply=reply,
        decided_on=decided_on,
        licence=licence,
        files=files,
    )


@fuzz(30)
@given(data=st.data(), files=uploads(3))
def test_add_scans(fuzz_db, data, files):
    db = fuzz_db
    real = [r[0] for r in db.all("SELECT id FROM approval_case ORDER BY id LIMIT 3")]
    attempt(db, push.add_scans, actor("approver"), data.draw(ids(real), label="case_id"), files)


@fuzz(40)
@given(data=st.data())
def test_sign_and_claim_odd_ids(fuzz_db, data):
    db = fuzz_db
    sup = actor("supervisor")
    mine = [
        r[0]
        for r in db.all(
            "SELECT id FROM push WHERE department_id = ? AND status = '待签收' ORDER BY id LIMIT 5", [sup.department_id]
        )
    ]
    pushes = data.draw(st.one_of(st.lists(pick(mine), min_size=1, max_size=3), id_lists(mine)), label="push_ids")
    attempt(db, push.sign_pushes, sup, pushes)
    if not isinstance(pushes, (list, tuple)) or len(pushes) == 1:
        one = pushes[0] if isinstance(pushes, (list, tuple)) else pushes
        attempt(db, push.sign_push, sup, one)
    claimer = actor("claimer")
    open_ = [
        r[0]
        for r in db.all(
            "SELECT id FROM claim WHERE department_id = ? AND status = '待领取' ORDER BY id LIMIT 5",
            [claimer.department_id],
        )
    ]
    attempt(
        db,
        push.claim_results,
        claimer,
        data.draw(st.one_of(st.lists(pick(open_), min_size=1, max_size=3), id_lists(open_)), label="claim_ids"),
    )


@fuzz(15)
@given(aid=ids())
def test_read_scan_odd_ids(fuzz_db, aid):
    attempt(fuzz_db, push.read_scan, actor("supervisor"), aid)


HEADERS = [v[0] for v in cases_import.COLUMNS.values()]


@st.composite
def good_case_rows(draw):
    n = draw(st.integers(0, 10**9))
    return [
        f"FZI-{n}",
        "SC-001",
        draw(valid_codes()),
        "南通导入测试有限公司",
        f"2026-320602-14-03-{n % 1000000:06d}",
        "",
        "办结",
        "准予许可",
        (clock.today()).isoformat(),
        f"LIC-FZI-{n}",
        "许可证",
        clock.today().isoformat(),
        date(2031, 1, 1).isoformat(),
    ]


@fuzz(60)
@given(f=sheet_files(HEADERS, good_case_rows()), commit=st.booleans())
def test_import_cases(fuzz_db, f, commit):
    name, data = f
    attempt(fuzz_db, cases_import.import_cases, actor("approver"), name, data, commit=commit)
