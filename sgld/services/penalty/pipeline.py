"""The fast path of a run: each batch validated with Arrow and numpy
(:func:`_prepare`), its good rows inserted by DuckDB with anti-joins
(:func:`_store_stage`), the rows it rejects re-checked by
:func:`.rescue.clean` and quarantined with their reasons
(:func:`_store_bad`); reading and preparing overlap with storing
(:func:`_prepared_batches`).  :func:`_import_batches` does all of it for one
run's transaction."""

from __future__ import annotations

import hashlib
import json
import threading

import numpy as np
import pandas as pd

from sgld import clock, uscc
from sgld import penalty_sources as ps
from sgld import validate as v
from sgld.errors import ValidationError
from sgld.services.penalty.base import _ALLOWED, _DATE_FIELDS, _INSERT_COLS, _LUT, _WEIGHTS, MAX_WAN, TEXT_FIELDS
from sgld.services.penalty.rescue import _raw_of, clean


def _store_good(cur, run_id: int, source: str, good: pd.DataFrame, now) -> tuple[int, int, int]:
    """Insert rows accepted by :func:`clean` with the statements of the fast
    path (:func:`_store_stage`); returns (imported, duplicates, enterprises created)."""
    if good.empty:
        return 0, 0, 0
    import pyarrow as pa

    cols = {k: pa.array(good[k].tolist(), pa.string()) for k in (*TEXT_FIELDS, "uscc")}
    for k, *_ in _DATE_FIELDS:
        cols[k] = pa.array(good[k].to_numpy(dtype="datetime64[D]"), pa.date32(), from_pandas=True)
    for k in ("fine_wan", "confiscation_wan"):
        cols[k] = pa.array(good[k].to_numpy(dtype="float64"), pa.float64(), from_pandas=True)
    cols["_seq"] = pa.array(np.arange(len(good), dtype=np.int64))
    cols["first"] = pa.array(~good["decision_no"].duplicated().to_numpy())
    return _store_stage(cur, run_id, source, now, pa.Table.from_pydict(cols))


def _store_bad(cur, run_id: int, source: str, bad: list[dict], now) -> tuple[int, int]:
    """Quarantine rows; a row already in the quarantine (same source and
    content) is a duplicate.  Returns (quarantined, duplicates)."""
    if not bad:
        return 0, 0
    rows = []
    for b in bad:
        raw_json = json.dumps(b["raw"], ensure_ascii=False, sort_keys=True)
        rows.append(
            {
                "location": b["location"],
                "raw_json": raw_json,
                "raw_hash": hashlib.sha256(raw_json.encode("utf-8")).hexdigest(),
                "reason": b["reason"],
            }
        )
    n = _insert_quarantine(cur, run_id, source, now, pd.DataFrame(rows).drop_duplicates("raw_hash"))
    return n, len(bad) - n


def _insert_quarantine(cur, run_id: int, source: str, now, _pen_bad) -> int:
    """Quarantine the rows of ``_pen_bad`` not yet quarantined for the source
    (replacement scan, see :func:`_store_stage`); returns how many."""
    if getattr(cur, "dialect", None) == "postgres":
        cur.register("_pen_bad", _pen_bad)
        try:
            return _quarantine_rows(cur, run_id, source, now, _pen_bad)
        finally:
            cur.unregister("_pen_bad")
    return _quarantine_rows(cur, run_id, source, now, _pen_bad)


def _quarantine_rows(cur, run_id: int, source: str, now, _pen_bad) -> int:
    return int(
        cur.execute(
            "INSERT INTO penalty_quarantine (run_id, source, location, raw_json, raw_hash, reason,"
            " status, created_at) SELECT ?, ?, q.location, q.raw_json, q.raw_hash, q.reason, '待处理', ?"
            " FROM _pen_bad q WHERE NOT EXISTS (SELECT 1 FROM penalty_quarantine x"
            "                   WHERE x.source = ? AND x.raw_hash = q.raw_hash)",
            [run_id, source, now, source],
        ).fetchone()[0]
    )


_WS = " \t\r\n\u3000\u00a0"


