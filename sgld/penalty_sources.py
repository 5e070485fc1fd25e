"""Where administrative penalties are read from (the 行权系统's exports).

Two adapters yield the rows of a run in bounded batches, as DataFrames of
strings whose columns are our field names (:data:`FIELDS`), plus the rows
that could not be read at all (with the reason):

* :class:`FileAdapter` — .csv / .xlsx files in the national 双公示
  administrative-penalty layout.  Headers are matched tolerantly
  (full-/half-width brackets, spaces; see :func:`sgld.tabular.norm_header`);
  CSV encodings UTF-8 with or without BOM, GBK and GB18030 are detected from
  the first megabyte.  CSV is streamed with pyarrow (the encoding is
  transcoded block by block), so a million-row file never sits in memory;
  .xlsx is streamed with openpyxl's read-only mode.
* :class:`SqlAdapter` — a table or view of a relational database read
  through SQLAlchemy (SQLite built in; PostgreSQL/MySQL with their drivers),
  with a configurable column mapping and an incremental watermark column.

Validation and storage are in :mod:`sgld.services.penalty` (its :mod:`.pipeline`
and :mod:`.rescue`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from sgld.errors import ValidationError
from sgld.tabular import norm_header

BATCH_ROWS = 50_000
FETCH_ROWS = 10_000  # rows fetched from a database source at a time
SAMPLE_BYTES = 1 << 20

# field -> (Chinese label, accepted headers; the first is the national layout's)
FIELDS: dict[str, tuple[str, list[str]]] = {
    "entity_name": ("行政相对人名称", ["行政相对人名称", "当事人名称", "企业名称"]),
    "uscc": (
        "统一社会信用代码",
        ["行政相对人代码_1(统一社会信用代码)", "行政相对人代码_1", "统一社会信用代码", "社会信用代码"],
    ),
    "legal_rep": ("法定代表人", ["法定代表人", "法定代表人姓名"]),
    "decision_no": ("行政处罚决定书文号", ["行政处罚决定书文号", "处罚决定书文号", "决定书文号"]),
    "violation_type": ("违法行为类型", ["违法行为类型"]),
    "facts": ("违法事实", ["违法事实"]),
    "basis": ("处罚依据", ["处罚依据"]),
    "category": ("处罚类别", ["处罚类别"]),
    "content": ("处罚内容", ["处罚内容"]),
    "fine_wan": ("罚款金额（万元）", ["罚款金额(万元)", "罚款金额"]),
    "confiscation_wan": (
        "没收违法所得、没收非法财物的金额（万元）",
        ["没收违法所得、没收非法财物的金额(万元)", "没收违法所得、没收非法财物的金额", "没收金额(万元)"],
    ),
    "decision_date": ("处罚决定日期", ["处罚决定日期", "决定日期"]),
    "valid_until": ("处罚有效期", ["处罚有效期"]),
    "publish_until": ("公示截止期", ["公示截止期"]),
    "authority": ("处罚机关", ["处罚机关"]),
    "data_source_unit": ("数据来源单位", ["数据来源单位"]),
}
REQUIRED = ["entity_name", "uscc", "decision_no", "decision_date"]
LABELS = {k: v[0] for k, v in FIELDS.items()}


@dataclass
class Batch:
    frame: "pa.Table"  # our field names (strings) + "_row" (line number or source key)
    headers: dict[str, str]  # field -> the source's column name (for the raw JSON)
    bad: list[dict] = field(default_factory=list)  # {"location", "raw", "reason"}
    loc_fmt: str = "{row}"  # location text of a row, from its "_row"

    def location(self, row) -> str:
        return self.loc_fmt.format(row=row)

    def __len__(self) -> int:
        return self.frame.num_rows


def arrow_table(columns: dict, rows: object, n: int) -> "pa.Table":
    """An Arrow table with every field of FIELDS as strings ("" when the
    source has no such column) and ``_row``."""
    arrays, names = [], []
    for k in FIELDS:
        col = columns.get(k)
        if col is None:
            col = pa.repeat("", n)
        elif not isinstance(col, (pa.Array, pa.ChunkedArray)):
            col = pa.array(col, type=pa.string())
        arrays.append(col)
        names.append(k)
    arrays.append(rows if isinstance(rows, (pa.Array, pa.ChunkedArray)) else pa.array(rows))
    names.append("_row")
    return pa.Table.from_arrays(arrays, names=names)


def match_headers(columns: list[str]) -> dict[str, str]:
    """field -> source column; raises ValidationError naming the expected headers."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm_header(c), c)
    found: dict[str, str] = {}
    for key, (_, headers) in FIELDS.items():
        for h in headers:
            if norm_header(h) in by_norm:
                found[key] = by_norm[norm_header(h)]
                break
    missing = [LABELS[k] for k in REQUIRED if k not in found]
    if missing:
        expected = "、".join(FIELDS[k][1][0] for k in REQUIRED)
        raise ValidationError(
            f"没有找到可识别的表头：缺少 {'、'.join(missing)}。行政处罚文件应采用国家“双公示”行政处罚"
            f"数据格式，首行为列名，至少包含：{expected}。"
        )
    return found


