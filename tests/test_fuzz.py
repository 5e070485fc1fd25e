"""Bad input, everywhere: property-based tests over the service functions that
take user input.  Each call either succeeds or raises the project's own
SgldError with a Chinese message — never another exception — and a refused
call writes nothing (no audit row, no data row)."""

import re
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgld import attachments, uscc
from sgld import validate as v
from sgld.errors import SgldError
from sgld.services import enterprises, org
from tests.conftest import actor

CJK = re.compile(r"[\u4e00-\u9fff]")
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
junk = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.binary(max_size=20),
)
codes = st.one_of(
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV ０１２ａｂ", max_size=20),
    st.builds(lambda s: uscc.make(s), st.text(alphabet=uscc.CHARSET, min_size=17, max_size=17)),
)


def chinese_error(exc: SgldError) -> None:
    assert isinstance(exc, SgldError)
    assert CJK.search(str(exc)), f"message without Chinese: {exc!r}"


def outcome(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs), None
    except SgldError as exc:
        chinese_error(exc)
        return None, exc


@FUZZ
@given(codes)
def test_uscc(code):
    outcome(uscc.validate, code)


@FUZZ
@given(junk)
def test_dates(value):
    outcome(v.parse_date, value, "日期")
    outcome(v.parse_date, value, "日期", not_future=True)
    outcome(v.integer, value, "数量", minimum=0)
    outcome(v.text, value, "名称", max_len=10)


@FUZZ
@given(
    st.text(max_size=60),
    st.binary(max_size=64),
    st.sampled_from([b"", b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"PK\x03\x04", b"MZ\x90\x00"]),
)
def test_upload_names_and_contents(name, tail, head):
    outcome(attachments.check_upload, name, head + tail)


def test_upload_edge_cases(db):
    for name, data, why in [
        ("a.pdf", b"", "空文件"),
        ("a.pdf", b"\x89PNG\r\n\x1a\n....", "不符"),
        ("a.exe", b"MZ....", "类型不允许"),
        ("../../etc/passwd.pdf", b"%PDF-1.4 x", None),
        ("a\x00b.pdf", b"%PDF-1.4 x", None),
        ("a.pdf", b"%PDF" + b"0" * (21 * 1024 * 1024), "超过上限"),
    ]:
        result, err = outcome(attachments.check_upload, name, data)
        if why:
            assert err is not None and why in str(err)
        else:
            assert "/" not in result.name and "\x00" not in result.name


@FUZZ
@given(name=junk, kind=st.one_of(st.sampled_from(["bureau", "supervision", "x"]), junk))
def test_create_department(db, name, kind):
    before = db.scalar("SELECT count(*) FROM audit_log"), db.scalar("SELECT count(*) FROM department")
    _, err = outcome(org.create_department, actor("admin"), name, kind)
    after = db.scalar("SELECT count(*) FROM audit_log"), db.scalar("SELECT count(*) FROM department")
    if err is None:
        assert after == (before[0] + 1, before[1] + 1)
    else:
        assert after == before


@FUZZ
@given(code=codes, name=junk, rep=junk)
def test_ensure_enterprise(db, code, name, rep):
    before = db.scalar("SELECT count(*) FROM audit_log"), db.scalar("SELECT count(*) FROM enterprise")
    _, err = outcome(lambda: db.write(lambda cur: enterprises.ensure(cur, actor("approver"), code, name, rep)))
    after = db.scalar("SELECT count(*) FROM audit_log"), db.scalar("SELECT count(*) FROM enterprise")
    assert after[0] - before[0] == after[1] - before[1]  # every new row audited, nothing partial
    if err is not None:
        assert after == before


@FUZZ
@given(code=junk, name=junk, category=junk, limit=junk, centralised=st.booleans())
def test_save_item(db, code, name, category, limit, centralised):
    before = db.scalar("SELECT count(*) FROM audit_log"), db.scalar("SELECT count(*) FROM item")
    dept = db.scalar("SELECT id FROM department WHERE name = '市场监管局'")
    _, err = outcome(
        org.save_item,
        actor("admin"),
        code=code,
        name=name,
        category=category,
        centralised=centralised,
        sign_limit_days=limit,
        department_ids=[dept],
    )
    after = db.scalar("SELECT count(*) FROM audit_log"), db.scalar("SELECT count(*) FROM item")
    assert (after == before) if err else (after == (before[0] + 1, before[1] + 1))


@FUZZ
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.integers(min_value=0, max_value=30))
def test_workdays_never_raise(db, d, n):
    from sgld import workdays

    due = workdays.add_workdays(d, n)
    assert due >= d
    assert workdays.workdays_between(d, due) == n