def _arrow_uscc_ok(code) -> np.ndarray:
    """:func:`uscc_valid` on an Arrow string array, reading its buffers."""
    import pyarrow as pa

    n = len(code)
    ok = np.zeros(n, dtype=bool)
    if n == 0:
        return ok
    off_t = np.int64 if pa.types.is_large_string(code.type) else np.int32
    bufs = code.buffers()
    offsets = np.frombuffer(bufs[1], dtype=off_t)[code.offset : code.offset + n + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    idx = np.flatnonzero(np.diff(offsets) == 18)
    if not len(idx):
        return ok
    vals = _LUT[data[offsets[idx][:, None] + np.arange(18, dtype=np.int64)]]
    good = vals.max(axis=1) != 255
    vals[vals == 255] = 0
    good &= _ALLOWED[np.minimum(vals[:, 0], 31), np.minimum(vals[:, 1], 31)]
    good &= vals[:, 2:8].max(axis=1) < 10
    total = vals[:, :17].astype(np.int32) @ _WEIGHTS.astype(np.int32)
    good &= vals[:, 17] == (31 - total % 31) % 31
    ok[idx] = good
    return ok


def _money_arrow(col):
    """(float64 values with NaN for empty, ok mask) of a trimmed Arrow string
    column, parsed once per distinct value with the rules of :func:`_money`
    (commas allowed, not negative, below ``MAX_WAN``)."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(col)
    if hasattr(enc, "combine_chunks"):
        enc = enc.combine_chunks()
    idx = enc.indices.to_numpy(zero_copy_only=False)
    s = pd.Series(enc.dictionary.to_pylist(), dtype=object)
    t = s.str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    num = pd.to_numeric(t.where(t != ""), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    empty = (t == "").to_numpy(dtype=bool)
    good = empty | (np.isfinite(num) & (num >= 0) & (num < MAX_WAN))
    return num[idx], good[idx]


def _prepare(table):
    """Arrow/numpy part of the fast path (the same rules as :func:`clean`):
    normalised codes and their validity, required texts, dates parsed once
    per distinct value, amounts parsed once per distinct value.

    Returns ``(good, rejected)``: an Arrow table of the rows that passed,
    typed for the insert, with ``_seq`` (position in the batch) and
    ``first`` (first good row of its 决定书文号 in the batch; a later one is
    a duplicate); and the positions of the other rows, which :func:`clean`
    re-checks to give every reason."""
    import pyarrow as pa
    import pyarrow.compute as pc

    code = pc.fill_null(table.column("uscc").combine_chunks(), "")
    nonascii = pc.invert(pc.string_is_ascii(code))
    if pc.any(nonascii).as_py():
        idx = np.flatnonzero(nonascii.to_numpy(zero_copy_only=False))
        fixed = pa.array([uscc.normalise(x) for x in code.take(pa.array(idx)).to_pylist()], pa.string())
        code = pc.replace_with_mask(code, nonascii, fixed)
    code = pc.utf8_upper(pc.replace_substring_regex(code, r"\s+", ""))
    if isinstance(code, pa.ChunkedArray):
        code = code.combine_chunks()
    ok = _arrow_uscc_ok(code)
    out = {k: pc.utf8_trim_whitespace(pc.fill_null(table.column(k), "")) for k in TEXT_FIELDS}
    ok &= pc.not_equal(out["decision_no"], "").to_numpy(zero_copy_only=False)
    ok &= pc.not_equal(out["entity_name"], "").to_numpy(zero_copy_only=False)
    out["uscc"] = code
    for k, required, not_future in _DATE_FIELDS:
        col = pc.fill_null(pc.utf8_trim_whitespace(table.column(k)), "")
        uniq = pc.unique(col)
        vals, bad = [], []
        for u in uniq.to_pylist():
            if u == "":
                vals.append(None)
                bad.append(required)
                continue
            try:
                vals.append(v.parse_date(u, ps.LABELS[k], not_future=not_future))
                bad.append(False)
            except ValidationError:
                vals.append(None)
                bad.append(True)
        pos = pc.index_in(col, value_set=uniq)
        out[k] = pa.array(vals, pa.date32()).take(pos)
        ok &= ~np.asarray(bad, dtype=bool)[pos.to_numpy(zero_copy_only=False)]
    for k in ("fine_wan", "confiscation_wan"):
        num, good = _money_arrow(pc.utf8_trim_whitespace(pc.fill_null(table.column(k), "")))
        out[k] = pa.array(num, pa.float64(), from_pandas=True)  # NaN -> NULL
        ok &= good
    keep = np.flatnonzero(ok)
    rejected = np.flatnonzero(~ok)
    cols = {k: (a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a) for k, a in out.items()}
    take = pa.array(keep)
    good_cols = {k: a.take(take) for k, a in cols.items()} if len(rejected) else cols
    # first good row of each 决定书文号 (duplicates inside the batch)
    first = np.zeros(len(keep), dtype=bool)
    if len(keep):
        ids = pc.dictionary_encode(good_cols["decision_no"]).indices.to_numpy(zero_copy_only=False)
        first[np.unique(ids, return_index=True)[1]] = True
    good_cols["_seq"] = pa.array(keep.astype(np.int64))
    good_cols["first"] = pa.array(first)
    return pa.Table.from_arrays(list(good_cols.values()), names=list(good_cols)), rejected


# Batches reach DuckDB through its replacement scan: a SQL name that is no
# table resolves to a local variable of that name in the function calling
# ``execute`` (here the parameters ``_pen_good`` and ``_pen_bad``; only that
# frame is searched, so keep the call there).  Not through ``cur.register``:
# a registered frame stays referenced until the transaction ends even after
# ``unregister``, so a one-transaction run of 1,000,000 rows kept every
# batch's Arrow buffers (~500 MB) alive.
def _store_stage(cur, run_id: int, source: str, now, _pen_good) -> tuple[int, int, int]:
    """Insert the rows of ``_pen_good`` (see :func:`_prepare`):
    (imported, duplicates, enterprises created).  An unknown code creates its
    enterprise (name and legal representative of its first row); a
    决定书文号 already stored for the source, or seen earlier in the batch,
    is a duplicate (one anti-join on (source, decision_no))."""
    good = _pen_good.num_rows
    if not good:
        return 0, 0, 0
    if getattr(cur, "dialect", None) == "postgres":
        # no replacement scans: the batch becomes a temporary table (COPY)
        cur.register("_pen_good", _pen_good)
        try:
            return _store_rows(
                cur,
                run_id,
                source,
                now,
                _pen_good,
                first_row=(
                    "SELECT DISTINCT ON (b.uscc) b.uscc, b.entity_name, NULLIF(b.legal_rep, ''), ?"
                    " FROM _pen_good b WHERE b.uscc NOT IN ("
                    "   SELECT e.uscc FROM enterprise e WHERE e.uscc IN (SELECT uscc FROM _pen_good))"
                    " ORDER BY b.uscc, b._seq"
                ),
            )
        finally:
            cur.unregister("_pen_good")
    created = cur.execute(
        "INSERT INTO enterprise (uscc, name, legal_rep, created_at)"
        " SELECT b.uscc, arg_min(b.entity_name, b._seq), arg_min(NULLIF(b.legal_rep, ''), b._seq), ?"
        " FROM _pen_good b WHERE b.uscc NOT IN ("
        "   SELECT e.uscc FROM enterprise e WHERE e.uscc IN (SELECT uscc FROM _pen_good))"
        " GROUP BY b.uscc",
        [now],
    ).fetchone()[0]
    return _store_rows(cur, run_id, source, now, _pen_good, created=created)


def _store_rows(
    cur, run_id: int, source: str, now, _pen_good, *, created: int | None = None, first_row: str | None = None
) -> tuple[int, int, int]:
    """The rest of :func:`_store_stage`: the new enterprises (``first_row``
    selects them on PostgreSQL) and the penalties.  ``_pen_good`` is read by
    DuckDB's replacement scan from this frame too (a parameter of the same
    name), and is the temporary table of that name on PostgreSQL."""
    good = _pen_good.num_rows
    if first_row is not None:
        created = cur.execute(
            "INSERT INTO enterprise (uscc, name, legal_rep, created_at) " + first_row, [now]
        ).fetchone()[0]
    imported = cur.execute(
        f"INSERT INTO penalty ({_INSERT_COLS})"
        " SELECT ?, b.decision_no, b.uscc, e.id, b.entity_name, NULLIF(b.legal_rep, ''),"
        " NULLIF(b.violation_type, ''), NULLIF(b.facts, ''), NULLIF(b.basis, ''),"
        " NULLIF(b.category, ''), NULLIF(b.content, ''),"
        " CAST(b.fine_wan AS DECIMAL(18, 6)), CAST(b.confiscation_wan AS DECIMAL(18, 6)),"
        " b.decision_date, b.valid_until, b.publish_until, NULLIF(b.authority, ''),"
        " NULLIF(b.data_source_unit, ''), ?, ?"
        " FROM _pen_good b JOIN enterprise e ON e.uscc = b.uscc"
        " WHERE b.first AND b.decision_no NOT IN ("
        # the stored numbers among the batch's: a semi-join probing the
        # table with a hash of the batch (not a hash of the whole table)
        "   SELECT p.decision_no FROM penalty p WHERE p.source = ?"
        "   AND p.decision_no IN (SELECT decision_no FROM _pen_good WHERE first))",
        [source, now, run_id, source],
    ).fetchone()[0]
    return int(imported), int(good) - int(imported), int(created or 0)


_DONE = object()


def _prepared_batches(adapter):
    """``(batch, good)`` for each batch of the adapter, ``good`` as made by
    :func:`_prepare` and ``batch.frame`` reduced to the rejected rows.  Reading
    and preparing the next batch runs in a helper thread while the caller
    stores the current one (Arrow and DuckDB release the GIL, so on two
    cores the two overlap); at most one prepared batch waits.  An error of
    the reader is raised here, in the caller's thread."""
    import queue

    import pyarrow as pa

    def prepared(batch):
        good, rejected = _prepare(batch.frame) if len(batch) else (None, np.zeros(0, np.int64))
        # keep only the rejected rows of the source batch (for their raw values)
        batch.frame = batch.frame.take(pa.array(rejected, pa.int64()))
        return batch, good

    if getattr(adapter, "single_batch", False):
        # one batch (an API call): nothing to overlap, no helper thread to start
        for batch in adapter.batches():
            yield prepared(batch)
        return
    q: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for batch in adapter.batches():
                if not put(prepared(batch)):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            put(exc)

    worker = threading.Thread(target=produce, name="penalty-read", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


BAD_WINDOW = 10_000  # rows over which the share of bad rows is judged


def max_bad_share() -> float:
    """``SGLD_PENALTY_MAX_BAD_SHARE`` (0–1, default 0.5)."""
    from sgld import settings
    from sgld.errors import ConfigError

    raw = str(settings.get().get("PENALTY_MAX_BAD_SHARE", "0.5")).strip() or "0.5"
    try:
        share = float(raw)
    except ValueError:
        raise ConfigError(f"配置项 SGLD_PENALTY_MAX_BAD_SHARE 应为 0 到 1 之间的小数，当前为 {raw!r}") from None
    if not 0 <= share <= 1:
        raise ConfigError(f"配置项 SGLD_PENALTY_MAX_BAD_SHARE 应为 0 到 1 之间的小数，当前为 {raw!r}")
    return share


def _check_bad_share(counts: dict, bad_rows: int, limit: float) -> None:
    """Once the first ``BAD_WINDOW`` rows are read, stop a run whose rows are
    mostly unreadable or invalid (a wrong or damaged file) instead of
    quarantining all of it."""
    read = counts["rows_read"]
    if read and bad_rows / read > limit:
        raise ValidationError(
            f"前 {read} 行中有 {bad_rows} 行（{bad_rows / read:.0%}）无法读取或无效，超过允许的"
            f" {limit:.0%}：文件可能不是双公示行政处罚格式或已损坏。本批次已停止，未导入任何数据，"
            "也未写入待处理数据。"
        )


def _import_batches(cur, run_id: int, source: str, adapter, counts: dict) -> None:
    """Fast path per batch: Arrow/numpy validation (:func:`_prepare`), then
    the good rows are handed to DuckDB and inserted with anti-joins.
    The rows it rejects are re-checked by the reference :func:`clean`, which
    gives the reasons (and would rescue a row the fast path misjudged).
    When the first ``BAD_WINDOW`` rows hold more bad rows than
    :func:`max_bad_share` allows, the run stops (nothing is written)."""
    now = clock.now()
    limit = max_bad_share()
    checked = False
    bad_total = 0
    for batch, good in _prepared_batches(adapter):
        bad = list(batch.bad)
        counts["rows_read"] += len(bad) + len(batch) + (good.num_rows if good is not None else 0)
        rescued = None
        if good is not None and len(batch):
            sub = batch.frame.to_pandas()
            rescued, problems = clean(sub)
            for i, reasons in problems.items():
                bad.append(
                    {
                        "location": batch.location(sub.at[i, "_row"]),
                        "raw": _raw_of(sub, i, batch.headers),
                        "reason": "；".join(reasons),
                    }
                )
            del sub
        bad_total += len(bad)
        if not checked and counts["rows_read"] >= BAD_WINDOW:
            checked = True
            _check_bad_share(counts, bad_total, limit)
        if good is not None:
            imp, dup, created = _store_stage(cur, run_id, source, now, good)
            del good
            if rescued is not None and len(rescued):
                i2, d2, c2 = _store_good(cur, run_id, source, rescued, now)
                imp, dup, created = imp + i2, dup + d2, created + c2
            counts["imported"] += imp
            counts["duplicates"] += dup
            counts["enterprises_created"] += created
        q, qdup = _store_bad(cur, run_id, source, bad, now)
        counts["duplicates"] += qdup
        counts["quarantined"] += q
