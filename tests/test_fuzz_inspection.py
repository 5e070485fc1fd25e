"""Bad input for 监管录入: inspection entry and correction (every field and
the evidence files), the inspection import from .csv/.xlsx bytes, and the
result options.  Each call succeeds or raises SgldError with a Chinese
message, and a refused call changes no table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgld import clock
from sgld.services import inspection
from tests.conftest import actor
from tests.fuzz_util import (  # noqa: F401
    attempt,
    codes,
    dates,
    fields,
    fuzz,
    fuzz_db,
    ids,
    names,
    pick,
    sheet_files,
    uploads,
    valid_codes,
)

pytestmark = pytest.mark.slow  # hypothesis: many examples, each against the demo database

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _times():
    now = clock.now().replace(microsecond=0)
    return st.one_of(
        st.integers(1, 60 * 24 * 400).map(lambda m: now - timedelta(minutes=m)),
        st.integers(1, 400).map(lambda d: (now - timedelta(days=d)).strftime("%Y-%m-%d %H:%M")),
        st.integers(1, 400).map(lambda d: f"{(now - timedelta(days=d)):%Y年%m月%d日}"),
    )


def _odd_times():
    return st.one_of(
        dates(),
        st.sampled_from(
            [
                "2026-03-05 24:00",
                "2026-03-05 14:30:99",
                "2026-03-05 14:30",
                "2026-03-05 1430",
                "2026-03-05T14:30",
                "2026-03-05  14:30",
                "2026-03-05 下午2点",
                "14:30",
                "2099-01-01 08:00",
                "2026-03-05 ２：３０",
                "2026-03-05 -1:00",
            ]
        ),
    )


def _good(db):
    known = [r[0] for r in db.all("SELECT uscc FROM enterprise ORDER BY id LIMIT 5")]
    return {
        "uscc_code": st.one_of(pick(known), valid_codes()),
        "entity_name": st.just("南通检查对象有限公司"),  # an unknown code needs a name
        "inspected_at": _times(),
        "place": st.just("南通市崇川区人民中路 1 号"),
        "result": st.sampled_from(inspection.result_options()),
        "findings": st.sampled_from([None, "现场经营规范"]),
        "inspectors": st.just("张三、李四"),
        "files": st.lists(st.tuples(st.just("证据.pdf"), st.just(PDF)), max_size=1),
    }


BAD = {
    "uscc_code": codes(),
    "entity_name": names(),
    "inspected_at": _odd_times(),
    "place": names(),
    "result": names("合格"),
    "findings": names(),
    "inspectors": names(),
    "files": uploads(3),
}


@fuzz(70)
@given(data=st.data())
def test_record(fuzz_db, data):
    kw = data.draw(fields(_good(fuzz_db), BAD))
    attempt(fuzz_db, inspection.record, actor("supervisor"), expect_ok=not kw.bad, **kw)


@fuzz(40)
@given(data=st.data())
def test_correct(fuzz_db, data):
    db = fuzz_db
    sup = actor("supervisor")
    mine = [
        r[0]
        for r in db.all("SELECT id FROM inspection WHERE department_id = ? ORDER BY id LIMIT 5", [sup.department_id])
    ]
    good = _good(db) | {"reason": st.just("录入有误，更正")}
    bad = BAD | {"reason": names()}
    kw = data.draw(fields(good, bad))
    iid = data.draw(st.one_of(pick(mine), ids(mine)), label="inspection_id")
    attempt(db, inspection.correct, sup, iid, **kw)


@fuzz(30)
@given(value=st.one_of(_odd_times(), names()))
def test_parse_datetime(fuzz_db, value):
    attempt(fuzz_db, inspection.parse_datetime, value)


@fuzz(20)
@given(name=names("复查合格"))
def test_add_result(fuzz_db, name):
    attempt(fuzz_db, inspection.add_result, actor("admin"), name)


HEADERS = [v[0] for v in inspection.IMPORT_COLUMNS.values()]


@st.composite
def good_rows(draw):
    when = clock.now() - timedelta(days=draw(st.integers(1, 300)))
    return [
        draw(valid_codes()),
        "南通导入检查有限公司",
        f"{when:%Y-%m-%d %H:%M}",
        "南通市崇川区",
        draw(st.sampled_from(["合格", "责令整改"])),
        "情况正常",
        "张三",
    ]


@fuzz(50)
@given(f=sheet_files(HEADERS, good_rows()), commit=st.booleans())
def test_import_inspections(fuzz_db, f, commit):
    name, data = f
    attempt(fuzz_db, inspection.import_inspections, actor("supervisor"), name, data, commit=commit)
