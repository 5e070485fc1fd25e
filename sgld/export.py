"""Spreadsheet output shared by every list (no Streamlit here)."""

from __future__ import annotations

import io

import pandas as pd


def to_xlsx(sheets: dict[str, pd.DataFrame] | pd.DataFrame, sheet_name: str = "数据") -> bytes:
    """One or several DataFrames as an .xlsx workbook (bytes)."""
    if isinstance(sheets, pd.DataFrame):
        sheets = {sheet_name: sheets}
    buf = io.BytesIO()
    # User text such as "=HYPERLINK(...)" must stay text: xlsxwriter would
    # otherwise turn strings starting with "=" into formulas (CSV/formula
    # injection). Numbers keep their own type; only strings are affected.
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": options}) as xw:
        for name, frame in sheets.items():
            safe = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "Sheet"
            out = frame.copy()
            for col in out.columns:  # Excel has no time zones and no lists
                if out[col].dtype == object:
                    out[col] = out[col].map(lambda x: "、".join(map(str, x)) if isinstance(x, (list, tuple)) else x)
            out.to_excel(xw, sheet_name=safe, index=False)
            ws = xw.sheets[safe]
            for i, col in enumerate(out.columns):
                longest = max((len(str(x)) for x in out[col].head(1000)), default=0)
                ws.set_column(i, i, min(60, max(8, longest + 2, len(str(col)) * 2 + 2)))
            ws.freeze_panes(1, 0)
    return buf.getvalue()
