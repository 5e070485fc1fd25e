"""Shared pieces of the property-based "bad input, everywhere" tests
(tests/test_fuzz_*.py, issue 10 part 4).

* ``fuzz(n)`` — hypothesis settings: deterministic by default (profile
  ``sgld-ci``: ``derandomize=True``, no example database), so CI runs the
  same examples every time.  ``SGLD_FUZZ=explore`` switches to random
  examples and ``SGLD_FUZZ_SCALE=10`` runs ten times as many, for a longer
  hunt on a workstation.
* ``fuzz_db`` — a module-scoped copy of the demo database (each property
  compares the tables before/after its own call, so examples may share it),
  with uploads limited to 1 MB so "oversize" files stay small; ``snapshot``
  hashes every table's content so an unaudited UPDATE is seen.
* ``attempt(db, fn, …)`` — the property itself: the call returns, or raises
  an ``SgldError`` whose message contains Chinese; after an error no table
  changed in count or content (``allow`` names the tables a refusal may
  append to by design, e.g. an audited login refusal); after a success every
  change is audited; ``expect_ok=True`` for inputs drawn all-valid.
* strategies for codes, dates, names, numbers, ids and files.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import unicodedata
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st

from db import connection
from sgld import clock, uscc
from sgld.errors import SgldError

CJK = re.compile(r"[\u4e00-\u9fff]")

settings.register_profile(
    "sgld-ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.register_profile("sgld-explore", parent=settings.get_profile("sgld-ci"), derandomize=False)
_PROFILE = settings.get_profile("sgld-explore" if os.environ.get("SGLD_FUZZ") == "explore" else "sgld-ci")
_SCALE = float(os.environ.get("SGLD_FUZZ_SCALE", "1"))


def fuzz(max_examples: int):
    """Settings for one property (deterministic unless SGLD_FUZZ=explore)."""
    return settings(_PROFILE, max_examples=max(1, int(max_examples * _SCALE)))


# -- the database -------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_db(demo_template, tmp_path_factory):
    """One copy of the demo database for every property of a module."""
    from tests.conftest import _point_at

    tmp = tmp_path_factory.mktemp("fuzz")
    from tests.conftest import copy_install

    copy_install(demo_template, tmp)
    old = os.environ.get("SGLD_UPLOAD_MAX_MB")
    os.environ["SGLD_UPLOAD_MAX_MB"] = "1"
    clock.freeze(None)
    _point_at(tmp)
    yield connection.get_db()
    connection.reset()
    if old is None:
        os.environ.pop("SGLD_UPLOAD_MAX_MB", None)
    else:
        os.environ["SGLD_UPLOAD_MAX_MB"] = old
    from sgld import settings as sgld_settings

    sgld_settings.reset()
    shutil.rmtree(tmp, ignore_errors=True)


_TABLES_SQL = "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary ORDER BY 1"
_AUDIT = {"audit_log", "audit_head"}


def snapshot(db) -> dict[str, tuple[int, int]]:
    """(row count, content hash) of every table, in one query: the sum of
    each row's hash, so an UPDATE that keeps the count is seen too."""
    names = [r[0] for r in db.all(_TABLES_SQL)]
    sql = " UNION ALL ".join(
        f"SELECT '{n}', count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM \"{n}\" t" for n in names
    )
    return {n: (c, h) for n, c, h in db.all(sql)}


def counts(db) -> dict[str, int]:
    """Row count of every table."""
    return {n: c for n, (c, _) in snapshot(db).items()}


def chinese_error(exc: BaseException) -> None:
    assert isinstance(exc, SgldError), f"not the project's own error: {exc!r}"
    assert CJK.search(str(exc)), f"message without Chinese: {exc!r}"


def _event(fn, outcome: str) -> None:
    """Outcome statistics for ``--hypothesis-show-statistics``."""
    if currently_in_test_context():
        event(f"{getattr(fn, '__name__', 'call')}: {outcome}")


