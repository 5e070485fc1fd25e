"""Reading uploaded spreadsheets (.xlsx / .csv) for bulk imports.

CSV encodings UTF-8 (with or without BOM), GBK and GB18030 are detected
automatically; headers are matched tolerantly (full-/half-width brackets,
spaces, case).  Every cell comes back as a string ("" for empty) so the
services validate one representation.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import pandas as pd

from sgld.errors import ValidationError

ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312


def norm_header(h: object) -> str:
    """Header key for tolerant matching: NFKC (full-width → half-width),
    no spaces, lower case; Chinese brackets become ASCII ones."""
    s = unicodedata.normalize("NFKC", str(h or ""))
    s = s.replace("（", "(").replace("）", ")").replace("【", "(").replace("】", ")")
    return re.sub(r"\s+", "", s).lower()


def decode(data: bytes) -> str:
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValidationError("无法识别文件编码：支持 UTF-8（含 BOM）、GBK、GB18030。")


def read_table(name: str, data: bytes, *, max_rows: int | None = None) -> pd.DataFrame:
    """A DataFrame of strings from an uploaded .xlsx or .csv."""
    lower = (name or "").lower()
    if not data:
        raise ValidationError("文件为空。")
    if lower.endswith(".xlsx"):
        if not data.startswith(b"PK"):
            raise ValidationError("文件不是有效的 .xlsx 工作簿。")
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - any parse failure is bad input
            raise ValidationError(f"无法读取 Excel 文件：{exc}") from None
    elif lower.endswith(".csv"):
        text = decode(data)
        try:
            frame = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL, skipinitialspace=True
            )
        except Exception as exc:  # noqa: BLE001
            raise ValidationError(f"无法读取 CSV 文件：{exc}") from None
    else:
        raise ValidationError("只支持 .xlsx 或 .csv 文件。")
    if max_rows is not None and len(frame) > max_rows:
        raise ValidationError(f"文件共 {len(frame)} 行，超过单次导入上限 {max_rows} 行，请分批导入。")
    frame = frame.fillna("").astype(str)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def match_columns(frame: pd.DataFrame, wanted: dict[str, list[str]], required: list[str]) -> pd.DataFrame:
    """Rename columns to internal names.  ``wanted`` maps an internal name to
    its accepted headers; raises a ValidationError naming what was expected
    when a required column is missing."""
    by_norm = {norm_header(c): c for c in frame.columns}
    rename = {}
    for key, headers in wanted.items():
        for h in headers:
            if norm_header(h) in by_norm:
                rename[by_norm[norm_header(h)]] = key
                break
    missing = [wanted[k][0] for k in required if k not in rename.values()]
    if missing:
        raise ValidationError(f"没有找到可识别的表头：缺少 {'、'.join(missing)}。请使用模板中的列名。")
    return frame.rename(columns=rename)


def field_reason(label: str, message: str) -> str:
    """A row error's reason shown next to its column (行号 | 字段 | 原因) without
    repeating the column: under 统一社会信用代码, "统一社会信用代码校验位错误：X"
    reads "校验位错误：X"; under 办件编号, "请填写“办件编号”" reads "未填写"."""
    msg = str(message or "").strip()
    if not label or not msg:
        return msg
    if msg in (f"请填写“{label}”", f"请填写{label}"):
        return "未填写"
    for head in (f"“{label}”", label):
        if msg.startswith(head) and len(msg) > len(head):
            rest = msg[len(head) :].lstrip("：:，, ")
            return rest[1:] if rest.startswith("的") else rest
    return msg


def row_reason(label: str, message: str) -> str:
    """One reason of a rejected row (its column named once): the message as is
    when it names the column already, else "column：message"."""
    msg = str(message or "").strip()
    if not label or label in msg:
        return msg
    return f"{label}：{msg}"