# -- encodings --------------------------------------------------------------
def detect_encoding(sample: bytes) -> str:
    """'utf8' (BOM or not) or 'gb18030' (a superset of GBK); judged on a
    sample, a multi-byte character cut at its end is allowed."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf8"
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return "utf8" if enc == "utf-8" else enc
        except UnicodeDecodeError:
            continue
    raise ValidationError("无法识别文件编码：行政处罚文件应为 UTF-8（含或不含 BOM）、GBK 或 GB18030 编码的 CSV。")


def _first_line(sample: bytes, encoding: str) -> list[str]:
    text = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf8" else encoding)(errors="replace").decode(
        sample, final=False
    )
    line = text.splitlines()[0] if text else ""
    try:
        return next(csv.reader([line]))
    except StopIteration:
        return []


# -- files --------------------------------------------------------------------
def _cell(v) -> str:
    if v is None or v is pd.NaT or v is pd.NA:
        return ""
    if isinstance(v, float) and v != v:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class FileAdapter:
    """Reads whole files (command line, uploads, a configured folder)."""

    def __init__(self, files: list[tuple[str, object]], batch_rows: int | None = None):
        # each file: (display name, path or bytes)
        self.files = files
        self.batch_rows = batch_rows or BATCH_ROWS
        self.detail: dict = {"files": []}

    def batches(self) -> Iterator[Batch]:
        for name, content in self.files:
            lower = name.lower()
            if lower.endswith(".csv"):
                yield from self._csv(name, content)
            elif lower.endswith(".xlsx"):
                yield from self._xlsx(name, content)
            else:
                raise ValidationError(f"文件“{name}”的类型不支持：行政处罚数据只接受 .csv 或 .xlsx 文件。")

    @staticmethod
    def _open(content) -> io.BufferedIOBase:
        if isinstance(content, (bytes, bytearray)):
            return io.BytesIO(content)
        path = Path(content)
        if not path.is_file():
            raise ValidationError(f"文件不存在：{path}")
        return open(path, "rb")

    def _csv(self, name: str, content) -> Iterator[Batch]:
        import pyarrow.csv as pacsv

        with self._open(content) as fh:
            sample = fh.read(SAMPLE_BYTES)
        if not sample.strip():
            raise ValidationError(f"文件“{name}”是空文件。")
        encoding = detect_encoding(sample)
        columns = [c.strip() for c in _first_line(sample, encoding)]
        try:
            headers = match_headers(columns)
        except ValidationError as exc:
            raise ValidationError(f"文件“{name}”：{exc.message}") from None
        bad: list[dict] = []
        bad_lines: set[int] = set()

        def on_bad(row) -> str:
            reason = f"无法读取：列数不符（应为 {row.expected_columns} 列，实际 {row.actual_columns} 列）"
            if row.number:
                bad_lines.add(row.number)
            bad.append(
                {
                    "location": f"{name} 第{row.number}行" if row.number else name,
                    "raw": {"原始内容": row.text},
                    "reason": reason,
                }
            )
            return "skip"

        names = [f"c{i}" for i in range(len(columns))]
        col_of = {k: f"c{columns.index(v)}" for k, v in headers.items()}
        info = {"name": name, "encoding": "UTF-8" if encoding == "utf8" else "GBK/GB18030", "rows": 0}
        self.detail["files"].append(info)
        # a path is read by Arrow itself (less memory than through a Python file)
        fh = str(content) if isinstance(content, (str, Path)) else self._open(content)
        try:
            reader = pacsv.open_csv(
                fh,
                read_options=pacsv.ReadOptions(
                    encoding=encoding, column_names=names, skip_rows=1, block_size=1 << 20, use_threads=False
                ),
                parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in names},
                    include_columns=list(col_of.values()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            line = 1  # the header; data rows are counted from line 2
            pending: list = []
            pending_rows = 0
            while True:
                try:
                    rb = reader.read_next_batch()
                except StopIteration:
                    rb = None
                except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                    raise ValidationError(f"文件“{name}”读取失败（编码或格式错误）：{exc}") from None
                if rb is not None and rb.num_rows:
                    pending.append(rb)
                    pending_rows += rb.num_rows
                if pending and (rb is None or pending_rows >= self.batch_rows):
                    whole = pa.Table.from_batches(pending)
                    # batches of exactly batch_rows rows; the rest waits for more
                    cut = whole.num_rows if rb is None else whole.num_rows - whole.num_rows % self.batch_rows
                    pending = whole.slice(cut).to_batches() if cut < whole.num_rows else []
                    pending_rows = whole.num_rows - cut
                    for start in range(0, cut, self.batch_rows):
                        table = whole.slice(start, min(self.batch_rows, cut - start))
                        n = table.num_rows
                        # line numbers (for the quarantine's location text) skip the
                        # unreadable lines; exact unless a quoted value spans lines
                        nums = np.arange(line + 1, line + 1 + n + len(bad_lines), dtype=np.int64)
                        if bad_lines:
                            nums = nums[~np.isin(nums, np.fromiter(bad_lines, dtype=np.int64))]
                        frame = arrow_table({k: table.column(c) for k, c in col_of.items()}, nums[:n], n)
                        line = int(nums[n - 1])
                        info["rows"] += n
                        out = Batch(frame, headers, list(bad), f"{name} 第{{row}}行")
                        bad[:] = []
                        yield out
                    del whole
                if len(bad) >= self.batch_rows:
                    # unreadable lines are handed on too, so they never pile up in memory
                    yield Batch(arrow_table({}, pa.array([], pa.int64()), 0), headers, list(bad))
                    bad[:] = []
                if rb is None:
                    break
            if bad:
                yield Batch(arrow_table({}, pa.array([], pa.int64()), 0), headers, list(bad))
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:  # open_csv decodes the first block
            raise ValidationError(f"文件“{name}”读取失败（编码或格式错误，文件可能不完整）：{exc}") from None
        finally:
            if not isinstance(fh, str):
                fh.close()

    def _xlsx(self, name: str, content) -> Iterator[Batch]:
        import openpyxl

        fh = self._open(content)
        try:
            head = fh.read(4)
            fh.seek(0)
            if head != b"PK\x03\x04":
                raise ValidationError(f"文件“{name}”不是有效的 .xlsx 工作簿。")
            try:
                wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            except Exception as exc:  # noqa: BLE001 - any parse failure is bad input
                raise ValidationError(f"无法读取 Excel 文件“{name}”：{exc}") from None
            ws = wb.worksheets[0]
            rows = ws.iter_rows(values_only=True)
            header_row = None
            line = 0
            for r in rows:
                line += 1
                if r and any(v not in (None, "") for v in r):
                    header_row = [_cell(v).strip() for v in r]
                    break
            if header_row is None:
                raise ValidationError(f"文件“{name}”没有数据。")
            try:
                headers = match_headers(header_row)
            except ValidationError as exc:
                raise ValidationError(f"文件“{name}”：{exc.message}") from None
            idx = {k: header_row.index(v) for k, v in headers.items()}
            info = {"name": name, "encoding": "xlsx", "rows": 0}
            self.detail["files"].append(info)
            buf: list[list[str]] = []
            locs: list[int] = []
            width = len(header_row)
            for r in rows:
                line += 1
                if r is None or all(v in (None, "") for v in r):
                    continue
                r = list(r) + [None] * (width - len(r))
                buf.append([_cell(r[i]) for i in idx.values()])
                locs.append(line)
                if len(buf) >= self.batch_rows:
                    yield self._frame(buf, locs, list(idx), headers, info, name)
                    buf, locs = [], []
            if buf:
                yield self._frame(buf, locs, list(idx), headers, info, name)
            wb.close()
        finally:
            fh.close()

    @staticmethod
    def _frame(buf, locs, keys, headers, info, name) -> Batch:
        cols = {k: [r[i] for r in buf] for i, k in enumerate(keys)}
        info["rows"] += len(buf)
        return Batch(arrow_table(cols, locs, len(buf)), headers, [], f"{name} 第{{row}}行")


class RecordsAdapter:
    """Rows posted through the HTTP API (the 行权系统 pushing penalties):
    dicts keyed by our field names or by any accepted header (the labels of
    the file import); one batch.  Values are given as text or numbers."""

    single_batch = True  # the pipeline prepares it inline (no reader thread)

    def __init__(self, records: list[dict], label: str = "接口"):
        self.records = records
        self.label = label
        self.detail: dict = {"records": len(records)}

    def fields(self) -> dict[str, list[str]]:
        """field -> the records' keys for it (our field name or any accepted
        header); raises ValidationError naming the missing required fields
        (checked before the run starts)."""
        by_norm = {norm_header(h): k for k, (_, headers) in FIELDS.items() for h in headers}
        out: dict[str, list[str]] = {}
        seen: set = set()
        for r in self.records:
            for raw in r:
                if raw in seen:
                    continue
                seen.add(raw)
                f = raw if raw in FIELDS else by_norm.get(norm_header(str(raw)))
                if f:
                    out.setdefault(f, []).append(raw)
        missing = [LABELS[k] for k in REQUIRED if k not in out]
        if missing:
            raise ValidationError(
                f"行政处罚记录缺少必填字段：{'、'.join(missing)}（字段名见接口说明，"
                "可用 entity_name 等字段名或文件导入的中文列名）。"
            )
        return out

    def batches(self) -> Iterator[Batch]:
        fields = self.fields()

        def value(r, keys):
            for k in keys:
                if r.get(k) is not None:
                    return _cell(r[k])
            return ""

        cols = {f: [value(r, keys) for r in self.records] for f, keys in fields.items()}
        n = len(self.records)
        headers = {f: LABELS[f] for f in fields}
        yield Batch(arrow_table(cols, [str(i + 1) for i in range(n)], n), headers, [], f"{self.label} 第{{row}}条")


def folder_files(location: str, watermark: dict | None) -> tuple[list[tuple[str, str]], dict | None]:
    """Files of a configured folder (or a single file) newer than the
    watermark ({"mtime", "name"}), oldest first; and the new watermark."""
    path = Path(location)
    if path.is_file():
        candidates = [path]
    elif path.is_dir():
        candidates = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".xlsx")]
    else:
        raise ValidationError(f"数据源目录不存在：{location}")
    keyed = sorted(((p.stat().st_mtime, p.name, p) for p in candidates))
    if watermark:
        mark = (float(watermark.get("mtime", 0)), str(watermark.get("name", "")))
        keyed = [k for k in keyed if (k[0], k[1]) > mark]
    files = [(p.name, str(p)) for _, _, p in keyed]
    new = {"mtime": keyed[-1][0], "name": keyed[-1][1]} if keyed else watermark
    return files, new


# -- relational databases ------------------------------------------------------
class SqlAdapter:
    """Rows of a table newer than the watermark, through SQLAlchemy."""

    def __init__(
        self,
        url: str,
        table: str,
        mapping: dict[str, str],
        watermark_column: str | None,
        watermark: dict | None,
        batch_rows: int | None = None,
    ):
        self.url, self.table, self.mapping = url, table, dict(mapping)
        self.watermark_column = watermark_column or None
        self.watermark = watermark
        self.new_watermark = watermark
        self.batch_rows = batch_rows or BATCH_ROWS
        missing = [LABELS[k] for k in REQUIRED if not self.mapping.get(k)]
        if missing:
            raise ValidationError(f"数据源的列映射缺少：{'、'.join(missing)}。")
        unknown = [k for k in self.mapping if k not in FIELDS]
        if unknown:
            raise ValidationError(f"列映射中有未知字段：{'、'.join(unknown)}。")
        self.detail: dict = {"table": table, "watermark_before": watermark}

    def _engine(self):
        import sqlalchemy as sa

        try:
            return sa.create_engine(self.url)
        except Exception as exc:  # noqa: BLE001 - bad URL or missing driver
            raise ValidationError(f"数据源连接地址无效或缺少数据库驱动：{exc}") from None

    def _query(self):
        import sqlalchemy as sa

        schema, _, name = self.table.rpartition(".")
        cols = {k: v for k, v in self.mapping.items() if v}
        wanted = sorted(set(cols.values()) | ({self.watermark_column} if self.watermark_column else set()))
        tbl = sa.table(name, *[sa.column(c) for c in wanted], schema=schema or None)
        q = sa.select(*[tbl.c[c] for c in wanted])
        if self.watermark_column:
            wm = tbl.c[self.watermark_column]
            if self.watermark and self.watermark.get("value") is not None:
                q = q.where(wm > _from_json_value(self.watermark))
            q = q.order_by(wm)
        return q, cols

    def check(self) -> int:
        """Connect and count the rows a run would read (for the admin's 测试连接)."""
        import sqlalchemy as sa

        q, _ = self._query()
        try:
            with self._engine().connect() as con:
                return con.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
        except ValidationError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ValidationError(f"无法读取数据源：{_short(exc)}") from None

    def _loc_fmt(self) -> str:
        if self.watermark_column:
            return f"{self.table} {self.watermark_column}={{row}}"
        return f"{self.table} 第{{row}}条"

    def _chunk(self, keys: list[str], rows: list, cols: dict[str, str], offset: int) -> "pa.Table":
        """Fetched rows as an Arrow table of our fields; moves the watermark."""
        columns = dict(zip(keys, zip(*rows)))
        data = {k: _arrow_strings(columns[c]) for k, c in cols.items()}
        if self.watermark_column:
            marks = columns[self.watermark_column]
            self.new_watermark = _to_json_value(marks[-1])
            locs = pa.array([str(x) for x in marks], pa.string())
        else:
            locs = np.arange(offset + 1, offset + 1 + len(rows))
        return arrow_table(data, locs, len(rows))

    def batches(self) -> Iterator[Batch]:
        q, cols = self._query()
        headers = dict(cols)
        engine = self._engine()
        try:
            with engine.connect().execution_options(stream_results=True) as con:
                result = con.execute(q)
                keys = list(result.keys())
                offset, pending, have = 0, [], 0
                while True:
                    # Rows become Arrow in chunks, so the driver's Python
                    # objects of at most one chunk are alive at a time.
                    rows = result.fetchmany(min(FETCH_ROWS, self.batch_rows - have))
                    n = len(rows)
                    if n:
                        pending.append(self._chunk(keys, rows, cols, offset))
                        offset, have = offset + n, have + n
                    del rows
                    if pending and (not n or have >= self.batch_rows):
                        batch = Batch(pa.concat_tables(pending).combine_chunks(), headers, [], self._loc_fmt())
                        pending, have = [], 0
                        yield batch  # the consumer replaces batch.frame by its rejected rows
                    if not n:
                        break
        except ValidationError:
            raise
        except Exception as exc:  # noqa: BLE001 - driver errors become a failed run
            raise ValidationError(f"读取数据源失败：{_short(exc)}") from None
        finally:
            engine.dispose()
        self.detail["watermark_after"] = self.new_watermark


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300]


