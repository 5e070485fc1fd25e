"""Penalty import across several batches (the fast path in Arrow/DuckDB):
the same result as one batch, duplicates inside and across batches, bad
rows in every batch with their line numbers, a character only GB18030 has,
amounts out of range."""

import threading

import pytest

from sgld import penalty_sources as ps
from sgld.errors import StateError
from sgld.services import penalty
from sgld.services.penalty import pipeline
from tests.test_penalty_import import CODE_A, CODE_B, counts, csv_bytes, row


def _rows():
    rows = []
    for i in range(1, 41):
        rows.append(
            row(
                no=f"通市监处罚〔2025〕{i}号",
                code=CODE_A if i % 3 else CODE_B,
                name=f"南通批次{i % 3}有限公司",
                fine=str(i % 5),
            )
        )
    rows[6] = row(no="通市监处罚〔2025〕7号", code="91320602MA1N2B3C4X")  # bad check character
    rows[17] = row(no="", day="2099-01-01")  # two reasons
    rows[25] = row(no="通市监处罚〔2025〕3号")  # same number as row 3
    rows[33] = row(no="通市监处罚〔2025〕34号", fine="inf")  # out of range
    rows[38] = row(no="通市监处罚〔2025〕39号", conf="-1")  # negative
    return rows


@pytest.mark.parametrize("batch", [7, 1000])
def test_batches_give_the_same_result(db, monkeypatch, batch):
    monkeypatch.setattr(ps, "BATCH_ROWS", batch)
    r = penalty.import_files(None, [("p.csv", csv_bytes(_rows()))], source=f"批{batch}")
    assert counts(r) == (40, 35, 1, 4)
    q = db.all("SELECT location, reason FROM penalty_quarantine WHERE source = ? ORDER BY id", [f"批{batch}"])
    by_line = {loc: reason for loc, reason in q}
    # line numbers: header is line 1, so the i-th row (0-based) is line i + 2
    assert set(by_line) == {"p.csv 第8行", "p.csv 第19行", "p.csv 第35行", "p.csv 第40行"}
    assert "校验" in by_line["p.csv 第8行"] or "统一社会信用代码" in by_line["p.csv 第8行"]
    assert "缺少行政处罚决定书文号" in by_line["p.csv 第19行"] and "处罚决定日期" in by_line["p.csv 第19行"]
    assert by_line["p.csv 第35行"].startswith("罚款金额") and "inf" in by_line["p.csv 第35行"]
    assert "不能为负数" in by_line["p.csv 第40行"]
    # the first of the two rows with number 3 is the one stored
    fine = db.scalar(
        "SELECT fine_wan FROM penalty WHERE source = ? AND decision_no = '通市监处罚〔2025〕3号'", [f"批{batch}"]
    )
    assert float(fine) == 3.0
    # a second run: everything is a duplicate (quarantined rows too)
    r2 = penalty.import_files(None, [("p.csv", csv_bytes(_rows()))], source=f"批{batch}")
    assert counts(r2) == (40, 0, 40, 0)


def test_duplicate_across_batches_is_counted_once(db, monkeypatch):
    monkeypatch.setattr(ps, "BATCH_ROWS", 2)
    rows = [
        row(no="通市监处罚〔2025〕1号"),
        row(no="通市监处罚〔2025〕2号"),
        row(no="通市监处罚〔2025〕1号", fine="9"),
        row(no="通市监处罚〔2025〕4号"),
    ]
    r = penalty.import_files(None, [("d.csv", csv_bytes(rows))], source="跨批")
    assert counts(r) == (4, 3, 1, 0)
    assert (
        float(db.scalar("SELECT fine_wan FROM penalty WHERE source = '跨批' AND decision_no = '通市监处罚〔2025〕1号'"))
        == 0.5
    )


def test_gb18030_only_characters_are_read(db):
    name = "南通䶮㐀𠀾科技有限公司"  # not in GBK: GB18030 four-byte sequences
    with pytest.raises(UnicodeEncodeError):
        name.encode("gbk")
    rows = [row(name=name, no="通市监处罚〔2025〕㐀1号"), row(no="通市监处罚〔2025〕2号")]
    r = penalty.import_files(None, [("g.csv", csv_bytes(rows, "gb18030"))], source="四字节")
    assert counts(r) == (2, 2, 0, 0)
    assert (
        db.scalar("SELECT entity_name FROM penalty WHERE source = '四字节' AND decision_no = '通市监处罚〔2025〕㐀1号'")
        == name
    )


