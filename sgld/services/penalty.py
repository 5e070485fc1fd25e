"""行政处罚抽取: penalties read from the 行权系统, stored once, linked by
统一社会信用代码; quarantine; sources; runs.

A **run** reads one source (a configured database table or folder, or the
files given on the command line / uploaded) through an adapter of
:mod:`sgld.penalty_sources` in batches of ``BATCH_ROWS``:

1. each batch is normalised and validated vectorised (codes: full-width →
   half-width, spaces removed, upper case, GB 32100 check character computed
   with numpy; dates parsed once per distinct value), rows with a problem go
   to the quarantine with every reason (nothing is dropped);
2. the good rows are handed to DuckDB and inserted with an anti-join on
   (source, 决定书文号) — a case is stored once, so running twice imports
   nothing new; an unknown code creates its enterprise (name and legal
   representative from the record) so every penalty is linked;
3. the whole run is **one transaction**: rows, quarantine, the source's new
   watermark, the run log and **one audit row** (action ``penalty_sync``,
   object ``penalty_run``/run id, with the counts) commit together.  A failure
   midway rolls all of it back — nothing of the batch is imported and the
   watermark stays where it was — and the run is logged as 失败 (with its own
   audit row ``penalty_sync_failed``).

Never two runs at once: a process-wide lock, plus the run state recorded in
``penalty_sync_state`` (run id, owner host:pid, start), so a second caller —
the scheduler, the 立即同步 button, the command line — is refused with a
clear message; a state left by a process that died is taken over and that
run marked failed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pandas as pd

from db.connection import get_db
from sgld import audit, clock, likes, policy, uscc
from sgld import penalty_sources as ps
from sgld import validate as v
from sgld.errors import NotFound, PermissionDenied, SgldError, StateError, ValidationError
from sgld.likes import ESC
from sgld.reminders import Reminder
from sgld.security import Actor, require
from sgld.services import listeners

log = logging.getLogger(__name__)

SOURCE_FILE = "文件导入"
DEMO_SOURCE = "行权系统"
TEXT_FIELDS = ["entity_name", "legal_rep", "decision_no", "violation_type", "facts", "basis",
               "category", "content", "authority", "data_source_unit"]
STALE_HOURS = 6
QUARANTINE_STATUSES = ("待处理", "已放行", "已忽略")
MAX_WAN = 1e12  # amounts are stored as DECIMAL(18, 6) 万元

_process_lock = threading.Lock()


class SyncBusy(StateError):
    """Another run is going on (never two runs at once)."""


# -- vectorised validation ----------------------------------------------------
_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(uscc.CHARSET):
    _LUT[ord(_c)] = _i
_WEIGHTS = np.array(uscc.WEIGHTS, dtype=np.int64)
_ALLOWED = np.zeros((32, 32), dtype=bool)  # [first char index][second char index]
for _first, _kinds in uscc.AUTHORITIES.items():
    for _k in _kinds:
        _ALLOWED[uscc.CHARSET.index(_first), uscc.CHARSET.index(_k)] = True


def uscc_valid(codes: pd.Series) -> np.ndarray:
    """Boolean validity of *normalised* codes, the same rule as
    :func:`sgld.uscc.problem` (a test checks they agree), without a Python
    loop over the rows."""
    codes = codes.reset_index(drop=True)
    n = len(codes)
    ok = np.zeros(n, dtype=bool)
    lens = codes.str.len().to_numpy()
    ascii_ = codes.str.isascii().to_numpy(dtype=bool)
    idx = np.flatnonzero((lens == 18) & ascii_)
    if not len(idx):
        return ok
    mat = np.frombuffer("".join(codes.iloc[idx].tolist()).encode("ascii"),
                        dtype=np.uint8).reshape(-1, 18)
    vals = _LUT[mat]
    good = (vals != 255).all(axis=1)
    vals = np.where(vals == 255, 0, vals).astype(np.int64)
    good &= _ALLOWED[np.minimum(vals[:, 0], 31), np.minimum(vals[:, 1], 31)]
    good &= (vals[:, 2:8] < 10).all(axis=1)
    expected = (31 - (vals[:, :17] * _WEIGHTS).sum(axis=1) % 31) % 31
    good &= vals[:, 17] == expected
    ok[idx] = good
    return ok


def _normalise_codes(s: pd.Series) -> pd.Series:
    s = s.fillna("").astype(str)
    nonascii = ~s.str.isascii().to_numpy(dtype=bool)
    if nonascii.any():
        s = s.copy()
        s.iloc[np.flatnonzero(nonascii)] = s.iloc[np.flatnonzero(nonascii)].map(uscc.normalise)
    if s.str.contains(r"\s", regex=True).any():
        s = s.str.replace(r"\s+", "", regex=True)
    return s.str.upper()


def _dates(s: pd.Series, label: str, required: bool, not_future: bool):
    """Parse a column once per distinct value: (datetime64 array, {row: reason})."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    vals = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[D]")
    errs: dict[int, str] = {}
    for j, u in enumerate(uniques):
        if u is None or str(u).strip() == "":
            if required:
                errs[j] = f"缺少{label}"
            continue
        try:
            vals[j] = np.datetime64(v.parse_date(str(u).strip(), label, not_future=not_future), "D")
        except ValidationError as exc:
            errs[j] = exc.message
    bad: dict[int, str] = {}
    if errs:
        for i in np.flatnonzero(np.isin(codes, list(errs))):
            bad[int(i)] = errs[int(codes[i])]
    return vals[codes], bad


