"""Bad input for 行政处罚抽取: file imports (random bytes, truncated GBK,
wrong headers, odd dates and amounts) and the quarantine's correct-and-
release / dismiss.  A bad row is quarantined, a bad file refused with a
Chinese message; an import is one run: when it fails nothing of it is
imported (only the run's own failure record and its audit row remain)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgld import clock, uscc
from sgld import penalty_sources as ps
from sgld.errors import SgldError
from sgld.services import penalty
from tests.conftest import actor
from tests.fuzz_util import (  # noqa: F401
    attempt,
    cells,
    csv_bytes,
    dates,
    fields,
    fuzz,
    fuzz_db,
    ids,
    names,
    numbers,
    pick,
    sheet_files,
    valid_codes,
)

pytestmark = pytest.mark.slow  # hypothesis: many examples, each against the demo database

HEADERS = [v[1][0] for v in ps.FIELDS.values()]
KEYS = list(ps.FIELDS)
# a failed run is logged and audited, and frees the run slot, by design
FAILED_RUN = {"penalty_run": 1, "audit_log": 1, "penalty_sync_state": 0}


def amounts():
    return st.one_of(
        numbers(), st.sampled_from(["1e20", "99999999999999", "-0.5", "1,234.5", "１０", "5万", "0.0000001", "1e-9"])
    )


@st.composite
def good_rows(draw):
    n = draw(st.integers(0, 10**9))
    when = clock.today() - timedelta(days=draw(st.integers(0, 700)))
    row = {
        "entity_name": "南通处罚测试有限公司",
        "uscc": draw(valid_codes()),
        "legal_rep": "王五",
        "decision_no": f"通市监罚〔2026〕FZ{n}号",
        "violation_type": "无证经营",
        "facts": "经查",
        "basis": "《食品安全法》",
        "category": draw(st.sampled_from(["罚款", "警告"])),
        "content": "罚款",
        "fine_wan": draw(st.sampled_from(["0.5", "12", ""])),
        "confiscation_wan": "",
        "decision_date": when.isoformat(),
        "valid_until": "",
        "publish_until": "",
        "authority": "南通市市场监督管理局",
        "data_source_unit": "市场监管局",
    }
    if draw(st.booleans()):
        row["fine_wan"] = str(draw(amounts()))
    if draw(st.booleans()):
        row["decision_date"] = str(draw(dates()))
    return [row[k] for k in KEYS]


def _check(err):
    if err is not None:  # a refusal names the problem; it is never a wrapped internal error
        cause = err.__cause__
        assert cause is None or isinstance(cause, SgldError), f"internal error: {err}"


@fuzz(40)
@given(f=sheet_files(HEADERS, good_rows(), n_rows=5))
def test_import_files(fuzz_db, f):
    _, err = attempt(fuzz_db, penalty.import_files, actor("admin"), [f], trigger="上传", allow=FAILED_RUN)
    _check(err)


@fuzz(15)
@given(files=st.lists(st.tuples(names("处罚.csv"), st.binary(max_size=40)), max_size=2))
def test_import_odd_names(fuzz_db, files):
    _, err = attempt(fuzz_db, penalty.import_files, actor("admin"), files, trigger="上传", allow=FAILED_RUN)
    _check(err)


def test_import_truncated_gbk(fuzz_db):
    """Cut a GBK file inside a two-byte character, at every offset of its last line."""
    data = csv_bytes(
        HEADERS,
        [
            [
                "南通处罚测试有限公司",
                uscc.make("91320602MA1T2K3L4"),
                "王五",
                "通市监罚〔2026〕截断号",
                "",
                "",
                "",
                "罚款",
                "",
                "1",
                "",
                "2026-01-05",
                "",
                "",
                "南通市市场监督管理局",
                "",
            ]
        ],
        "gbk",
    )
    for cut in range(len(data) - 12, len(data)):
        _, err = attempt(
            fuzz_db, penalty.import_files, actor("admin"), [("截断.csv", data[:cut])], trigger="上传", allow=FAILED_RUN
        )
        _check(err)


@fuzz(40)
@given(data=st.data(), note=names("已核对原件"))
def test_release_and_dismiss(fuzz_db, data, note):
    db = fuzz_db
    open_ = [r[0] for r in db.all("SELECT id FROM penalty_quarantine WHERE status = '待处理' ORDER BY id LIMIT 8")]
    qid = data.draw(st.one_of(pick(open_), ids(open_)), label="qid")
    row = data.draw(good_rows(), label="row")
    values = dict(zip(KEYS, row))
    for k in data.draw(st.lists(st.sampled_from(KEYS), max_size=3), label="mutated"):
        values[k] = data.draw(cells(), label=k)
    if data.draw(st.booleans(), label="release"):
        attempt(db, penalty.release, actor("admin"), qid, values, note)
    else:
        attempt(db, penalty.dismiss, actor("admin"), qid, note)