def _arrow_strings(values) -> "pa.Array":
    """A column of database values as Arrow strings ("" for NULL); dates as
    YYYY-MM-DD.  Falls back to a per-value conversion for mixed columns."""
    import pyarrow.compute as pc

    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([_cell(x) for x in values], pa.string())
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        pass
    elif pa.types.is_null(t):
        return pa.repeat("", len(arr))
    elif pa.types.is_temporal(t):
        arr = pc.strftime(arr, format="%Y-%m-%d")
    elif pa.types.is_floating(t):
        return pa.array([_cell(x) for x in values], pa.string())
    else:
        arr = pc.cast(arr, pa.string())
    return pc.fill_null(arr, "")


def _strings(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").fillna("")
    if pd.api.types.is_string_dtype(s) and not s.isna().any():
        return s.astype(str)
    return s.map(_cell).astype(str)


def _to_json_value(v) -> dict:
    if isinstance(v, (pd.Timestamp, datetime)):
        return {"value": pd.Timestamp(v).isoformat(), "type": "datetime"}
    if isinstance(v, date):
        return {"value": v.isoformat(), "type": "date"}
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return {"value": v, "type": "int"}
    if isinstance(v, float):
        return {"value": v, "type": "float"}
    return {"value": str(v), "type": "str"}


def _from_json_value(w: dict):
    t, v = w.get("type"), w.get("value")
    if t == "int":
        return int(v)
    if t == "float":
        return float(v)
    if t == "datetime":
        return datetime.fromisoformat(v)
    if t == "date":
        return date.fromisoformat(v)
    return v


def load_json(text: str | None) -> dict | None:
    return json.loads(text) if text else None


def describe_watermark(w: dict | None) -> str:
    if not w:
        return "（尚未抽取）"
    if "mtime" in w:
        return f"{w.get('name')}（{datetime.fromtimestamp(float(w['mtime'])):%Y-%m-%d %H:%M:%S}）"
    return str(w.get("value"))


def is_sqlite_path_missing(url: str) -> bool:
    """A sqlite URL whose file does not exist (SQLAlchemy would create it)."""
    if not url.startswith("sqlite:///"):
        return False
    path = url[len("sqlite:///") :]
    return path not in ("", ":memory:") and not os.path.exists(path)