def _money(s: pd.Series, label: str):
    t = s.str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    num = pd.to_numeric(t.where(t != ""), errors="coerce")
    bad: dict[int, str] = {}
    for i in np.flatnonzero(((t != "") & num.isna()).to_numpy(dtype=bool)):
        bad[int(i)] = f"{label}不是有效金额：{s.iloc[i]}"
    for i in np.flatnonzero((num < 0).fillna(False).to_numpy(dtype=bool)):
        bad[int(i)] = f"{label}不能为负数：{s.iloc[i]}"
    for i in np.flatnonzero((num >= MAX_WAN).fillna(False).to_numpy(dtype=bool)):
        bad[int(i)] = f"{label}超出可记录的范围（应小于 {MAX_WAN:.0f} 万元）：{s.iloc[i]}"
    return num.to_numpy(dtype="float64", na_value=np.nan), bad


def clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Normalise and validate a batch.  Returns the good rows (our columns,
    typed) and {row position: [reasons]} for the others."""
    frame = frame.reset_index(drop=True)
    problems: dict[int, list[str]] = defaultdict(list)
    out = pd.DataFrame(index=frame.index)
    for k in TEXT_FIELDS:
        out[k] = frame[k].fillna("").astype(str).str.strip()
    code = _normalise_codes(frame["uscc"])
    out["uscc"] = code
    ok = uscc_valid(code)
    for i in np.flatnonzero(~ok):
        problems[int(i)].append(uscc.problem(code.iloc[i]) or "统一社会信用代码无效")
    for k, reason in (("decision_no", "缺少行政处罚决定书文号"), ("entity_name", "缺少行政相对人名称")):
        for i in np.flatnonzero((out[k] == "").to_numpy(dtype=bool)):
            problems[int(i)].append(reason)
    for k, required, not_future in (("decision_date", True, True), ("valid_until", False, False),
                                    ("publish_until", False, False)):
        vals, bad = _dates(frame[k].fillna("").astype(str), ps.LABELS[k], required, not_future)
        out[k] = vals
        for i, r in bad.items():
            problems[i].append(r)
    for k in ("fine_wan", "confiscation_wan"):
        vals, bad = _money(frame[k].fillna("").astype(str).str.strip(), ps.LABELS[k])
        out[k] = vals
        for i, r in bad.items():
            problems[i].append(r)
    out["_row"] = frame["_row"].to_numpy() if "_row" in frame else np.arange(len(frame))
    if problems:
        out = out.drop(index=list(problems))
    return out, dict(problems)


# -- storing a batch -----------------------------------------------------------
_INSERT_COLS = ("source, decision_no, uscc, enterprise_id, entity_name, legal_rep, violation_type,"
                " facts, basis, category, content, fine_wan, confiscation_wan, decision_date,"
                " valid_until, publish_until, authority, data_source_unit, imported_at, run_id")


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


def _raw_of(frame: pd.DataFrame, i: int, headers: dict[str, str]) -> dict:
    return {headers[k]: ("" if pd.isna(frame.at[i, k]) else str(frame.at[i, k]))
            for k in headers if k in frame.columns}


def _store_bad(cur, run_id: int, source: str, bad: list[dict], now) -> tuple[int, int]:
    """Quarantine rows; a row already in the quarantine (same source and
    content) is a duplicate.  Returns (quarantined, duplicates)."""
    if not bad:
        return 0, 0
    rows = []
    for b in bad:
        raw_json = json.dumps(b["raw"], ensure_ascii=False, sort_keys=True)
        rows.append({"location": b["location"], "raw_json": raw_json,
                     "raw_hash": hashlib.sha256(raw_json.encode("utf-8")).hexdigest(),
                     "reason": b["reason"]})
    n = _insert_quarantine(cur, run_id, source, now, pd.DataFrame(rows).drop_duplicates("raw_hash"))
    return n, len(bad) - n


def _insert_quarantine(cur, run_id: int, source: str, now, _pen_bad) -> int:
    """Quarantine the rows of ``_pen_bad`` not yet quarantined for the source
    (replacement scan, see :func:`_store_stage`); returns how many."""
    return int(cur.execute(
        "INSERT INTO penalty_quarantine (run_id, source, location, raw_json, raw_hash, reason,"
        " status, created_at) SELECT ?, ?, q.location, q.raw_json, q.raw_hash, q.reason, '待处理', ?"
        " FROM _pen_bad q WHERE NOT EXISTS (SELECT 1 FROM penalty_quarantine x"
        "                   WHERE x.source = ? AND x.raw_hash = q.raw_hash)",
        [run_id, source, now, source]).fetchone()[0])


_WS = " \t\r\n\u3000\u00a0"
_DATE_FIELDS = (("decision_date", True, True), ("valid_until", False, False),
                ("publish_until", False, False))


def _arrow_uscc_ok(code) -> np.ndarray:
    """:func:`uscc_valid` on an Arrow string array, reading its buffers."""
    import pyarrow as pa
    n = len(code)
    ok = np.zeros(n, dtype=bool)
    if n == 0:
        return ok
    off_t = np.int64 if pa.types.is_large_string(code.type) else np.int32
    bufs = code.buffers()
    offsets = np.frombuffer(bufs[1], dtype=off_t)[code.offset:code.offset + n + 1].astype(np.int64)
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
    created = cur.execute(
        "INSERT INTO enterprise (uscc, name, legal_rep, created_at)"
        " SELECT b.uscc, arg_min(b.entity_name, b._seq), arg_min(NULLIF(b.legal_rep, ''), b._seq), ?"
        " FROM _pen_good b WHERE b.uscc NOT IN ("
        "   SELECT e.uscc FROM enterprise e WHERE e.uscc IN (SELECT uscc FROM _pen_good))"
        " GROUP BY b.uscc", [now]).fetchone()[0]
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
        [source, now, run_id, source]).fetchone()[0]
    return int(imported), int(good) - int(imported), int(created)


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
            "也未写入待处理数据。")


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
                bad.append({"location": batch.location(sub.at[i, "_row"]),
                            "raw": _raw_of(sub, i, batch.headers), "reason": "；".join(reasons)})
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


# -- runs ----------------------------------------------------------------------
def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str | None) -> bool:
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # another server: trust its claim until it goes stale
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def _begin(actor, source: str, trigger: str) -> int:
    def tx(cur):
        run_id, owner, started = cur.execute(
            "SELECT run_id, owner, started_at FROM penalty_sync_state WHERE singleton = 1").fetchone()
        now = clock.now()
        if run_id is not None:
            fresh = started is not None and now - started < timedelta(hours=STALE_HOURS)
            if owner != _owner() and _alive(owner) and fresh:
                raise SyncBusy(f"已有行政处罚抽取正在运行（第 {run_id} 次，开始于 {started:%Y-%m-%d %H:%M:%S}），"
                                 "同一时间只运行一个抽取任务，请稍后再试。")
            cur.execute("UPDATE penalty_run SET status = '失败', ended_at = ?,"
                        " error = '运行被中断（进程已退出或超时），本次未导入任何数据。'"
                        " WHERE id = ? AND status = '运行中'", [now, run_id])
        new_id = cur.execute(
            "INSERT INTO penalty_run (source, trigger, started_at, status, started_by)"
            " VALUES (?, ?, ?, '运行中', ?) RETURNING id",
            [source, trigger, now, getattr(actor, "username", None) or "system"]).fetchone()[0]
        cur.execute("UPDATE penalty_sync_state SET run_id = ?, owner = ?, started_at = ?"
                    " WHERE singleton = 1", [new_id, _owner(), now])
        return new_id
    return get_db().write(tx)


def _fail(actor, run_id: int, source: str, exc: BaseException) -> None:
    message = str(exc) if isinstance(exc, SgldError) else f"内部错误：{type(exc).__name__}: {exc}"

    def tx(cur):
        now = clock.now()
        cur.execute("UPDATE penalty_run SET status = '失败', ended_at = ?, error = ?,"
                    " rows_read = 0, imported = 0, duplicates = 0, quarantined = 0 WHERE id = ?",
                    [now, message[:2000], run_id])
        cur.execute("UPDATE penalty_sync_state SET run_id = NULL, owner = NULL, started_at = NULL,"
                    " last_end = ? WHERE singleton = 1 AND run_id = ?", [now, run_id])
        audit.record(cur, actor, "penalty_sync_failed", "penalty_run", run_id,
                     after={"source": source, "error": message[:500]})
    try:
        get_db().write(tx)
    except Exception:  # noqa: BLE001 - never hide the original failure
        log.exception("could not record the failure of penalty run %s", run_id)


def _run(actor, source: str, trigger: str, make_adapter, *, watermark_of=None,
         wait: float = 0, notify=None, also=None) -> dict:
    """Execute one run (see the module docstring).  ``make_adapter()`` is
    called after the run is registered; ``watermark_of(adapter)`` gives the
    new watermark JSON to store on the source (None: leave it).  ``wait``:
    seconds to wait for a run in progress in this process (0: refuse at
    once); ``notify``: how the listeners are told (default: before return);
    ``also(cur)``: more work committed with the import (or not at all)."""
    got = _process_lock.acquire(timeout=wait) if wait else _process_lock.acquire(blocking=False)
    if not got:
        raise SyncBusy("已有行政处罚抽取正在运行，同一时间只运行一个抽取任务，请稍后再试。")
    try:
        run_id = _begin(actor, source, trigger)
        counts = {"rows_read": 0, "imported": 0, "duplicates": 0, "quarantined": 0,
                  "enterprises_created": 0}
        db = get_db()
        try:
            with db.transaction() as cur:
                adapter = make_adapter()
                _import_batches(cur, run_id, source, adapter, counts)
                detail = dict(getattr(adapter, "detail", {}) or {})
                new_wm = watermark_of(adapter) if watermark_of else None
                if watermark_of is not None:
                    old = cur.execute("SELECT watermark FROM penalty_source WHERE name = ?",
                                      [source]).fetchone()
                    detail["watermark_before"] = ps.load_json(old[0]) if old else None
                    detail["watermark_after"] = new_wm
                    cur.execute("UPDATE penalty_source SET watermark = ?, updated_at = ? WHERE name = ?",
                                [json.dumps(new_wm, ensure_ascii=False) if new_wm else None,
                                 clock.now(), source])
                now = clock.now()
                cur.execute(
                    "UPDATE penalty_run SET status = '完成', ended_at = ?, rows_read = ?, imported = ?,"
                    " duplicates = ?, quarantined = ?, detail = ? WHERE id = ?",
                    [now, counts["rows_read"], counts["imported"], counts["duplicates"],
                     counts["quarantined"], json.dumps(detail, ensure_ascii=False, default=str), run_id])
                cur.execute("UPDATE penalty_sync_state SET run_id = NULL, owner = NULL,"
                            " started_at = NULL, last_end = ? WHERE singleton = 1", [now])
                audit.record(cur, actor, "penalty_sync", "penalty_run", run_id,
                             after={"source": source, "trigger": trigger, **counts,
                                    "watermark": detail.get("watermark_after")})
                if also is not None:
                    also(cur)
        except BaseException as exc:
            _fail(actor, run_id, source, exc)
            if isinstance(exc, (SgldError, KeyboardInterrupt, SystemExit)):
                raise
            log.exception("penalty run %s failed", run_id)
            raise StateError(f"抽取失败（批次 {run_id}），本批次未导入任何数据，增量位置未变："
                             f"{type(exc).__name__}: {exc}") from exc
        result = {"run_id": run_id, "source": source, "status": "完成", **counts}
        if counts["imported"]:
            (notify or _notify)(run_id)
        return result
    finally:
        _process_lock.release()


def _notify(run_id: int) -> None:
    """Let other features react (e.g. the warning list): every listener of
    ``listeners.ON_PENALTY_SYNC`` is called after the commit."""
    for fn in listeners.ON_PENALTY_SYNC:
        try:
            fn(run_id)
        except Exception:  # noqa: BLE001 - a listener never undoes the import
            log.exception("on_penalty_sync listener %s failed", fn.__module__)


_soon = threading.Condition()
_soon_state: dict = {"run": None, "thread": None, "last": 0.0, "first": 0.0}
SOON_QUIET_S = 1.0   # listeners run once no API run came for this long …
SOON_MAX_S = 10.0    # … or at the latest this long after the first waiting run


def _notify_soon(run_id: int) -> None:
    """The listeners of API runs (the 行权系统 posting batch after batch) run
    in one background thread once the calls pause (``SOON_QUIET_S``, at most
    ``SOON_MAX_S`` late), covering every run committed before: the warning
    list is recomputed once for a burst of calls instead of once per call.
    Nothing is missed meanwhile: the recomputation is incremental and
    idempotent, and the warning list's readers bring it up to date first
    (``warning.ensure_current``)."""
    import time as _time
    with _soon:
        now = _time.monotonic()
        if _soon_state["run"] is None:
            _soon_state["first"] = now
        _soon_state["run"], _soon_state["last"] = run_id, now
        _soon.notify()
        t = _soon_state["thread"]
        if t is None or not t.is_alive():
            t = threading.Thread(target=_soon_worker, name="penalty-notify", daemon=True)
            _soon_state["thread"] = t
            t.start()


def _soon_worker() -> None:
    import time as _time
    while True:
        with _soon:
            if _soon_state["run"] is None:
                _soon.wait(timeout=30)
                if _soon_state["run"] is None:
                    _soon_state["thread"] = None
                    return
            now = _time.monotonic()
            due = min(_soon_state["last"] + SOON_QUIET_S, _soon_state["first"] + SOON_MAX_S)
            if now < due:
                _soon.wait(timeout=due - now)
                continue
            run_id, _soon_state["run"] = _soon_state["run"], None
        try:
            _notify(run_id)
        except Exception:  # noqa: BLE001 - never stops the worker
            log.exception("penalty listeners after run %s failed", run_id)


def _require_sync(actor: Actor | None, action: str) -> None:
    """``None`` is the system itself (command line, scheduler)."""
    if actor is not None:
        require(actor, "admin", "approver", action=action)


def import_files(actor: Actor | None, files: list[tuple[str, object]], *, source: str = SOURCE_FILE,
                 trigger: str = "命令行") -> dict:
    """Import whole .csv/.xlsx files (paths or bytes) as one run."""
    if actor is not None:
        require(actor, "admin", action="导入行政处罚数据")
    if not files:
        raise ValidationError("请选择要导入的行政处罚文件。")
    source = v.text(source, "数据源名称", max_len=40)
    for name, _ in files:
        if not isinstance(name, str) or not name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(f"文件“{name}”的类型不支持：行政处罚数据只接受 .csv 或 .xlsx 文件。")
    return _run(actor, source, trigger, lambda: ps.FileAdapter(files))


MAX_RECORDS = 5000  # rows of one API call


def import_records(actor: Actor, records: list[dict], *, source: str, also=None) -> dict:
    """Penalties posted by the 行权系统 through the HTTP API: the rows of one
    call are one run, with the same validation, quarantine, de-duplication
    (source, 决定书文号), audit row and warning-list recomputation as a file
    import.  Same roles as 立即同步.  ``also(cur)`` runs inside the import's
    transaction (the API stores the call's nonce with it: one commit fewer)."""
    _require_sync(actor, "推送行政处罚数据")
    if not records:
        raise ValidationError("请提供至少一条行政处罚记录。")
    if len(records) > MAX_RECORDS:
        raise ValidationError(f"一次最多推送 {MAX_RECORDS} 条行政处罚记录（当前 {len(records)} 条），请分批推送。")
    source = v.text(source, "数据源名称", max_len=40)
    adapter = ps.RecordsAdapter(records)
    adapter.fields()  # missing required fields: refused before any run is logged
    # concurrent calls queue for the one run at a time (up to 30 s) instead of
    # being refused; the warning list is brought up to date once the calls pause
    return _run(actor, source, "接口推送", lambda: adapter, wait=30, notify=_notify_soon, also=also)


def sync_source(actor: Actor | None, name: str, trigger: str = "立即同步") -> dict:
    """One incremental run of a configured source."""
    _require_sync(actor, "同步行政处罚数据")
    src = _source_row(name)
    if not src["enabled"]:
        raise StateError(f"数据源“{name}”已停用。")
    wm = ps.load_json(src["watermark"])
    if src["kind"] == "sql":
        mapping = json.loads(src["column_mapping"] or "{}")
        if ps.is_sqlite_path_missing(src["location"]):
            def missing():
                raise ValidationError(f"数据源“{name}”的数据库文件不存在：{src['location']}")
            return _run(actor, name, trigger, missing)
        return _run(actor, name, trigger,
                    lambda: ps.SqlAdapter(src["location"], src["table_name"], mapping,
                                          src["watermark_column"], wm),
                    watermark_of=lambda a: a.new_watermark)
    holder: dict = {}

    def make():
        files, new = ps.folder_files(src["location"], wm)
        holder["wm"] = new
        return ps.FileAdapter(files)
    return _run(actor, name, trigger, make, watermark_of=lambda a: holder.get("wm"))


def sync_all(actor: Actor | None, trigger: str = "立即同步") -> list[dict]:
    """Every enabled source, one run each; a failing source does not stop
    the others (its run is logged as 失败 and reported in the result)."""
    _require_sync(actor, "同步行政处罚数据")
    if _process_lock.locked():
        raise SyncBusy("已有行政处罚抽取正在运行，同一时间只运行一个抽取任务，请稍后再试。")
    out = []
    for name in [r[0] for r in get_db().all(
            "SELECT name FROM penalty_source WHERE enabled ORDER BY name")]:
        try:
            out.append(sync_source(actor, name, trigger))
        except SyncBusy:
            raise
        except SgldError as exc:
            out.append({"source": name, "status": "失败", "error": str(exc), "rows_read": 0,
                        "imported": 0, "duplicates": 0, "quarantined": 0})
    return out


def summary_line(results: list[dict]) -> str:
    total = {k: sum(r.get(k, 0) for r in results) for k in ("rows_read", "imported", "duplicates",
                                                             "quarantined")}
    return (f"read={total['rows_read']} imported={total['imported']} "
            f"duplicates={total['duplicates']} quarantined={total['quarantined']}")


def sync_status() -> dict:
    """Whether a run is going on now, and the last run."""
    db = get_db()
    run_id, owner, started, last_end = db.one(
        "SELECT run_id, owner, started_at, last_end FROM penalty_sync_state")
    last = db.dicts("SELECT * FROM penalty_run ORDER BY id DESC LIMIT 1")
    return {"running": run_id is not None, "run_id": run_id, "started_at": started,
            "last_end": last_end, "last_run": last[0] if last else None}


# -- sources ---------------------------------------------------------------------
def _source_row(name: str) -> dict:
    rows = get_db().dicts("SELECT * FROM penalty_source WHERE name = ?", [name])
    if not rows:
        raise NotFound(f"数据源“{name}”不存在。")
    return rows[0]


def list_sources(actor: Actor) -> list[dict]:
    require(actor, "admin", "approver", "leader", action="查看行政处罚数据源")
    rows = get_db().dicts("SELECT * FROM penalty_source ORDER BY name")
    for r in rows:
        r["mapping"] = json.loads(r["column_mapping"] or "{}")
        r["watermark_text"] = ps.describe_watermark(ps.load_json(r["watermark"]))
    return rows


def save_source(actor: Actor, *, name: str, kind: str, location: str, table_name: str | None = None,
                watermark_column: str | None = None, column_mapping: dict | str | None = None,
                enabled: bool = True) -> None:
    """Create or update a source (the watermark is kept)."""
    require(actor, "admin", action="维护行政处罚数据源")
    name = v.text(name, "数据源名称", max_len=40)
    kind = v.choice(kind, ["file", "sql"], "数据源类型")
    location = v.text(location, "连接地址或目录", max_len=500)
    table_name = v.text(table_name, "表名", required=(kind == "sql"), max_len=120)
    watermark_column = v.text(watermark_column, "增量字段", required=False, max_len=120)
    if isinstance(column_mapping, str):
        try:
            column_mapping = json.loads(column_mapping or "{}")
        except json.JSONDecodeError:
            raise ValidationError("列映射应为 JSON 对象，例如 {\"decision_no\": \"CF_WSH\"}。") from None
    if not isinstance(column_mapping or {}, dict):
        raise ValidationError("列映射应为 JSON 对象。")
    mapping = {k: str(val).strip() for k, val in (column_mapping or {}).items() if str(val or "").strip()}
    if kind == "sql":
        if not watermark_column:
            raise ValidationError("数据库数据源须指定增量字段（单调递增的编号或更新时间），才能只读取新数据。")
        ps.SqlAdapter(location, table_name, mapping, watermark_column, None)  # validates the mapping
        if not location.split(":", 1)[0] or "://" not in location:
            raise ValidationError("连接地址应为 SQLAlchemy 格式，例如 sqlite:////srv/xq.sqlite 或"
                                  " postgresql+psycopg://user:pass@host/db。")

    def tx(cur):
        before = cur.execute("SELECT kind, location, table_name, watermark_column, column_mapping,"
                             " enabled FROM penalty_source WHERE name = ?", [name]).fetchone()
        now = clock.now()
        mj = json.dumps(mapping, ensure_ascii=False) if kind == "sql" else None
        if before is None:
            cur.execute("INSERT INTO penalty_source (name, kind, location, table_name, watermark_column,"
                        " column_mapping, enabled, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [name, kind, location, table_name, watermark_column, mj, enabled, now, now])
        else:
            cur.execute("UPDATE penalty_source SET kind = ?, location = ?, table_name = ?,"
                        " watermark_column = ?, column_mapping = ?, enabled = ?, updated_at = ?"
                        " WHERE name = ?",
                        [kind, location, table_name, watermark_column, mj, enabled, now, name])
        keys = ("kind", "location", "table_name", "watermark_column", "column_mapping", "enabled")
        audit.record(cur, actor, "create" if before is None else "update", "penalty_source", name,
                     before=None if before is None else dict(zip(keys, before)),
                     after=dict(zip(keys, (kind, location, table_name, watermark_column, mj, enabled))))
    get_db().write(tx)


def reset_watermark(actor: Actor, name: str) -> None:
    """Read the source from the beginning at the next run (already stored
    cases are still recognised and not imported twice)."""
    require(actor, "admin", action="重置增量位置")

    def tx(cur):
        row = cur.execute("SELECT watermark FROM penalty_source WHERE name = ?", [name]).fetchone()
        if row is None:
            raise NotFound(f"数据源“{name}”不存在。")
        cur.execute("UPDATE penalty_source SET watermark = NULL, updated_at = ? WHERE name = ?",
                    [clock.now(), name])
        audit.record(cur, actor, "reset_watermark", "penalty_source", name,
                     before={"watermark": row[0]}, after={"watermark": None})
    get_db().write(tx)


def check_source(actor: Actor, name: str) -> str:
    """Test the connection: how many rows the next run would read."""
    require(actor, "admin", action="测试数据源")
    src = _source_row(name)
    wm = ps.load_json(src["watermark"])
    if src["kind"] == "sql":
        if ps.is_sqlite_path_missing(src["location"]):
            raise ValidationError(f"数据库文件不存在：{src['location']}")
        n = ps.SqlAdapter(src["location"], src["table_name"], json.loads(src["column_mapping"] or "{}"),
                          src["watermark_column"], wm).check()
        return f"连接正常：下次同步将读取 {n} 条新记录。"
    files, _ = ps.folder_files(src["location"], wm)
    return f"目录可读：下次同步将读取 {len(files)} 个新文件。"


# -- runs and quarantine (lists) ------------------------------------------------------
RUN_LABELS = {"id": "批次", "source": "数据源", "trigger": "方式", "started_at": "开始时间",
              "ended_at": "结束时间", "status": "状态", "rows_read": "读取", "imported": "导入",
              "duplicates": "重复", "quarantined": "隔离", "error": "错误", "started_by": "发起人"}


def list_runs(actor: Actor, limit: int = 500) -> pd.DataFrame:
    require(actor, "admin", "approver", "leader", action="查看抽取记录")
    return get_db().df(f"SELECT {', '.join(RUN_LABELS)} FROM penalty_run ORDER BY id DESC LIMIT ?",
                       [int(limit)]).rename(columns=RUN_LABELS)


Q_LABELS = {"id": "编号", "run_id": "批次", "source": "数据源", "location": "位置", "reason": "原因",
            "status": "状态", "created_at": "隔离时间", "handled_by": "处理人", "handled_at": "处理时间",
            "note": "处理说明", "raw_json": "原始数据"}


def list_quarantine(actor: Actor, *, status: str | None = "待处理", run_id: int | None = None,
                    limit: int = 5000) -> pd.DataFrame:
    """Quarantined rows with their reasons (downloadable per run)."""
    require(actor, "admin", "approver", "leader", action="查看隔离数据")
    sql = f"SELECT {', '.join(Q_LABELS)} FROM penalty_quarantine WHERE 1=1"
    params: list = []
    if status:
        sql += " AND status = ?"
        params.append(v.choice(status, QUARANTINE_STATUSES, "状态"))
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(int(run_id))
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(int(limit))
    return get_db().df(sql, params).rename(columns=Q_LABELS)


def quarantine_item(actor: Actor, qid: int) -> dict:
    """One quarantined row with its values mapped to our fields (for the
    correct-and-release form)."""
    require(actor, "admin", action="处理隔离数据")
    rows = get_db().dicts("SELECT * FROM penalty_quarantine WHERE id = ?", [qid])
    if not rows:
        raise NotFound("隔离记录不存在。")
    row = rows[0]
    raw = json.loads(row["raw_json"])
    values = {k: "" for k in ps.FIELDS}
    mapping = get_db().scalar("SELECT column_mapping FROM penalty_source WHERE name = ? AND kind = 'sql'",
                              [row["source"]])
    try:
        headers = json.loads(mapping) if mapping else ps.match_headers(list(raw))
    except ValidationError:
        headers = {}
    for k, header in headers.items():
        if k in values and header in raw:
            values[k] = raw[header]
    row["raw"] = raw
    row["values"] = values
    return row


def release(actor: Actor, qid: int, values: dict[str, str], note: str | None = None) -> int:
    """Correct a quarantined row and import it; returns the penalty id."""
    require(actor, "admin", action="修正并放行隔离数据")
    note = v.text(note, "处理说明", required=False, max_len=200)
    frame = pd.DataFrame([{k: str(values.get(k) or "") for k in ps.FIELDS} | {"_row": 1}])
    good, problems = clean(frame)
    if problems:
        raise ValidationError("修正后仍有问题：" + "；".join(problems[0]) + "。")
    rec = good.iloc[0]

    def tx(cur):
        row = cur.execute("SELECT status, source, reason FROM penalty_quarantine WHERE id = ?",
                          [qid]).fetchone()
        if row is None:
            raise NotFound("隔离记录不存在。")
        if row[0] != "待处理":
            raise StateError(f"该隔离记录已处理（{row[0]}），不能重复放行。")
        source = row[1]
        if cur.execute("SELECT 1 FROM penalty WHERE source = ? AND decision_no = ?",
                       [source, rec["decision_no"]]).fetchone():
            raise ValidationError(f"决定书文号“{rec['decision_no']}”在数据源“{source}”中已存在，"
                                  "无需放行；如确认是重复数据，请选择“忽略”。")
        from sgld.services import enterprises
        eid = enterprises.ensure(cur, actor, rec["uscc"], rec["entity_name"], rec["legal_rep"] or None)
        now = clock.now()

        def d(x):
            return None if pd.isna(x) else pd.Timestamp(x).date()

        def m(x):
            return None if pd.isna(x) else round(float(x), 6)
        pid = cur.execute(
            f"INSERT INTO penalty ({_INSERT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, (SELECT run_id FROM penalty_quarantine WHERE id = ?)) RETURNING id",
            [source, rec["decision_no"], rec["uscc"], eid, rec["entity_name"],
             rec["legal_rep"] or None, rec["violation_type"] or None, rec["facts"] or None,
             rec["basis"] or None, rec["category"] or None, rec["content"] or None,
             m(rec["fine_wan"]), m(rec["confiscation_wan"]), d(rec["decision_date"]),
             d(rec["valid_until"]), d(rec["publish_until"]), rec["authority"] or None,
             rec["data_source_unit"] or None, now, qid]).fetchone()[0]
        cur.execute("UPDATE penalty_quarantine SET status = '已放行', handled_at = ?, handled_by = ?,"
                    " note = ?, penalty_id = ? WHERE id = ?", [now, actor.username, note, pid, qid])
        audit.record(cur, actor, "release", "penalty_quarantine", qid,
                     before={"status": "待处理", "reason": row[2]},
                     after={"status": "已放行", "penalty_id": pid, "values": {k: str(values.get(k) or "")
                                                                            for k in ps.FIELDS}})
        return pid
    pid = get_db().write(tx)
    _notify(-1)
    return pid


def dismiss(actor: Actor, qid: int, note: str) -> None:
    """Mark a quarantined row as not to be imported (with the reason)."""
    require(actor, "admin", action="忽略隔离数据")
    note = v.text(note, "忽略原因", max_len=200)

    def tx(cur):
        row = cur.execute("SELECT status FROM penalty_quarantine WHERE id = ?", [qid]).fetchone()
        if row is None:
            raise NotFound("隔离记录不存在。")
        if row[0] != "待处理":
            raise StateError(f"该隔离记录已处理（{row[0]}）。")
        cur.execute("UPDATE penalty_quarantine SET status = '已忽略', handled_at = ?, handled_by = ?,"
                    " note = ? WHERE id = ?", [clock.now(), actor.username, note, qid])
        audit.record(cur, actor, "dismiss", "penalty_quarantine", qid, before={"status": "待处理"},
                     after={"status": "已忽略", "note": note})
    get_db().write(tx)


# -- penalties (lists) -------------------------------------------------------------
P_LABELS = {"id": "编号", "decision_no": "决定书文号", "entity_name": "行政相对人", "uscc": "统一社会信用代码",
            "violation_type": "违法行为类型", "category": "处罚类别", "fine_wan": "罚款（万元）",
            "decision_date": "决定日期", "authority": "处罚机关", "source": "数据源"}


def list_penalties(actor: Actor, *, text: str | None = None, date_from: date | None = None,
                   date_to: date | None = None, limit: int = 2000) -> pd.DataFrame:
    """Penalties, newest first.  Supervisors see those of the enterprises
    their department supervises or has inspected."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看行政处罚")
    if date_from and date_to and date_from > date_to:
        raise ValidationError("起始日期不能晚于结束日期。")
    sql = f"SELECT {', '.join('p.' + c for c in P_LABELS)} FROM penalty p WHERE 1=1"
    where, params = policy.enterprise_filter(actor, "p.enterprise_id")
    sql += where
    q = (text or "").strip()
    if q:
        sql += (f" AND (p.entity_name LIKE ?{ESC} OR p.uscc LIKE ?{ESC}"
                f" OR p.decision_no LIKE ?{ESC})")
        params += [likes.contains(q), likes.prefix(uscc.normalise(q)), likes.contains(q)]
    if date_from:
        sql += " AND p.decision_date >= ?"
        params.append(date_from)
    if date_to:
        sql += " AND p.decision_date <= ?"
        params.append(date_to)
    sql += " ORDER BY p.decision_date DESC, p.id DESC LIMIT ?"
    params.append(int(limit))
    return get_db().df(sql, params).rename(columns=P_LABELS)


DETAIL_LABELS = {"decision_no": "行政处罚决定书文号", "entity_name": "行政相对人名称",
                 "uscc": "统一社会信用代码", "legal_rep": "法定代表人", "violation_type": "违法行为类型",
                 "facts": "违法事实", "basis": "处罚依据", "category": "处罚类别", "content": "处罚内容",
                 "fine_wan": "罚款金额（万元）", "confiscation_wan": "没收违法所得、没收非法财物的金额（万元）",
                 "decision_date": "处罚决定日期", "valid_until": "处罚有效期", "publish_until": "公示截止期",
                 "authority": "处罚机关", "data_source_unit": "数据来源单位", "source": "数据源",
                 "imported_at": "抽取时间", "run_id": "抽取批次"}


def get_penalty(actor: Actor, penalty_id: int) -> dict:
    require(actor, "admin", "leader", "approver", "supervisor", action="查看行政处罚")
    rows = get_db().dicts("SELECT * FROM penalty WHERE id = ?", [penalty_id])
    if not rows:
        raise NotFound("行政处罚记录不存在。")
    row = rows[0]
    if not policy.sees_all_departments(actor):
        from sgld.services.profile import can_view
        if row["enterprise_id"] is None or not can_view(actor, row["enterprise_id"]):
            raise PermissionDenied("您没有权限查看该行政处罚：只能查看本部门监管或检查过的企业。")
    return row


def reminders(actor: Actor) -> list[Reminder]:
    if not actor.has("admin"):
        return []
    n = get_db().scalar("SELECT count(*) FROM penalty_quarantine WHERE status = '待处理'") or 0
    return [Reminder("penalty_quarantine", "待处理隔离数据", int(n), "admin")] if n else []