def attempt(db, fn, *args, allow: dict[str, int] | None = None, expect_ok: bool = False, **kwargs):
    """Call ``fn``; return (result, None) or (None, SgldError).  Any other
    exception propagates (the property fails).

    After a refusal every table holds exactly the rows it held before (count
    *and* content), except the tables in ``allow``: table -> the most rows a
    refusal may append by design (audited refusals, failed runs).  After a
    success, data tables changed <=> audit rows were added, and no more
    audit rows than changed rows.  ``expect_ok``: the inputs are valid, so a
    refusal fails the property (a service that refuses everything must not
    pass)."""
    before = snapshot(db)
    try:
        result = fn(*args, **kwargs)
    except SgldError as exc:
        chinese_error(exc)
        _event(fn, type(exc).__name__)
        assert not expect_ok, f"valid input refused: {exc}"
        after = snapshot(db)
        allow = allow or {}
        bad = {}
        for t in set(before) | set(after):
            b, a = before.get(t, (0, "0")), after.get(t, (0, "0"))
            if t in allow or (t == "audit_head" and "audit_log" in allow):
                if not 0 <= a[0] - b[0] <= allow.get(t, allow.get("audit_log", 0)):
                    bad[t] = a[0] - b[0]
            elif a != b:
                bad[t] = "content changed" if a[0] == b[0] else a[0] - b[0]
        assert not bad, f"partial write after {type(exc).__name__}({exc}): {bad}"
        return None, exc
    _event(fn, "ok")
    after = snapshot(db)
    changed = {
        t: abs(after.get(t, (0, "0"))[0] - before.get(t, (0, "0"))[0]) or 1
        for t in set(before) | set(after)
        if t not in _AUDIT and after.get(t) != before.get(t)
    }
    new_audit = after["audit_log"][0] - before["audit_log"][0]
    if changed:
        assert new_audit >= 1, f"unaudited change of {sorted(changed)}"
    else:
        assert new_audit <= (allow or {}).get("audit_log", 0), f"{new_audit} audit rows for a call that changed nothing"
    return result, None


# -- strategies ----------------------------------------------------------------
_REGION = st.text(alphabet="0123456789", min_size=6, max_size=6)
_BODY = st.text(alphabet=uscc.CHARSET, min_size=9, max_size=9)


@st.composite
def valid_codes(draw) -> str:
    first = draw(st.sampled_from(sorted(uscc.AUTHORITIES)))
    second = draw(st.sampled_from(uscc.AUTHORITIES[first]))
    return uscc.make(first + second + draw(_REGION) + draw(_BODY))


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def codes(known: list[str] | None = None):
    """统一社会信用代码: valid, valid in odd spellings (lower case, full
    width, spaces), nearly valid (bad check char, wrong length, I/O/Z/S/V)
    and junk."""
    v = valid_codes()
    options = [
        v,
        v.map(str.lower),
        v.map(_fullwidth),
        v.map(lambda c: f" {c[:6]} {c[6:]}\u3000"),
        v.map(lambda c: c[:17] + ("0" if c[17] != "0" else "1")),  # wrong check character
        v.map(lambda c: c[:17]),
        v.map(lambda c: c + "1"),
        v.map(lambda c: c[:5] + "O" + c[6:]),
        st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOZSVａｂ１ -", max_size=20),
        st.sampled_from(["", " ", "91320602MA1XXXXXXX", "０" * 18, "中" * 18, "\x00" * 18]),
        st.none(),
    ]
    if known:
        options.append(st.sampled_from(known))
    return st.one_of(*options)


_ODD_DATE_TEXT = [
    "",
    " ",
    "2026-02-30",
    "2026-13-01",
    "2026/2/29",
    "2024年2月29日",
    "2024年2月30日",
    "20260305",
    "2026.03.05",
    "05/03/2026",
    "3月5日",
    "昨天",
    "0000-00-00",
    "1800-01-01",
    "1948-12-31",
    "9999-12-31",
    "2999-01-01",
    "99999",
    "45000",
    "0",
    "-1",
    "2026-03-05T10:00",
    "2026-03-05 25:61",
    "２０２６－０３－０５",
    "2026-03-05\x00",
    "NaT",
    "nan",
    "None",
]


def dates():
    """Dates as the pages and files give them: date/datetime objects, text
    in many formats (impossible, far past/future), Excel serials, junk."""
    return st.one_of(
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
        st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
        st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
        st.sampled_from(_ODD_DATE_TEXT),
        st.builds(
            lambda d, f: d.strftime(f),
            st.dates(min_value=date(1900, 1, 1)),
            st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%d.%m.%Y"]),
        ),
        st.integers(min_value=-(10**6), max_value=10**7),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.none(),
    )