def test_error_in_the_reading_thread_midway_imports_nothing(db, monkeypatch):
    """Batches are read and prepared in a helper thread: its failure after
    two stored batches reaches the run, which rolls everything back."""
    monkeypatch.setattr(ps, "BATCH_ROWS", 2)
    real, calls = penalty._prepare, {"n": 0}

    def flaky(table):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("reader broke (injected)")
        return real(table)

    monkeypatch.setattr(pipeline, "_prepare", flaky)
    rows = [row(no=f"通市监处罚〔2025〕{i}号") for i in range(1, 9)]
    before = db.scalar("SELECT count(*) FROM penalty")
    with pytest.raises(StateError) as e:
        penalty.import_files(None, [("e.csv", csv_bytes(rows))], source="中途失败")
    assert "未导入任何数据" in str(e.value) and "injected" in str(e.value)
    assert calls["n"] == 3
    assert db.scalar("SELECT count(*) FROM penalty") == before
    assert db.scalar("SELECT status FROM penalty_run ORDER BY id DESC LIMIT 1") == "失败"
    assert db.scalar("SELECT run_id FROM penalty_sync_state") is None
    # nothing left running: the next run works
    monkeypatch.setattr(pipeline, "_prepare", real)
    assert counts(penalty.import_files(None, [("e.csv", csv_bytes(rows))], source="中途失败")) == (8, 8, 0, 0)


@pytest.mark.slow  # a 30,000-row import
def test_a_run_does_not_keep_earlier_batches_alive(db, monkeypatch):
    """A run is one transaction over many batches; each batch's Arrow data
    must be freed once it is stored (a frame passed with cur.register stays
    referenced until the transaction ends, so 1,000,000 rows held ~500 MB)."""
    import pyarrow as pa

    monkeypatch.setattr(ps, "BATCH_ROWS", 1000)
    facts = "经查，当事人销售超过保质期的食品，违法事实清楚，证据确凿。" * 20
    rows = []
    for i in range(30_000):
        r = row(no=f"通市监处罚〔2025〕{i}号", code=CODE_A if i % 2 else CODE_B)
        r[5] = facts
        rows.append(r)
    data = csv_bytes(rows)
    del rows
    seen = []
    store, prepare = penalty._store_stage, penalty._prepare
    prepared = threading.Semaphore(0)

    def counted(table):
        out = prepare(table)
        prepared.release()
        return out

    def watched(cur, run_id, source, now, good):
        # Measure with the reader thread parked: when batch k is stored,
        # batch k+1 waits in the queue and the reader holds batch k+2 (it
        # blocks until the queue has room).  So every measurement counts the
        # same batches, whatever the threads' timing.
        k = len(seen)
        ahead = min(k + 3, 30) - ahead_taken[0]
        for _ in range(ahead):
            assert prepared.acquire(timeout=60), "the reader thread stopped"
        ahead_taken[0] += ahead
        seen.append((pa.total_allocated_bytes(), good.nbytes))
        return store(cur, run_id, source, now, good)

    ahead_taken = [0]
    monkeypatch.setattr(pipeline, "_prepare", counted)
    monkeypatch.setattr(pipeline, "_store_stage", watched)
    r = penalty.import_files(None, [("big.csv", data)], source="内存")
    assert counts(r) == (30_000, 30_000, 0, 0) and len(seen) == 30
    batch = max(n for _, n in seen)
    # Arrow memory does not grow with the batches stored (batches kept alive
    # by the transaction: +20 MB by the end here).  The middle of the last ten
    # measurements against the one after the first batches, not the largest:
    # one transient allocation elsewhere must not decide it.
    import statistics

    alloc = [a for a, _ in seen]
    grown = statistics.median(alloc[-10:]) - alloc[2]
    assert grown < 3 * batch, alloc


def test_rows_rescued_by_the_reference_check_are_stored_alike(db, monkeypatch):
    """Rows the fast path rejects are re-checked by ``clean``; those it
    accepts are stored by the same statements, with the same values."""
    import numpy as np

    monkeypatch.setattr(ps, "BATCH_ROWS", 7)
    fast = penalty.import_files(None, [("p.csv", csv_bytes(_rows()))], source="快")
    real = penalty._prepare
    monkeypatch.setattr(pipeline, "_prepare", lambda table: (real(table)[0].slice(0, 0), np.arange(table.num_rows)))
    slow = penalty.import_files(None, [("p.csv", csv_bytes(_rows()))], source="慢")
    assert counts(slow) == counts(fast) == (40, 35, 1, 4)
    cols = (
        "decision_no, uscc, enterprise_id, entity_name, legal_rep, facts, fine_wan,"
        " confiscation_wan, decision_date, valid_until, publish_until, authority"
    )
    stored = [db.all(f"SELECT {cols} FROM penalty WHERE source = ? ORDER BY decision_no", [s]) for s in ("快", "慢")]
    assert stored[0] == stored[1] and len(stored[0]) == 35
