"""Bad input for 协同处理 (revocation requests) and the 警示名单: filing
(licence, action, facts, basis, evidence ids, files), withdrawal,
verification notes, decisions with reasons, the approvers' categories, the
warning thresholds and manual listing/lifting.  Each call succeeds or
raises SgldError with a Chinese message; a refused call changes no table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgld.services import revocation, warning
from tests.conftest import actor
from tests.fuzz_util import attempt, codes, fields, fuzz, fuzz_db, id_lists, ids, names, numbers, pick, uploads  # noqa: F401

pytestmark = pytest.mark.slow  # hypothesis: many examples, each against the demo database

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _fileable(db, sup):
    """Valid licences of enterprises the supervisor's department inspected."""
    return [
        r[0]
        for r in db.all(
            "SELECT l.id FROM licence l WHERE l.status = '有效' AND l.enterprise_id IN"
            " (SELECT enterprise_id FROM inspection WHERE department_id = ?)"
            " AND NOT EXISTS (SELECT 1 FROM revocation_request q WHERE q.licence_id = l.id"
            "  AND q.status IN ('已提交', '核实中')) ORDER BY l.id LIMIT 8",
            [sup.department_id],
        )
    ]


@fuzz(50)
@given(data=st.data())
def test_file_request(fuzz_db, data):
    db = fuzz_db
    sup = actor("supervisor")
    lic = _fileable(db, sup)
    ins = [
        r[0]
        for r in db.all("SELECT id FROM inspection WHERE department_id = ? ORDER BY id LIMIT 5", [sup.department_id])
    ]
    good = {
        "licence_id": pick(lic),
        "requested_action": st.just("撤销许可决定"),
        "facts": st.just("检查发现以欺骗手段取得许可"),
        "legal_basis": st.just("《行政许可法》第六十九条"),
        "inspection_ids": st.just(()),
        "penalty_ids": st.just(()),
        "files": st.lists(st.tuples(st.just("证据.pdf"), st.just(PDF)), max_size=1),
        "source_kind": st.sampled_from(revocation.SOURCES),
    }
    bad = {
        "licence_id": st.one_of(ids(lic), st.sampled_from(["abc", None, 1.5, float("nan")])),
        "requested_action": names("吊销许可证"),
        "facts": names(),
        "legal_basis": names(),
        "inspection_ids": id_lists(ins),
        "penalty_ids": id_lists(),
        "files": uploads(3),
        "source_kind": names(),
    }
    attempt(db, revocation.file_request, sup, **data.draw(fields(good, bad)))


@fuzz(50)
@given(
    data=st.data(),
    text=names("经核实，情况属实"),
    revoke=st.booleans(),
    which=st.sampled_from(["withdraw", "start", "notes", "decide"]),
)
def test_request_steps(fuzz_db, data, text, revoke, which):
    db = fuzz_db
    open_ = [
        r[0]
        for r in db.all("SELECT id FROM revocation_request WHERE status IN ('已提交', '核实中') ORDER BY id LIMIT 8")
    ]
    rid = data.draw(st.one_of(pick(open_), ids(open_)), label="request_id")
    if which == "withdraw":
        attempt(db, revocation.withdraw, actor("supervisor"), rid, text)
    elif which == "start":
        attempt(db, revocation.start_verification, actor("approver"), rid, text)
    elif which == "notes":
        attempt(db, revocation.save_notes, actor("approver"), rid, text)
    else:
        notes = data.draw(st.one_of(st.none(), names("已核实")), label="notes")
        attempt(db, revocation.decide, actor("approver"), rid, revoke=revoke, reason=text, notes=notes)


@fuzz(20)
@given(
    data=st.data(),
    cats=st.one_of(
        st.lists(st.one_of(names("食品"), st.sampled_from(["食品", "建设工程", "交通运输"])), max_size=3),
        st.none(),
        st.just("食品"),
    ),
)
def test_user_categories(fuzz_db, data, cats):
    users = [r[0] for r in fuzz_db.all("SELECT id FROM app_user ORDER BY id LIMIT 8")]
    attempt(fuzz_db, revocation.set_user_categories, actor("admin"), data.draw(ids(users), label="user_id"), cats)


RESULTS = st.one_of(st.sampled_from(["立案查处", "", "无", "立案查处,责令整改", ["立案查处"]]), names())


@fuzz(40)
@given(data=st.data())
def test_save_rules(fuzz_db, data):
    good = {
        "fine_wan": st.sampled_from([10, "5", 0]),
        "categories": st.sampled_from(["吊销,责令停产停业", ["吊销"], "无"]),
        "count": st.sampled_from([3, "2", 0]),
        "months": st.sampled_from([12, "6"]),
        "results": st.just("立案查处"),
        "revoked": st.booleans(),
    }
    bad = {
        "fine_wan": numbers(),
        "categories": st.one_of(names(), st.lists(names(), max_size=3)),
        "count": numbers(),
        "months": numbers(),
        "results": RESULTS,
        "revoked": st.one_of(st.booleans(), st.none(), st.text(max_size=3)),
    }
    kw = data.draw(fields(good, bad))
    attempt(fuzz_db, warning.save_rules, actor("admin"), expect_ok=not kw.bad, **kw)


@fuzz(40)
@given(data=st.data(), reason=names("多次违法经营"), lift=st.booleans())
def test_manual_listing(fuzz_db, data, reason, lift):
    db = fuzz_db
    ents = [r[0] for r in db.all("SELECT id FROM enterprise ORDER BY id LIMIT 8")]
    known = [r[0] for r in db.all("SELECT uscc FROM enterprise ORDER BY id LIMIT 8")]
    if lift:
        listed = [r[0] for r in db.all("SELECT id FROM warning_entry WHERE status = '在列' ORDER BY id LIMIT 8")]
        attempt(db, warning.lift, actor("approver"), data.draw(ids(listed), label="entry"), reason)
    else:
        ent = data.draw(st.one_of(ids(ents), codes(known), st.sampled_from([None, 1.5, "12"])), label="enterprise")
        attempt(db, warning.add_manual, actor("approver"), ent, reason)