def recent_dates():
    """Mostly plausible dates around today (so state checks are reached)."""
    today = clock.today()
    return st.one_of(
        st.integers(-400, 400).map(lambda n: today + timedelta(days=n)),
        st.integers(-400, 0).map(lambda n: (today + timedelta(days=n)).isoformat()),
        dates(),
    )


def names(plausible: str = "南通示例有限公司"):
    """Names and free text: empty, whitespace, control characters, 10k
    characters, emoji, combining marks, and ordinary Chinese."""
    return st.one_of(
        st.just(plausible),
        st.text(max_size=30),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
        st.sampled_from(
            [
                "",
                "   ",
                "\t\n",
                "\u3000",
                "\x00",
                "a\x07b",
                "名称\x1b[31m",
                "\u200b",
                "\ufeff名称",
                "😀" * 5,
                "𠮷野家",
                "e\u0301",
                "<script>alert(1)</script>",
                "'; DROP TABLE item; --",
                "../../etc/passwd",
                "中" * 10_000,
                "x" * 10_001,
                "\u202e反向",
                "名称\r\n第二行",
            ]
        ),
        st.none(),
        st.integers(),
        st.floats(allow_nan=True),
    )


def numbers():
    """Amounts, counts and thresholds in every shape."""
    return st.one_of(
        st.integers(min_value=-(10**6), max_value=10**6),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(
            [
                "",
                " ",
                "0",
                "-0",
                "1,000",
                "１２",
                "1e3",
                "1e309",
                "nan",
                "inf",
                "-inf",
                "NaN",
                "abc",
                "3.5",
                "10万",
                "0x10",
                "١٢",
            ]
        ),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.none(),
        st.booleans(),
    )


def pick(real: list | None, empty=0):
    """One of ``real`` (a list read from the database, whose length may
    change between examples) drawn by index, so the drawing stays the same
    shape whatever the database holds."""
    return st.integers(0, 7).map(lambda i: real[i % len(real)] if real else empty)


def ids(real: list[int] | None = None):
    """Record ids: real ones, 0, negative, unknown, huge."""
    return st.one_of(
        st.sampled_from([0, -1, -(2**31), 2**31, 2**63 - 1, -(2**63), 999_999_999]),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        pick(real),
        pick(real),
    )


ODD_IDS = [
    "",
    "abc",
    "1",
    " 2 ",
    None,
    1.5,
    2.0,
    float("nan"),
    float("inf"),
    -float("inf"),
    2**70,
    10**40,
    -(10**40),
    True,
    0,
    -1,
    [1],
    {"id": 1},
]


def id_lists(real: list[int] | None = None):
    """Lists of ids as a multi-select gives them, with odd members mixed in."""
    one = st.one_of(pick(real), st.sampled_from(ODD_IDS))
    return st.one_of(st.lists(one, max_size=3), st.sampled_from([None, (), "123", 5, "abc"]))


# -- files -----------------------------------------------------------------------
MAGIC = {
    "pdf": b"%PDF-1.4\n",
    "png": b"\x89PNG\r\n\x1a\n",
    "jpg": b"\xff\xd8\xff\xe0",
    "zip": b"PK\x03\x04",
    "exe": b"MZ\x90\x00",
    "none": b"",
}


def file_names():
    return st.one_of(
        st.sampled_from(
            [
                "扫描件.pdf",
                "a.PDF",
                "photo.jpeg",
                "x.png",
                "证据.ofd",
                "a.exe",
                "a",
                ".pdf",
                "...pdf",
                "a.pdf.exe",
                "../../etc/passwd.pdf",
                "..\\..\\windows\\a.pdf",
                "/abs/path/a.pdf",
                "a\x00b.pdf",
                "a\nb.pdf",
                "\u202egpj.pdf",
                "😀.png",
                "",
                " ",
                "/",
                "\\",
                "..",
                "中" * 300 + ".pdf",
                "x" * 5000 + ".pdf",
                "con.pdf",
                "a:b.pdf",
            ]
        ),
        st.builds(
            lambda s, e: s + e, st.text(max_size=40), st.sampled_from([".pdf", ".png", ".jpg", ".ofd", ".docx", ""])
        ),
    )


def file_contents():
    return st.one_of(
        st.builds(lambda m, t: MAGIC[m] + t, st.sampled_from(sorted(MAGIC)), st.binary(max_size=64)),
        st.sampled_from([b"", b"\x00", b"%PDF", b"%PDF-", b"PK\x03\x04" + b"\x00" * 30]),
        st.just(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1)),  # oversize (limit 1 MB here)
        st.just(b"%PDF-1.4\n<html><script>alert(1)</script>"),  # polyglot
        st.binary(max_size=128),
    )


