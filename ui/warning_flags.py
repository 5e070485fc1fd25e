"""警示名单 flags for other views: the case form, the case detail, the archive."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sgld.services import warning
from ui.widgets import md_text


def form_flag(uscc_code: str | None) -> None:
    """On the case form: a listed enterprise is flagged as soon as its code is typed."""
    if not uscc_code:
        return
    s = warning.status_for_uscc([uscc_code])
    for hit in s.values():
        st.error(
            f"注意：该企业已于 {hit['listed_at']:%Y-%m-%d} 列入警示名单（{md_text(hit['reasons'])}），请审慎办理。",
            icon=":material/warning:",
        )


def case_flag(enterprise_id: int | None) -> None:
    s = warning.status_for([enterprise_id]).get(enterprise_id) if enterprise_id else None
    if s:
        st.error(
            f"警示名单：该企业已于 {s['listed_at']:%Y-%m-%d} 列入警示名单（{md_text(s['reasons'])}）。",
            icon=":material/warning:",
        )


def archive_flag(frame: pd.DataFrame, column: str = "统一社会信用代码") -> pd.DataFrame:
    """Add a 警示 column (在列 for listed enterprises) right after the enterprise."""
    if column not in frame.columns or frame.empty or "警示" in frame.columns:
        return frame
    listed = warning.status_for_uscc(frame[column].dropna().unique().tolist())
    out = frame.copy()
    out.insert(out.columns.get_loc(column) + 1, "警示", out[column].map(lambda c: "警示名单" if c in listed else ""))
    return out