def uploads(max_files: int = 3):
    """A list of (name, bytes) as the pages pass them."""
    return st.lists(st.tuples(file_names(), file_contents()), max_size=max_files)


# -- spreadsheets -------------------------------------------------------------------
def csv_bytes(headers: list[str], rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if c is None else c for c in r])
    return buf.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(headers: list[str], rows: list[list[object]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([_xlsx_cell(h) for h in headers])
    for r in rows:
        ws.append([_xlsx_cell(c) for c in r])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_cell(c):
    if c is None or isinstance(c, (int, date)):
        return c
    if isinstance(c, float):
        return c if math.isfinite(c) else str(c)
    # openpyxl refuses control characters: Excel files cannot hold them
    return _ILLEGAL_XLSX.sub("?", unicodedata.normalize("NFC", str(c)))[:32767]


def cells():
    """One spreadsheet cell as a user may type it."""
    return st.one_of(
        st.text(max_size=15),
        st.sampled_from(
            ["", " ", "\u3000", "=1+1", "@SUM(A1)", "中" * 300, "x" * 2001, "a\x00b", "，", '"', "'", "\n"]
        ),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        dates().filter(lambda d: not isinstance(d, float)),
    )


def sheet_files(headers: list[str], good_row, n_rows: int = 4):
    """(name, bytes) of an import file: mostly the right headers with a mix
    of good and mutated rows, in UTF-8/GBK CSV or .xlsx; also wrong headers,
    truncated or random bytes."""
    width = len(headers)

    @st.composite
    def rows(draw):
        out = []
        for _ in range(draw(st.integers(0, n_rows))):
            row = list(draw(good_row))
            for _ in range(draw(st.integers(0, 3))):
                i = draw(st.integers(0, width - 1))
                row[i] = draw(cells())
            if draw(st.integers(0, 9)) == 0:
                row = row[: draw(st.integers(0, width))]  # short row
            out.append(row)
        return out

    @st.composite
    def files(draw):
        hdr = list(headers)
        kind = draw(st.sampled_from(["csv", "gbk", "bom", "xlsx", "xlsx", "csv"]))
        if draw(st.integers(0, 7)) == 0:
            hdr = draw(st.lists(st.text(max_size=8), min_size=1, max_size=width))
        elif draw(st.integers(0, 5)) == 0:
            hdr = [f" {h}（ ）" if i % 2 else h.upper() for i, h in enumerate(hdr)]
        data_rows = draw(rows())
        if kind == "xlsx":
            data = xlsx_bytes(hdr, data_rows)
            name = draw(st.sampled_from(["导入.xlsx", "导入.XLSX"]))
        else:
            enc = {"csv": "utf-8", "gbk": "gbk", "bom": "utf-8-sig"}[kind]
            data = csv_bytes(hdr, data_rows, enc)
            name = draw(st.sampled_from(["导入.csv", "IMPORT.CSV"]))
        cut = draw(st.integers(0, 12))
        if cut == 0:
            data = data[: draw(st.integers(0, max(0, len(data) - 1)))]  # truncated
        elif cut == 1:
            data = draw(st.binary(max_size=200))  # random bytes
        elif cut == 2:
            name = draw(st.sampled_from(["导入.txt", "导入", "导入.xls", "导入.csv.exe"]))
        return name, data

    return files()


class Fields(dict):
    """Keyword arguments drawn by ``fields``; ``bad`` names the fields drawn
    from their bad-input strategy (empty: every field is valid)."""

    bad: tuple[str, ...] = ()


@st.composite
def fields(draw, good: dict, bad: dict, max_bad: int = 2) -> Fields:
    """Keyword arguments: every field plausible except up to ``max_bad``
    fields drawn from their bad-input strategy, so each example reaches the
    checks (and the writes) behind the first field."""
    out = Fields({k: draw(s, label=k) for k, s in good.items()})
    keys = sorted(bad)
    n = draw(st.integers(0, max_bad))
    chosen = draw(st.lists(st.sampled_from(keys), min_size=n, max_size=n, unique=True)) if keys else []
    for k in chosen:
        out[k] = draw(bad[k], label=f"{k} (bad)")
    out.bad = tuple(chosen)
    return out
